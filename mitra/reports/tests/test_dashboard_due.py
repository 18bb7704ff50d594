"""The dashboard's "next questionnaire" is the measures app's rule, not a copy of it.

The caseload reads every patient's schedules in one query (`schedules.next_due_by_patient`);
the patient pages read one patient's (`due_for_patient`) and the alert job every overdue one
(`overdue`, through `raise_overdue_alerts`). For a set of schedules, answered just before or
just after local midnight of the due day, in two time zones, all of them must say the same
thing, and what they say is written out here by hand.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from mitra.measures.actions import raise_overdue_alerts
from mitra.measures.models import Response
from mitra.measures.schedules import due_for_patient, next_due_by_patient, overdue
from mitra.patients.models import Patient
from mitra.reports.dashboard.summary import summarise
from mitra.reports.tests.helpers import add_schedule, add_scores
from mitra.safety.models import Alert
from mitra.testing import make_cast, make_patient

pytestmark = pytest.mark.django_db


def answered(patient: Patient, instrument: str, day: date, clock: time) -> None:
    """A response to `instrument` at `clock` local time on `day`."""
    row = add_scores(patient, instrument, [5], last_day=day)[0]
    at = datetime.combine(day, clock, tzinfo=timezone.get_current_timezone())
    Response.objects.filter(uuid=row.uuid).update(submitted_at=at)


def stories(team, today: date) -> dict[str, tuple]:
    """Patient name -> (due day, days late, overdue, short names) of the next questionnaire;
    a due day with days late None is one still ahead; None: no next questionnaire."""
    d = timedelta
    lee = make_patient("due_lee", "Lee Never", team)
    add_schedule(lee, "phq9", today - d(days=20))  # current occurrence today-6, never answered
    ann = make_patient("due_ann", "Ann Justafter", team)
    add_schedule(ann, "phq9", today - d(days=20))
    answered(ann, "phq9", today - d(days=6), time(0, 5))  # on the due day: done
    bob = make_patient("due_bob", "Bob Justbefore", team)
    add_schedule(bob, "phq9", today - d(days=20))
    answered(bob, "phq9", today - d(days=7), time(23, 55))  # the evening before: not done
    cat = make_patient("due_cat", "Cat Twoatonce", team)
    add_schedule(cat, "gad7", today - d(days=2), every=None)
    add_schedule(cat, "phq9", today - d(days=2), every=7)
    dan = make_patient("due_dan", "Dan Doneonce", team)
    add_schedule(dan, "auditc", today - d(days=30), every=None)
    answered(dan, "auditc", today - d(days=10), time(9))
    eve = make_patient("due_eve", "Eve Later", team)
    add_schedule(eve, "phq9", today + d(days=5))
    fay = make_patient("due_fay", "Fay Stopped", team)
    stopped = add_schedule(fay, "phq9", today - d(days=30))
    stopped.active = False
    stopped.save()
    gus = make_patient("due_gus", "Gus Oldestfirst", team)
    add_schedule(gus, "phq9", today - d(days=20))  # today-6
    add_schedule(gus, "gad7", today - d(days=2), every=7)  # today-2
    return {
        "Lee Never": (today - d(days=6), 6, True, "PHQ-9"),
        "Ann Justafter": (today + d(days=8), None, False, "PHQ-9"),
        "Bob Justbefore": (today - d(days=6), 6, True, "PHQ-9"),
        "Cat Twoatonce": (today - d(days=2), 2, False, "GAD-7, PHQ-9"),
        "Dan Doneonce": None,
        "Eve Later": (today + d(days=5), None, False, "PHQ-9"),
        "Fay Stopped": None,
        "Gus Oldestfirst": (today - d(days=6), 6, True, "PHQ-9"),
    }


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
def test_the_dashboard_says_what_the_measures_rule_says(zone):
    with timezone.override(ZoneInfo(zone)):
        cast = make_cast()
        today = timezone.localdate()
        expected = stories(cast.team_a, today)
        patients = Patient.objects.filter(display_name__in=expected)
        # The rule reads days in the patient's own zone: here the same as the site's.
        patients.update(time_zone=zone)
        rows = {r.display_name: r for r in summarise(patients, today, diary=False)}
        by_pk = next_due_by_patient(patients.values("pk"), today)
        for name, want in expected.items():
            row = rows[name]
            patient = patients.get(display_name=name)
            pending = due_for_patient(patient, today)
            if want is None:
                assert (row.next_due, row.next_due_on, row.next_due_instrument) == (None, None, "")
                assert patient.pk not in by_pk and pending == []
                continue
            on, late, is_overdue, short_names = want
            assert (row.next_due_on, row.next_due_instrument, row.overdue) == (
                on, short_names, is_overdue), name
            assert by_pk[patient.pk].on == on
            if late is None:
                assert row.next_due is None and pending == [], name
                continue
            assert (row.next_due.due_on, row.next_due.days_late) == (on, late), name
            # The per-patient reading (the patient's pages) agrees: oldest first.
            assert (pending[0].due_on, pending[0].days_late) == (on, late), name
            assert {d.instrument.short_name for d in pending if d.due_on == on} == set(
                short_names.split(", ")), name
        late_names = {n for n, w in expected.items() if w and w[2]}
        assert {d.schedule.patient.display_name for d in overdue(today, patients)} == late_names
        assert {name for name, row in rows.items() if row.overdue} == late_names
        # The alert job raises one OVERDUE_MEASURE alert for exactly these patients.
        raise_overdue_alerts(today)
        alerted = set(Alert.objects.filter(kind=Alert.Kind.OVERDUE_MEASURE, patient__in=patients)
                      .values_list("patient__display_name", flat=True))
        assert alerted == late_names
