"""What is due and what is overdue: pure functions of the schedules and the responses.

A repeating schedule is due on `start + k * every_days`; the current occurrence is the latest
one not after today, and it is done when a response to that instrument arrives on or after that
day. Missed earlier occurrences do not pile up: the patient is asked for the current one only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max, QuerySet
from django.utils import timezone

from mitra.measures.library import Instrument, get_instrument
from mitra.measures.models import Response, Schedule

# A workflow setting, not a clinical threshold: a fortnightly questionnaire done a day or two
# late is routine; after three days the care team sees it as overdue.
OVERDUE_AFTER_DAYS = 3


@dataclass(frozen=True)
class Due:
    schedule: Schedule
    due_on: date
    days_late: int

    @property
    def instrument(self) -> Instrument:
        return get_instrument(self.schedule.instrument)

    @property
    def overdue(self) -> bool:
        return self.days_late > OVERDUE_AFTER_DAYS


def current_occurrence(schedule: Schedule, today: date) -> date | None:
    if schedule.start > today:
        return None
    if not schedule.every_days:
        return schedule.start
    periods = (today - schedule.start).days // schedule.every_days
    return schedule.start + timedelta(days=periods * schedule.every_days)


def _pending(schedules, last_done: dict[tuple[int, str], date], today: date) -> list[Due]:
    pending = []
    for schedule in schedules:
        due_on = current_occurrence(schedule, today)
        if due_on is None:
            continue
        done = last_done.get((schedule.patient_id, schedule.instrument))
        if done is not None and done >= due_on:
            continue
        pending.append(Due(schedule, due_on, (today - due_on).days))
    return pending


def _last_done(responses: QuerySet[Response]) -> dict[tuple[int, str], date]:
    rows = responses.values("patient_id", "instrument").annotate(last=Max("submitted_at"))
    return {
        (row["patient_id"], row["instrument"]): timezone.localtime(row["last"]).date()
        for row in rows
    }


def due_for_patient(patient, today: date, *, self_report_only: bool = False) -> list[Due]:
    """The patient's questionnaires due today (including overdue ones), oldest first."""
    schedules = list(Schedule.objects.filter(patient=patient, active=True, start__lte=today))
    if self_report_only:
        # Clinician-rated instruments (COWS) are never offered to the patient as a form.
        schedules = [
            s for s in schedules if get_instrument(s.instrument).administration == "self_report"
        ]
    last = _last_done(Response.objects.filter(patient=patient))
    pending = _pending(schedules, last, today)
    return sorted(pending, key=lambda d: (d.due_on, d.schedule.instrument))


def overdue(today: date, patients: QuerySet | None = None) -> list[Due]:
    """Every overdue questionnaire (for these patients, if given), most overdue first."""
    schedules = Schedule.objects.filter(active=True, start__lte=today).select_related("patient")
    responses = Response.objects.all()
    if patients is not None:
        schedules = schedules.filter(patient__in=patients)
        responses = responses.filter(patient__in=patients)
    pending = _pending(schedules, _last_done(responses), today)
    return sorted((d for d in pending if d.overdue), key=lambda d: (-d.days_late, d.schedule.pk))
