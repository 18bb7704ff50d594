"""The caseload dashboard: order, filters, what each cell says, and a fixed query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mitra.diary.tests.factories import make_plan
from mitra.reports import dashboard
from mitra.reports.tests.helpers import (
    add_diary,
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
    assert "PHQ-9 overdue 10 days" in response.content.decode()
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
