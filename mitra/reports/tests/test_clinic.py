"""The clinic page: baseline and repeat measurement per team, instrument and month of
enrolment, reminders answered per team, small cells suppressed, the CSV twin, who sees what,
and a fixed number of queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mitra.accounts.models import CareTeam, Membership
from mitra.measures.models import Schedule
from mitra.patients.access import patients_for_user
from mitra.patients.models import Patient
from mitra.reports import clinic
from mitra.reports.tests.helpers import add_prompts, add_scores
from mitra.testing import MARKER, login, make_cast, make_patient

pytestmark = pytest.mark.django_db
URL = reverse("reports:clinic")
TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
MARCH, JUNE = date(2026, 3, 1), date(2026, 6, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _patient(team, key: str, enrolled_on: date) -> Patient:
    return make_patient(key, f"Clinic {key}", team, enrolled_on=enrolled_on)


def _schedule(patient, instrument: str = "phq9") -> Schedule:
    return Schedule.objects.create(patient=patient, instrument=instrument, every_days=14,
                                   start=patient.enrolled_on)


def _respond(patient, instrument: str, *days_after: int) -> None:
    for n in days_after:
        add_scores(patient, instrument, [5], last_day=patient.enrolled_on + timedelta(days=n))


@pytest.fixture
def cohort():
    """Team A: 12 enrolled on 10 March (PHQ-9 for all, GAD-7 for five), 11 enrolled on
    12 June (PHQ-9, a baseline window still open). Team B: 3 patients of its own."""
    cast = make_cast()
    march = [_patient(cast.team_a, f"m{i:02d}", date(2026, 3, 10)) for i in range(12)]
    for i, p in enumerate(march):
        _schedule(p)
        if i < 6:
            _respond(p, "phq9", 2, 31)  # baseline and a repeat
        elif i < 9:
            _respond(p, "phq9", 7)  # baseline on the 7th day after enrolment, no repeat
        elif i == 9:
            _respond(p, "phq9", 8, 40)  # first on the 8th day: too late, but a repeat
        # 10 and 11: never answered
        if i < 5:
            _schedule(p, "gad7")
            _respond(p, "gad7", 1)
        add_prompts(p, "aaamo", now=NOW)  # 4 settled diary reminders, 3 answered
    june = [_patient(cast.team_a, f"j{i:02d}", date(2026, 6, 12)) for i in range(11)]
    for p in june:
        _schedule(p)
        _respond(p, "phq9", 1)
    # Team B: three patients enrolled in March with a baseline each; reminders all missed.
    for i in range(3):
        p = _patient(cast.team_b, f"b{i}", date(2026, 3, 20))
        _schedule(p)
        _respond(p, "phq9", 1)
        add_prompts(p, "mmmm", now=NOW)
    return cast


def _team(page_clinic, name: str) -> clinic.TeamFigures:
    (team,) = [t for t in page_clinic.teams if t.team.name == name]
    return team


def _month(team: clinic.TeamFigures, month: date) -> clinic.MonthRow:
    (row,) = [r for r in team.months if r.month == month]
    return row


def test_the_figures_of_a_hand_made_cohort(client, cohort):
    login(client, cohort.clinician)
    response = client.get(URL)
    assert response.status_code == 200
    a = _team(response.context["clinic"], "Team A")
    assert a.instruments == [("gad7", "GAD-7"), ("phq9", "PHQ-9")]
    march = _month(a, MARCH)
    assert str(march.enrolled) == "12"
    gad7, phq9 = march.by_instrument
    # PHQ-9: 9 of 12 by the 7th day after enrolment (the one on the 8th is late); 7 of 12
    # with two responses or more (6 with baseline and repeat, the late one with its second).
    assert (phq9.baseline.numerator, phq9.baseline.denominator) == (9, 12)
    assert str(phq9.baseline) == "9/12 (75%)"
    assert (phq9.repeat.numerator, phq9.repeat.denominator) == (7, 12)
    assert str(phq9.repeat) == "7/12 (58%)"
    # GAD-7: five patients, a figure about fewer than 11 is suppressed.
    assert (gad7.baseline.numerator, gad7.baseline.denominator) == (5, 5)
    assert str(gad7.baseline) == "<11" and str(gad7.repeat) == "<11"
    june = _month(a, JUNE)
    assert str(june.enrolled) == "12"  # and the cast's own patient, enrolled today
    _gad7, phq9_june = june.by_instrument
    # Enrolled three days ago: the baseline window is open, 30 days in care not reached.
    assert str(phq9_june.baseline) == "not yet" and str(phq9_june.repeat) == "not yet"
    assert str(_gad7.baseline) == "—"  # nobody enrolled in June has a GAD-7 schedule
    assert str(_month(a, date(2026, 4, 1)).enrolled) == "0"
    # The last 12 months: March's figures (June's not yet due); 24 enrolled.
    assert str(a.total_enrolled) == "24"
    assert str(a.totals[1].baseline) == "9/12 (75%)"
    # Reminders: 12 patients, each 3 of 4 settled diary reminders answered (the open one
    # waits); no questionnaire reminders.
    assert str(a.prompts["diary"]) == "36/48 (75%)"
    assert a.prompts["diary"].patients == 12
    assert str(a.prompts["questionnaire"]) == "—"
    body = response.content.decode()
    assert "<td>9/12 (75%)</td><td>7/12 (58%)</td>" in body
    assert "diary <strong>36/48 (75%)</strong>" in body
    assert "Repeat measurement" in body and "two scored responses of it or more" in body
    assert "fewer than 11 patients reads “&lt;11”" in body
    assert [m for m in response.context["clinic"].months][:2] == [JUNE, date(2026, 5, 1)]
    assert len(response.context["clinic"].months) == 12


def test_the_baseline_window_ends_with_the_7th_day_after_enrolment(client):
    cast = make_cast()
    enrolled = [_patient(cast.team_a, f"e{i:02d}", date(2026, 5, 1)) for i in range(11)]
    for p in enrolled:
        _schedule(p)
    for p in enrolled[:6]:
        add_scores(p, "phq9", [4], last_day=date(2026, 5, 8))  # noon on 8 May: in time
    for p in enrolled[6:]:
        add_scores(p, "phq9", [4], last_day=date(2026, 5, 9))  # 9 May: a day late
    login(client, cast.clinician)
    a = _team(client.get(URL).context["clinic"], "Team A")
    (phq9,) = _month(a, date(2026, 5, 1)).by_instrument
    assert (phq9.baseline.numerator, phq9.baseline.denominator) == (6, 11)


def test_the_baseline_counts_once_its_window_has_closed(client):
    cast = make_cast()
    # Enrolled 7 June: the window ends with 14 June, closed on the 15th (today).
    for i in range(11):
        p = _patient(cast.team_a, f"w{i:02d}", date(2026, 6, 7))
        _schedule(p)
    # Enrolled 8 June: still open today (it ends with the 15th).
    for i in range(11):
        p = _patient(cast.team_a, f"x{i:02d}", date(2026, 6, 8))
        _schedule(p)
        _respond(p, "phq9", 0)
    login(client, cast.clinician)
    a = _team(client.get(URL).context["clinic"], "Team A")
    (phq9,) = _month(a, JUNE).by_instrument
    assert (phq9.baseline.numerator, phq9.baseline.denominator) == (0, 11)


def test_suppression_is_below_11_patients_exactly():
    assert str(clinic.Rate(10, 10)) == "<11"
    assert clinic.Rate(10, 10).pct is None
    assert str(clinic.Rate(0, 11)) == "0/11 (0%)"
    assert str(clinic.Rate(0, 0)) == "—"
    assert str(clinic.Rate(0, 0, waiting=True)) == "not yet"
    # Reminders: suppressed by the patients behind them, not by the number of prompts.
    assert str(clinic.Rate(30, 40, patients=10)) == "<11"
    assert str(clinic.Rate(30, 40, patients=11)) == "30/40 (75%)"
    assert str(clinic.PatientCount(1)) == "<11" and str(clinic.PatientCount(11)) == "11"
    assert str(clinic.PatientCount(0)) == "0"


def test_the_csv_holds_the_same_table_suppressed_alike(client, cohort):
    login(client, cohort.clinician)
    response = client.get(URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mitra-clinic-2026-06-15.csv"'
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == clinic.CSV_COLUMNS
    assert ["Team A", "enrolled", "", "2026-03", "12", "", "", ""] in rows
    assert ["Team A", "baseline_within_7_days", "phq9", "2026-03", "12", "9", "12", "75"] in rows
    assert ["Team A", "repeat_measurement", "phq9", "2026-03", "12", "7", "12", "58"] in rows
    assert ["Team A", "baseline_within_7_days", "gad7", "2026-03", "<11", "", "", ""] in rows
    assert ["Team A", "baseline_within_7_days", "phq9", "2026-06", "0", "0", "0", ""] in rows
    assert ["Team A", "baseline_within_7_days", "phq9", "last 12 months", "12", "9", "12",
            "75"] in rows
    assert ["Team A", "reminders_answered_30_days", "diary", "", "12", "36", "48", "75"] in rows
    assert not any(r[0] == "Team B" for r in rows)
    # 12 months and the total, each an enrolment row and two rows per instrument, + 2 forms.
    assert len(rows) == 1 + 13 * (1 + 2 * 2) + 2


def test_a_team_name_never_runs_as_a_formula_in_a_spreadsheet(client):
    cast = make_cast()
    team = CareTeam.objects.create(name="=HYPERLINK(1)")
    Membership.objects.create(team=team, user=cast.clinician)
    login(client, cast.clinician)
    rows = list(csv.reader(io.StringIO(client.get(URL, {"format": "csv"}).content.decode())))
    assert {r[0] for r in rows[1:]} == {"'=HYPERLINK(1)", "Team A"}


def test_a_bad_format_is_a_400_naming_it(client):
    cast = make_cast()
    login(client, cast.clinician)
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 400
    assert "format: &#x27;xlsx&#x27; is not allowed; allowed values: html, csv" in \
        response.content.decode()


def test_another_teams_clinician_sees_none_of_team_as_figures(client, cohort):
    login(client, cohort.other_clinician)
    response = client.get(URL)
    figures = response.context["clinic"]
    assert [t.team.name for t in figures.teams] == ["Team B"]
    b = figures.teams[0]
    assert str(_month(b, MARCH).enrolled) == "<11"
    assert str(b.prompts["diary"]) == "<11"  # three patients' reminders
    body = response.content.decode()
    assert "Team A" not in body and "9/12" not in body and "36/48" not in body
    rows = list(csv.reader(io.StringIO(client.get(URL, {"format": "csv"}).content.decode())))
    assert {r[0] for r in rows[1:]} == {"Team B"}
    assert MARKER not in body


def test_a_patient_on_two_teams_counts_in_each_and_only_their_own_teams_show(client, cohort):
    shared = Patient.objects.get(pseudonym="T-m00")
    cohort.team_b.patients.add(shared)
    login(client, cohort.other_clinician)
    b = client.get(URL).context["clinic"].teams[0]
    assert _month(b, MARCH).enrolled.n == 4
    # Team B's 3 x 4 missed reminders and the shared patient's 4 (3 answered), once each.
    assert (b.prompts["diary"].numerator, b.prompts["diary"].denominator) == (3, 16)
    login(client, cohort.clinician)
    a = _team(client.get(URL).context["clinic"], "Team A")
    assert _month(a, MARCH).enrolled.n == 12  # Team B's own three never join Team A's
    assert str(a.prompts["diary"]) == "36/48 (75%)"


def test_a_care_team_admin_sees_their_teams_figures_and_no_patient(client, cohort):
    login(client, cohort.admin)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["clinic"].teams == []
    assert "not a member of any care team" in response.content.decode()
    Membership.objects.create(team=cohort.team_a, user=cohort.admin)
    response = client.get(URL)
    a = _team(response.context["clinic"], "Team A")
    assert str(a.totals[1].baseline) == "9/12 (75%)"
    body = response.content.decode()
    assert "Clinic m00" not in body and "T-m00" not in body  # figures only


def test_a_clinicians_teams_hold_exactly_the_patients_they_may_read(cohort):
    teams = clinic.clinic_teams_for_user(cohort.clinician)
    on_teams = set(Patient.objects.filter(care_teams__in=teams).values_list("pk", flat=True))
    assert on_teams == set(patients_for_user(cohort.clinician).values_list("pk", flat=True))
    assert not clinic.clinic_teams_for_user(cohort.researcher).exists()
    assert not clinic.clinic_teams_for_user(cohort.patient_user).exists()


def _more(team, n: int, offset: int) -> None:
    for i in range(offset, offset + n):
        p = _patient(team, f"q{i:03d}", date(2026, 2, 1) + timedelta(days=i % 90))
        _schedule(p)
        _schedule(p, "gad7")
        _respond(p, "phq9", 1, 20)
        add_prompts(p, "aam", now=NOW)


def test_the_number_of_queries_does_not_grow_with_the_patients(client):
    cast = make_cast()
    _more(cast.team_a, 3, 0)
    login(client, cast.clinician)
    client.get(URL)  # warm the session
    with CaptureQueriesContext(connection) as three:
        client.get(URL)
    _more(cast.team_a, 27, 3)
    _more(cast.team_b, 5, 30)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(URL)
    assert len(thirty) == len(three), (len(three), len(thirty))
    # The figures themselves: the teams, the enrolments, the schedules with their responses,
    # the reminders.
    with CaptureQueriesContext(connection) as figures:
        clinic.build_clinic(clinic.clinic_teams_for_user(cast.clinician), TODAY, NOW)
    assert len(figures) == 4
    a = _team(response.context["clinic"], "Team A")
    assert a.total_enrolled.n == 31  # and the cast's own patient
    assert a.prompts["diary"].patients == 30
