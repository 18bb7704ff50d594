"""The caseload dashboard: order, filters, what each cell says, and a fixed query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mitra.cbt.actions import do_complete_homework
from mitra.cbt.models import Homework
from mitra.cbt.tests.factories import homework
from mitra.diary.tests.factories import make_plan
from mitra.reports import dashboard
from mitra.reports.tests.helpers import (
    add_diary,
    add_prompts,
    add_schedule,
    add_scores,
    raise_alert,
    steady_days,
)
from mitra.safety.models import Alert
from mitra.testing import MARKER, login, make_cast, make_patient

pytestmark = pytest.mark.django_db
URL = reverse("core:caseload")


def names(response) -> list[str]:
    return [r.display_name for r in response.context["rows"]]


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def caseload(cast):
    """Four stories on Team A besides the cast's own patient."""
    suicide = make_patient("sui", "Sue Urgent", cast.team_a)
    raise_alert(suicide, Alert.Priority.URGENT, Alert.Kind.SUICIDE_RISK)
    worse = make_patient("det", "Dee Worse", cast.team_a)
    add_scores(worse, "phq9", [8, 16])  # +8 >= 6: reliable deterioration
    better = make_patient("rem", "Remy Better", cast.team_a)
    add_scores(better, "phq9", [17, 3])  # -14: reliable improvement, remission
    high = make_patient("hig", "Hal High", cast.team_a)
    raise_alert(high, Alert.Priority.HIGH)
    return {"suicide": suicide, "worse": worse, "better": better, "high": high}


def test_it_puts_the_most_urgent_first(client, cast, caseload):
    login(client, cast.clinician)
    response = client.get(URL)
    assert response.status_code == 200
    order = names(response)
    assert order[:3] == ["Sue Urgent", "Hal High", "Dee Worse"]
    assert set(order) == {"Sue Urgent", "Hal High", "Dee Worse", "Remy Better", "Pat Example"}
    assert MARKER not in response.content.decode()


def test_it_marks_reliable_change_in_words(client, cast, caseload):
    login(client, cast.clinician)
    body = client.get(URL).content.decode()
    assert "reliable deterioration" in body
    assert "reliable improvement, remission" in body
    rows = {r.display_name: r for r in client.get(URL).context["rows"]}
    assert rows["Dee Worse"].scores["phq9"].reliable == "deteriorated"
    assert rows["Dee Worse"].scores["phq9"].severity == "Moderately severe"
    assert rows["Remy Better"].scores["phq9"].remission is True


def test_filters_narrow_the_rows(client, cast, caseload):
    login(client, cast.clinician)
    assert names(client.get(URL, {"show": "urgent"})) == ["Sue Urgent", "Hal High"]
    assert names(client.get(URL, {"show": "deteriorated"})) == ["Dee Worse"]
    assert names(client.get(URL, {"q": "remy"})) == ["Remy Better"]
    assert names(client.get(URL, {"q": "T-rem"})) == ["Remy Better"]
    assert names(client.get(URL, {"show": "alerts", "sort": "name"})) == ["Hal High",
                                                                          "Sue Urgent"]


def test_it_sorts_by_score_and_reverses(client, cast, caseload):
    login(client, cast.clinician)
    by_phq = names(client.get(URL, {"sort": "phq9"}))
    assert by_phq[:2] == ["Dee Worse", "Remy Better"]  # 16, then 3; no score goes last
    assert names(client.get(URL, {"sort": "-name"}))[0] == "Sue Urgent"


@pytest.mark.parametrize("params, field", [({"sort": "age"}, "sort"), ({"show": "x"}, "show")])
def test_a_bad_parameter_is_a_400_naming_it(client, cast, params, field):
    login(client, cast.clinician)
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.content.decode()
    assert f"{field}: " in body and "allowed values" in body


def test_overdue_and_taper_filters(client, cast):
    today = timezone.localdate()
    late = make_patient("late", "Lee Late", cast.team_a)
    add_schedule(late, "phq9", today - timedelta(days=10))  # due 10 days ago, never done
    tapering = make_patient("tap", "Tay Taper", cast.team_a)
    make_plan(tapering, by=cast.clinician)
    add_schedule(tapering, "phq9", today + timedelta(days=3))
    login(client, cast.clinician)
    response = client.get(URL, {"show": "overdue"})
    assert names(response) == ["Lee Late"]
    assert 'PHQ-9 <span class="badge urgent">&#9888; overdue 10 days</span>' in \
        response.content.decode()
    response = client.get(URL, {"show": "taper"})
    assert names(response) == ["Tay Taper"]
    row = response.context["rows"][0]
    assert row.taper["state"] == "stepping down"
    assert row.next_due_on == today + timedelta(days=3)


