"""The clinic's outcomes (PHQ-9, GAD-7) and diary adherence: a hand-made cohort's figures,
suppression, the CSV, who sees what, and a number of queries that does not grow."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mitra.reports import clinic, clinic_outcomes
from mitra.reports.tests.helpers import add_diary, add_scores
from mitra.testing import login, make_cast, make_patient

pytestmark = pytest.mark.django_db
URL = reverse("reports:clinic")
TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _cohort(team, n: int, totals: list[int], key: str, *, enrolled_on=date(2026, 1, 5)):
    out = []
    for i in range(n):
        p = make_patient(f"{key}{i:02d}", f"Outcome {key}{i}", team, enrolled_on=enrolled_on)
        add_scores(p, "phq9", totals, last_day=TODAY - timedelta(days=1))
        out.append(p)
    return out


def _group(groups, name: str) -> clinic_outcomes.GroupOutcomes:
    (g,) = [g for g in groups if g.name == name]
    return g


def _rate(i: clinic_outcomes.InstrumentOutcomes, measure: str) -> clinic.Rate:
    return dict(i.overall_defined())[measure]


@pytest.fixture
def cohort():
    cast = make_cast()
    # Team A: 8 improve from 20 to 8 (reliable improvement, response, no remission); 4 go from
    # 12 to 4 (improvement, response, remission); 3 from 6 to 13 (deterioration; response and
    # remission not defined from a baseline of 9 or less); 2 have a baseline only.
    _cohort(cast.team_a, 8, [20, 14, 8], "up")
    _cohort(cast.team_a, 4, [12, 4], "rem")
    _cohort(cast.team_a, 3, [6, 13], "down")
    _cohort(cast.team_a, 2, [15], "once")
    # Team B: 3 patients, all improving.
    _cohort(cast.team_b, 3, [20, 5], "b")
    return cast


def test_the_outcomes_of_a_hand_made_cohort(client, cohort):
    login(client, cohort.clinician)
    response = client.get(URL)
    assert response.status_code == 200
    a = _group(response.context["outcomes"], "Team A")
    phq9 = a.instruments[0]
    assert phq9.short_name == "PHQ-9"
    assert str(phq9.baseline) == "17"
    assert str(phq9.repeated) == "15/17 (88%)"
    assert str(_rate(phq9, "reliable_improvement")) == "12/15 (80%)"
    assert str(_rate(phq9, "reliable_deterioration")) == "3/15 (20%)"
    assert str(_rate(phq9, "response")) == "12/12 (100%)"
    assert str(_rate(phq9, "remission")) == "4/12 (33%)"
    # The definitions are the data file's, with their sources.
    rules = {d.measure: d for d in phq9.definitions}
    assert "50%" in rules["response"].rule and rules["response"].sources
    assert rules["reliable_improvement"].unverified  # the IAPT threshold is marked unverified
    body = response.content.decode()
    assert "Outcomes: PHQ-9 and GAD-7" in body
    assert "<td>12/15 (80%)</td><td>3/15 (20%)</td><td>12/12 (100%)</td><td>4/12 (33%)</td>" \
        in body
    assert "unverified — needs a human check" in body
    # Nobody took a GAD-7: nothing to count, not zero.
    gad7 = a.instruments[1]
    assert str(gad7.baseline) == "0" and str(gad7.repeated) == "—"


def test_by_month_the_last_total_of_the_month_counts(client, cohort):
    login(client, cohort.clinician)
    a = _group(client.get(URL).context["outcomes"], "Team A")
    by_month = {m: (n, rates) for m, n, rates in a.instruments[0].by_month}
    # The last totals were yesterday (14 June), the ones before a fortnight earlier (31 May).
    june, may = by_month[date(2026, 6, 1)], by_month[date(2026, 5, 1)]
    assert str(june[0]) == "15"
    assert may[0].n == 8 and str(may[0]) == "<11"  # only the three-total patients (14)
    assert str(may[1][0]) == "<11"  # fewer than 11 judged: suppressed


def test_fewer_than_11_patients_are_suppressed_and_teams_stay_apart(client, cohort):
    login(client, cohort.other_clinician)
    groups = client.get(URL).context["outcomes"]
    assert [g.name for g in groups] == ["Team B"]
    phq9 = groups[0].instruments[0]
    assert str(phq9.repeated) == "<11"
    assert str(_rate(phq9, "reliable_improvement")) == "<11"


def test_diary_adherence_counts_days_since_enrolment_in_the_last_30(client):
    cast = make_cast()
    team = cast.team_a
    old = [make_patient(f"d{i:02d}", f"Diary {i}", team, enrolled_on=date(2026, 1, 5))
           for i in range(10)]
    # Enrolled 10 days ago: 10 days expected of them, not 30.
    new = make_patient("dnew", "Diary new", team, enrolled_on=TODAY - timedelta(days=9))
    for p in old:
        add_diary(p, {TODAY - timedelta(days=d): 2.0 for d in range(15)})  # 15 of 30 days
    add_diary(new, {TODAY - timedelta(days=d): 2.0 for d in range(10)})  # 10 of 10
    groups = clinic_outcomes.build_outcomes(clinic.clinic_teams_for_user(cast.clinician), TODAY)
    a = _group(groups, "Team A")
    # The cast's own patient (enrolled today) is expected one day and wrote none.
    assert (a.adherence.numerator, a.adherence.denominator) == (160, 311)
    assert a.adherence.patients == 12


def test_the_outcomes_csv_holds_the_same_figures(client, cohort):
    login(client, cohort.clinician)
    response = client.get(URL, {"format": "outcomes-csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["team", "measure"]
    assert ["Team A", "reliable_improvement", "phq9", "latest", "15", "12", "15", "80"] in rows
    assert {r[0] for r in rows[1:]} == {"Team A"}


def test_a_member_of_two_teams_sees_them_together_too(client, cohort):
    from mitra.accounts.models import Membership
    Membership.objects.create(user=cohort.clinician, team=cohort.team_b)
    login(client, cohort.clinician)
    groups = client.get(URL).context["outcomes"]
    assert [g.name for g in groups] == ["Team A", "Team B", "All your care teams"]
    together = groups[-1].instruments[0]
    assert str(together.baseline) == "20"
    assert str(_rate(together, "reliable_improvement")) == "15/18 (83%)"


def test_the_number_of_queries_does_not_grow_with_the_patients(cohort):
    with CaptureQueriesContext(connection) as few:
        clinic_outcomes.build_outcomes(clinic.clinic_teams_for_user(cohort.clinician), TODAY)
    _cohort(cohort.team_a, 20, [20, 10, 5], "more")
    with CaptureQueriesContext(connection) as more:
        clinic_outcomes.build_outcomes(clinic.clinic_teams_for_user(cohort.clinician), TODAY)
    assert len(few) == len(more) == 4  # the teams, their patients, the totals, the diary days
