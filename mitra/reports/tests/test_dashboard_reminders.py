"""The caseload's reminders column: answered of sent over 14 days, the streak, the low-adherence
filter and sort, and their queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mitra.reminders.models import Prompt
from mitra.reports import dashboard
from mitra.reports.tests.helpers import add_prompts
from mitra.testing import MARKER, login, make_cast, make_patient

pytestmark = pytest.mark.django_db
URL = reverse("core:caseload")


def names(response) -> list[str]:
    return [r.display_name for r in response.context["rows"]]


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def stories(cast):
    """Oldest first, one reminder a day; the last "o" is today's, still open."""
    low = make_patient("low", "Lou Low", cast.team_a)
    add_prompts(low, "amammmammaao")  # 11 settled, 5 answered: 45%
    good = make_patient("good", "Gia Good", cast.team_a)
    add_prompts(good, "amaaaamaaaaa")  # 12 settled, 10 answered: 83%, a streak of 5
    few = make_patient("few", "Fay Few", cast.team_a)
    add_prompts(few, "mmf")  # 2 sent, none answered: too few to tell
    # Team B's patient answers nothing: never on Team A's caseload.
    add_prompts(cast.other_patient, "mmmmmmmm")
    return {"low": low, "good": good, "few": few}


def test_the_column_shows_answered_of_sent_the_share_and_the_streak(client, cast, stories):
    login(client, cast.clinician)
    response = client.get(URL, {"sort": "name"})
    rows = {r.display_name: r for r in response.context["rows"]}
    good = rows["Gia Good"]
    assert (good.reminders_14.answered, good.reminders_14.sent) == (10, 12)
    assert good.reminders.streak == 5 and good.reminder_status == "ok"
    low = rows["Lou Low"]
    assert (low.reminders_14.answered, low.reminders_14.sent, low.reminders_14.open) == (5, 11, 1)
    assert low.reminders.streak == 2 and low.reminder_status == "low"
    assert rows["Fay Few"].reminder_status == "too_few"
    body = response.content.decode()
    assert '10/12 <span class="muted">· 83%</span>' in body
    assert '5/11 <span class="muted">· 45%</span>' in body
    assert "&#9660; low</span>" in body and "streak 5" in body
    assert "too few yet" in body
    assert "None sent" in body  # Pat Example, the cast's own patient
    assert "Reminders answered, 14 days" in body
    assert "low under 70%, once at least 4 were sent" in body


def test_the_low_adherence_filter_lists_the_low_ones_only(client, cast, stories):
    login(client, cast.clinician)
    response = client.get(URL, {"show": "low_adherence"})
    assert response.status_code == 200
    assert names(response) == ["Lou Low"]
    assert MARKER not in response.content.decode()
    # Team B's clinician sees their own low patient, none of Team A's.
    login(client, cast.other_clinician)
    assert names(client.get(URL, {"show": "low_adherence"})) == [cast.other_patient.display_name]


def test_the_threshold_and_minimum_come_from_the_settings(client, cast, stories, settings):
    login(client, cast.clinician)
    settings.MITRA_LOW_ADHERENCE = Decimal("0.9")
    assert names(client.get(URL, {"show": "low_adherence", "sort": "name"})) == [
        "Gia Good", "Lou Low"]
    settings.MITRA_LOW_ADHERENCE_MIN_PROMPTS = 2
    assert names(client.get(URL, {"show": "low_adherence", "sort": "name"})) == [
        "Fay Few", "Gia Good", "Lou Low"]
    settings.MITRA_LOW_ADHERENCE = Decimal("0.4")
    settings.MITRA_LOW_ADHERENCE_MIN_PROMPTS = 4
    response = client.get(URL, {"show": "low_adherence"})
    assert names(response) == []
    assert "low under 40%" in response.content.decode()


def test_the_reminders_sort_puts_the_lowest_share_first_and_none_sent_last(client, cast,
                                                                            stories):
    login(client, cast.clinician)
    assert names(client.get(URL, {"sort": "reminders"})) == [
        "Fay Few", "Lou Low", "Gia Good", "Pat Example"]
    assert names(client.get(URL, {"sort": "-reminders"}))[0] == "Pat Example"


def test_a_patient_with_only_an_open_reminder_reads_open(client, cast):
    fresh = make_patient("new", "Nia New", cast.team_a)
    add_prompts(fresh, "o")
    login(client, cast.clinician)
    response = client.get(URL, {"q": "Nia"})
    row = response.context["rows"][0]
    assert (row.reminders_14.sent, row.reminders_14.open, row.reminder_status) == (0, 1,
                                                                                   "too_few")
    assert '<span class="muted">1 open</span>' in response.content.decode()


def test_the_bad_value_message_names_the_new_filter_and_sort(client, cast):
    login(client, cast.clinician)
    assert "low_adherence" in client.get(URL, {"show": "nope"}).content.decode()
    assert "-reminders" in client.get(URL, {"sort": "nope"}).content.decode()


def _prompted(cast, n: int, offset: int) -> None:
    for i in range(offset, offset + n):
        p = make_patient(f"r{i}", f"Reminded {i:03d}", cast.team_a)
        add_prompts(p, "ammamammaam" if i % 2 else "aaaaaaaaaaaa")


def _prompt_queries(captured) -> int:
    return sum(Prompt._meta.db_table in q["sql"] for q in captured.captured_queries)


@pytest.mark.parametrize("params, prompt_queries", [
    ({}, 1),                                         # the page's figures
    ({"show": "low_adherence"}, 2),                  # + everyone's counts
    ({"sort": "reminders", "show": "low_adherence"}, 2),
])
def test_the_queries_do_not_grow_with_the_caseload(client, cast, django_assert_max_num_queries,
                                                   params, prompt_queries):
    _prompted(cast, 5, 0)
    login(client, cast.clinician)
    client.get(URL, params)  # warm the session and the instrument files
    with CaptureQueriesContext(connection) as five:
        client.get(URL, params)
    assert _prompt_queries(five) == prompt_queries
    _prompted(cast, 50, 5)
    with django_assert_max_num_queries(len(five)):
        response = client.get(URL, params)
    rows = response.context["rows"]
    assert len(rows) == (dashboard.PAGE_SIZE if not params else 27)  # 55 reminded: 27 low
    assert all(r.reminders_14.sent for r in rows if r.display_name.startswith("Reminded"))