def test_adherence_and_kratom_trend(client, cast):
    today = timezone.localdate()
    rising = make_patient("ris", "Ray Rising", cast.team_a)
    # 28 baseline days at 4 g, then 7 recent days at 6 g (+50%), 10 of the last 14 recorded.
    days = {today - timedelta(days=i): 4.0 for i in range(7, 35)}
    days.update({today - timedelta(days=i): 6.0 for i in range(7)})
    for i in (7, 8, 9, 10):
        days.pop(today - timedelta(days=i))
    add_diary(rising, days)
    login(client, cast.clinician)
    row = client.get(URL, {"show": "rising"}).context["rows"][0]
    assert row.display_name == "Ray Rising"
    assert row.diary_days == 10
    assert row.trend.recent_mean == 6
    assert row.trend.baseline_mean == 4
    assert row.trend.change_pct == 50
    assert row.spark[-1] == 6.0 and row.spark[-8] is None  # a day without an entry is a gap


def test_it_paginates_large_caseloads(client, cast):
    for i in range(dashboard.PAGE_SIZE + 3):
        make_patient(f"p{i}", f"Page Patient {i:03d}", cast.team_a)
    login(client, cast.clinician)
    first = client.get(URL, {"sort": "name"})
    assert len(first.context["rows"]) == dashboard.PAGE_SIZE
    second = client.get(URL, {"sort": "name", "page": 2})
    assert len(second.context["rows"]) == 4  # 53 + the cast's own patient
    assert "Page 2 of 2" in second.content.decode()


def _storied_patients(cast, n: int, offset: int) -> None:
    today = timezone.localdate()
    for i in range(offset, offset + n):
        p = make_patient(f"q{i}", f"Query Patient {i:03d}", cast.team_a)
        add_scores(p, "phq9", [10, 12])
        add_scores(p, "gad7", [8, 9])
        add_diary(p, steady_days(40, 3.0))
        add_schedule(p, "phq9", today - timedelta(days=20))
        raise_alert(p, Alert.Priority.HIGH)
        if i % 2:
            make_plan(p, by=cast.clinician)
        homework(p, cast.clinician, due=today - timedelta(days=2))  # overdue
        homework(p, cast.clinician, due=today + timedelta(days=5))  # open
        add_prompts(p, "aamaaamaaao")  # reminders: 10 settled, 8 answered


@pytest.mark.slow
def test_the_number_of_queries_does_not_grow_with_the_caseload(
        client, cast, django_assert_max_num_queries):
    _storied_patients(cast, 5, 0)
    login(client, cast.clinician)
    client.get(URL)  # warm the session and the instrument files
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(URL).context["rows"]) == 6
    _storied_patients(cast, 45, 5)
    with django_assert_max_num_queries(len(five)):
        response = client.get(URL)
    assert len(response.context["rows"]) == dashboard.PAGE_SIZE
    assert all(r.scores["phq9"].total is not None
               for r in response.context["rows"] if r.display_name.startswith("Query"))
    assert all((r.homework_open, r.homework_overdue) == (2, 1)
               for r in response.context["rows"] if r.display_name.startswith("Query"))


@pytest.mark.slow
def test_the_homework_sort_and_filter_keep_the_query_count_fixed(
        client, cast, django_assert_max_num_queries):
    params = {"sort": "homework", "show": "homework"}
    _storied_patients(cast, 5, 0)
    login(client, cast.clinician)
    client.get(URL, params)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(URL, params).context["rows"]) == 5
    _storied_patients(cast, 45, 5)
    with django_assert_max_num_queries(len(five)):
        response = client.get(URL, params)
    assert len(response.context["rows"]) == dashboard.PAGE_SIZE


