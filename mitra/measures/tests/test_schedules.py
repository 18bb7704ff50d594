"""The due rule on the recurrence rule: weekdays, the patient's own day and zone, answer
windows deciding what is overdue (across daylight-saving changes), diary schedules left out of
the questionnaire readers, and the bulk readers' fixed query counts.

Every reader is given `now` (an instant), so nothing depends on the hour the suite runs at.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mitra.measures import recurrence
from mitra.measures.actions import do_submit_response, raise_overdue_alerts
from mitra.measures.models import Response, Schedule, rule_of
from mitra.measures.schedules import (
    due_for_patient,
    next_due_by_patient,
    overdue,
    zone_of,
)
from mitra.patients.models import Patient
from mitra.safety.models import Alert
from mitra.testing import make_cast, make_patient

pytestmark = pytest.mark.django_db

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")


@pytest.fixture
def cast():
    return make_cast()


def in_zone(patient: Patient, name: str) -> Patient:
    Patient.objects.filter(pk=patient.pk).update(time_zone=name)
    patient.refresh_from_db()
    return patient


def schedule(patient, instrument="phq9", **fields) -> Schedule:
    fields.setdefault("every_days", 14)
    fields.setdefault("cadence", Schedule.Cadence.INTERVAL if fields["every_days"]
                      else Schedule.Cadence.ONCE)
    return Schedule.objects.create(patient=patient, instrument=instrument, **fields)


def answer(patient, instrument: str, at: datetime) -> None:
    answers = {"phq9": {f"phq9.q{n}": 0 for n in range(1, 10)},
               "gad7": {f"gad7.q{n}": 0 for n in range(1, 8)}}[instrument]
    response, _ = do_submit_response(patient, instrument=instrument, answers=answers,
                                     response_uuid=uuid.uuid4(), acting=patient.user)
    Response.objects.filter(pk=response.pk).update(submitted_at=at)


def local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def reading(patient, now: datetime):
    """(due_for_patient, overdue for the patient, next_due_by_patient) at `now`."""
    today = now.date()
    patients = Patient.objects.filter(pk=patient.pk)
    return (due_for_patient(patient, today, now=now), overdue(today, patients, now=now),
            next_due_by_patient(patients.values("pk"), today, now=now).get(patient.pk))


def test_rule_of_and_zone_of(cast):
    patient = in_zone(cast.patient, "Europe/Berlin")
    row = schedule(patient, cadence=Schedule.Cadence.WEEKDAYS, every_days=None,
                   weekdays="135", start=date(2026, 3, 1), time_of_day=time(20, 0),
                   window_minutes=120, random_minutes=30)
    row.refresh_from_db()
    rule = rule_of(row)
    assert rule == recurrence.Rule(recurrence.WEEKDAYS, date(2026, 3, 1), time(20, 0),
                                   timedelta(hours=2), None, frozenset({1, 3, 5}), 30,
                                   str(row.uuid))
    assert zone_of(patient) == BERLIN
    # A row from before cadences (interval without every_days) reads as a one-off.
    legacy = Schedule.objects.create(patient=patient, instrument="auditc",
                                     start=date(2026, 3, 1))
    assert rule_of(legacy).cadence == recurrence.ONCE
    assert legacy.cadence_label == "once at 09:00"
    Patient.objects.filter(pk=patient.pk).update(time_zone="Mars/Olympus")
    patient.refresh_from_db()
    with pytest.raises(recurrence.RuleError, match="time_zone"):
        zone_of(patient)


def test_a_weekday_schedule_is_due_on_its_latest_chosen_day(cast):
    patient = cast.patient  # UTC
    row = schedule(patient, cadence=Schedule.Cadence.WEEKDAYS, every_days=None,
                   weekdays="15", start=date(2026, 3, 1))  # Mondays and Fridays
    wednesday = local(date(2026, 3, 4), time(12), UTC)
    [due], [], nd = reading(patient, wednesday)
    assert (due.schedule.pk, due.due_on, due.days_late, due.overdue) == (
        row.pk, date(2026, 3, 2), 2, False)
    assert nd.on == date(2026, 3, 2) and nd.pending.due_on == date(2026, 3, 2)
    # Answered on the Monday: nothing due until Friday, which the caseload names.
    answer(patient, "phq9", local(date(2026, 3, 2), time(18), UTC))
    assert reading(patient, wednesday)[:2] == ([], [])
    assert reading(patient, wednesday)[2].on == date(2026, 3, 6)
    # Friday's occurrence replaces Monday's.
    [due], _, _ = reading(patient, local(date(2026, 3, 7), time(12), UTC))
    assert due.due_on == date(2026, 3, 6)


def test_overdue_follows_the_answer_window(cast):
    patient = in_zone(cast.patient, "Europe/Berlin")
    schedule(patient, start=date(2026, 3, 10))  # 09:00, the default window of 3 days
    closes = local(date(2026, 3, 13), time(9), BERLIN)
    [due], [], nd = reading(patient, closes - timedelta(seconds=1))
    assert (due.days_late, due.overdue, due.closes_at) == (3, False, closes)
    assert not nd.pending.overdue
    # At the closing instant it is overdue, on the third day late; before windows it was
    # overdue only from the fourth.
    [due], [late], nd = reading(patient, closes)
    assert due.overdue and late.due_on == date(2026, 3, 10) and late.days_late == 3
    assert nd.pending.overdue
    assert [a.reason[:5] for a in raise_overdue_alerts(closes.date(), now=closes)] == ["PHQ-9"]
    assert Alert.objects.get(kind=Alert.Kind.OVERDUE_MEASURE).dedupe_key.endswith("2026-03-10")


def test_a_short_window_is_overdue_the_same_evening(cast):
    patient = in_zone(cast.patient, "America/New_York")
    schedule(patient, every_days=1, start=date(2026, 3, 1), time_of_day=time(20),
             window_minutes=90)
    day = date(2026, 3, 10)
    assert reading(patient, local(day, time(21, 29), NEW_YORK))[1] == []
    [late] = reading(patient, local(day, time(21, 30), NEW_YORK))[1]
    assert (late.due_on, late.days_late) == (day, 0)


@pytest.mark.parametrize(("zone", "due_on", "closes_utc"), [
    # 09:00 EST on 6 March is 14:00 UTC; the window is 72 hours of elapsed time, so it closes
    # at 14:00 UTC on 9 March, 10:00 EDT (the clocks went forward on the 8th).
    ("America/New_York", date(2026, 3, 6), datetime(2026, 3, 9, 14, 0, tzinfo=UTC)),
    # 09:00 CEST on 23 October is 07:00 UTC; 72 hours later, after the change back on the
    # 25th, it is 08:00 CET.
    ("Europe/Berlin", date(2026, 10, 23), datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),
])
def test_windows_across_a_daylight_saving_change(cast, zone, due_on, closes_utc):
    patient = in_zone(cast.patient, zone)
    schedule(patient, start=due_on)
    before = reading(patient, closes_utc - timedelta(minutes=1))
    after = reading(patient, closes_utc)
    assert before[1] == [] and not before[0][0].overdue
    assert [d.due_on for d in after[1]] == [due_on] and after[0][0].overdue
    assert after[0][0].closes_at == closes_utc


def test_the_patients_own_day_decides_what_is_due(cast):
    """At one instant it is already Tuesday in Auckland and still Monday in New York."""
    kiwi = in_zone(make_patient("kiwi", "Kiri Auckland", cast.team_a), "Pacific/Auckland")
    yankee = in_zone(make_patient("yank", "Yan New York", cast.team_a), "America/New_York")
    tuesday = date(2026, 3, 10)
    for patient in (kiwi, yankee):
        schedule(patient, every_days=7, start=tuesday)
    now = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)  # Tue 11:00 in Auckland, Mon 18:00 in NY
    [due] = reading(kiwi, now)[0]
    assert (due.due_on, due.days_late) == (tuesday, 0)
    assert reading(yankee, now)[0] == []
    assert reading(yankee, now)[2].on == tuesday and reading(yankee, now)[2].pending is None
    # An answer at 00:30 Tuesday Auckland time (Monday 11:30 UTC) is a Tuesday answer there.
    answer(kiwi, "phq9", local(tuesday, time(0, 30), ZoneInfo("Pacific/Auckland")))
    assert reading(kiwi, now)[0] == []


def test_diary_schedules_are_not_questionnaires(cast):
    patient = cast.patient
    Schedule.objects.create(patient=patient, form=Schedule.Form.DIARY, every_days=1,
                            start=date(2026, 3, 1), time_of_day=time(20), window_minutes=60)
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    assert reading(patient, now) == ([], [], None)
    assert raise_overdue_alerts(now.date(), now=now) == []


def test_the_readers_query_counts_do_not_grow(cast):
    """due_for_patient: 2 queries; overdue: 2; next_due_by_patient: 1, whatever the number of
    patients, schedules and zones."""
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland"]
    patients = []
    for n in range(8):
        p = in_zone(make_patient(f"q{n}", f"Q Patient {n}", cast.team_a), zones[n % 4])
        schedule(p, "phq9", start=date(2026, 3, 1))
        schedule(p, "gad7", cadence=Schedule.Cadence.WEEKDAYS, every_days=None,
                 weekdays="246", start=date(2026, 3, 1))
        Schedule.objects.create(patient=p, form=Schedule.Form.DIARY, every_days=1,
                                start=date(2026, 3, 1))
        patients.append(p)
    everyone = Patient.objects.filter(pk__in=[p.pk for p in patients])
    with CaptureQueriesContext(connection) as caseload:
        found = next_due_by_patient(everyone.values("pk"), now.date(), now=now)
    assert len(caseload) == 1 and len(found) == 8
    with CaptureQueriesContext(connection) as late:
        rows = overdue(now.date(), everyone, now=now)
    assert len(late) == 2 and {d.schedule.patient_id for d in rows} == set(everyone.values_list(
        "pk", flat=True))
    with CaptureQueriesContext(connection) as one:
        due_for_patient(patients[0], now.date(), now=now)
    assert len(one) == 2