@pytest.fixture
def homework_story(cast):
    """Hana: two done, one open (due next week), two overdue (one due yesterday)."""
    today = timezone.localdate()
    hana = make_patient("hw", "Hana Homework", cast.team_a)
    for days in (-10, -3):
        done = homework(hana, cast.clinician, due=today + timedelta(days=days))
        do_complete_homework(done, acting=hana.user, note="Did it")
    homework(hana, cast.clinician, due=today + timedelta(days=7))
    homework(hana, cast.clinician, due=today)  # due today: open, not yet overdue
    homework(hana, cast.clinician, due=today - timedelta(days=1), kind="activation")
    homework(hana, cast.clinician, due=today - timedelta(days=9), kind="module",
             module_slug="cravings")
    # Another team's patient with plenty of overdue homework, never on Team A's dashboard.
    for days in (1, 2, 3, 4):
        homework(cast.other_patient, cast.other_clinician, due=today - timedelta(days=days))
    return hana


def test_the_homework_column_counts_open_and_overdue(client, cast, homework_story):
    today = timezone.localdate()
    login(client, cast.clinician)
    response = client.get(URL, {"q": "Hana"})
    row = response.context["rows"][0]
    # Done homework is not counted; due today is open but not overdue.
    assert (row.homework_open, row.homework_overdue) == (4, 2)
    # The same numbers as the cbt app's own manager helpers.
    mine = Homework.objects.filter(patient=homework_story)
    assert row.homework_open == mine.open().count()
    assert row.homework_overdue == mine.overdue(today).count()
    body = response.content.decode()
    assert "4 open</a>" in body
    assert "&#9888; 2 overdue" in body  # a symbol and a word, not colour alone
    assert "CBT homework" in body


def test_a_patient_without_homework_reads_none_open(client, cast, homework_story):
    login(client, cast.clinician)
    response = client.get(URL, {"q": "Pat Example"})
    row = response.context["rows"][0]
    assert (row.homework_open, row.homework_overdue) == (0, 0)
    assert "None open" in response.content.decode()


def test_homework_sort_and_filter(client, cast, homework_story):
    today = timezone.localdate()
    one = make_patient("one", "Oona One", cast.team_a)
    homework(one, cast.clinician, due=today - timedelta(days=4))
    later = make_patient("lat", "Lars Later", cast.team_a)
    homework(later, cast.clinician, due=today + timedelta(days=4))
    login(client, cast.clinician)
    assert names(client.get(URL, {"show": "homework"})) == ["Hana Homework", "Oona One"]
    order = names(client.get(URL, {"sort": "homework"}))
    assert order[:3] == ["Hana Homework", "Oona One", "Lars Later"]
    assert names(client.get(URL, {"sort": "-homework"}))[-1] == "Hana Homework"


def test_another_teams_homework_never_appears(client, cast, homework_story):
    login(client, cast.clinician)
    response = client.get(URL, {"show": "homework"})
    assert "Olly" not in names(response)
    assert MARKER not in response.content.decode()
    assert sum(r.homework_overdue for r in client.get(URL).context["rows"]) == 2  # Hana's only
    # The other team's clinician sees their own patient's four overdue, not Hana's.
    login(client, cast.other_clinician)
    rows = client.get(URL).context["rows"]
    assert [(r.display_name, r.homework_overdue) for r in rows] == [
        (cast.other_patient.display_name, 4)]


def test_the_homework_values_are_in_the_allowed_values_message(client, cast):
    login(client, cast.clinician)
    body = client.get(URL, {"show": "nope"}).content.decode()
    assert "show: " in body and "homework" in body
    body = client.get(URL, {"sort": "nope"}).content.decode()
    assert "sort: " in body and "-homework" in body


@pytest.mark.parametrize(("share", "change", "direction"), [
    ("0.25", "1.30", "rising"), ("0.25", "0.70", "falling"), ("0.25", "1.24", "steady"),
    # A deployment that flags escalation at 50%: the badge follows the same share.
    ("0.5", "1.30", "steady"), ("0.5", "1.50", "rising"), ("0.5", "0.50", "falling"),
])
def test_the_trend_badge_turns_at_the_diarys_escalation_share(settings, share, change,
                                                                direction):
    from decimal import Decimal

    from mitra.reports.dashboard.diary_columns import Trend

    settings.MITRA_DIARY_ESCALATION_SHARE = Decimal(share)
    trend = Trend(recent_mean=Decimal("10") * Decimal(change), baseline_mean=Decimal("10"))
    assert trend.direction == direction
