"""What is due and what is overdue: the one home of that rule, for every page, job and API.

A repeating schedule is due on `start + k * every_days`; the current occurrence is the latest
one not after today, and it is done when a response to that instrument arrives on or after that
day (the local day of the response). Missed earlier occurrences do not pile up: the patient is
asked for the current one only.

The rule is `answered` and `pending` (with `current_occurrence` and `following_occurrence`);
the rest are its readings: one patient's list (`due_for_patient`: the patient's pages and home
card), every overdue occurrence (`overdue`: the overdue page and the OVERDUE_MEASURE alert job),
and each patient's next questionnaire for a caseload (`next_due_by_patient`: the dashboard).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from mitra.measures import recurrence
from mitra.measures.library import Instrument, get_instrument
from mitra.measures.models import Response, Schedule
from mitra.patients.models import Patient

# A workflow setting, not a clinical threshold: a fortnightly questionnaire done a day or two
# late is routine; after three days the care team sees it as overdue.
OVERDUE_AFTER_DAYS = 3


def rule_of(schedule: Schedule) -> recurrence.Rule:
    """The schedule's recurrence rule (plain Python): what the planner, the due rule and the
    pages read. The seed of the random offset is the schedule's UUID. A legacy row of cadence
    INTERVAL without `every_days` (made before cadences existed) is read as a one-off, as the
    migration that added cadences reads it."""
    cadence = schedule.cadence
    if cadence == recurrence.INTERVAL and not schedule.every_days:
        cadence = recurrence.ONCE
    return recurrence.Rule(
        cadence=cadence,
        start=schedule.start,
        time_of_day=schedule.time_of_day,
        window=timedelta(minutes=schedule.window_minutes),
        every_days=schedule.every_days if cadence == recurrence.INTERVAL else None,
        weekdays=(recurrence.parse_weekdays(schedule.weekdays)
                  if cadence == recurrence.WEEKDAYS else frozenset()),
        random_minutes=schedule.random_minutes,
        seed=str(schedule.uuid),
    )


def zone_of(patient: Patient) -> ZoneInfo:
    """The patient's own time zone (`recurrence.RuleError` naming `time_zone` if unknown)."""
    return recurrence.zone(patient.time_zone)


@dataclass(frozen=True)
class ScheduleFields:
    """The fields of a Schedule the rule reads, without a model instance (the caseload reads
    them as plain values: a thousand patients' schedules in one query)."""

    patient_id: int
    instrument: str
    every_days: int | None
    start: date


# What the rule reads of a schedule (patient_id, instrument, every_days, start): a `Schedule`,
# or `ScheduleFields` for a bulk read; a `Due` keeps the kind it was made from.
S = TypeVar("S", Schedule, ScheduleFields)


@dataclass(frozen=True)
class Due(Generic[S]):
    schedule: S
    due_on: date
    days_late: int

    @property
    def instrument(self) -> Instrument:
        return get_instrument(self.schedule.instrument)

    @property
    def overdue(self) -> bool:
        return self.days_late > OVERDUE_AFTER_DAYS


@dataclass(frozen=True)
class NextDue:
    """A patient's next questionnaire: the most overdue occurrence still pending or, when
    nothing is pending, the soonest one ahead."""

    on: date
    instruments: tuple[str, ...]  # every instrument pending (or ahead) on that day, sorted
    # The most overdue pending occurrence; None when `on` is still ahead.
    pending: Due[ScheduleFields] | None


def current_occurrence(schedule: Schedule | ScheduleFields, today: date) -> date | None:
    if schedule.start > today:
        return None
    if not schedule.every_days:
        return schedule.start
    periods = (today - schedule.start).days // schedule.every_days
    return schedule.start + timedelta(days=periods * schedule.every_days)


def following_occurrence(schedule: Schedule | ScheduleFields, today: date) -> date | None:
    """The first occurrence after the current one: the start while it is still ahead; None for
    a one-off that has begun."""
    return _following(schedule, current_occurrence(schedule, today))


def _following(schedule: Schedule | ScheduleFields, current: date | None) -> date | None:
    if current is None:
        return schedule.start
    if schedule.every_days:
        return current + timedelta(days=schedule.every_days)
    return None


def answered(due_on: date, last_done: date | None) -> bool:
    """The rule itself: an occurrence is done once a response (`last_done`, the local day of
    the latest) arrives on or after the day it was due."""
    return last_done is not None and last_done >= due_on


def pending(schedule: S, last_done: date | None, today: date) -> Due[S] | None:
    """The schedule's current occurrence while it waits for an answer; None when none is due
    yet or it is `answered`."""
    due_on = current_occurrence(schedule, today)
    if due_on is None or answered(due_on, last_done):
        return None
    return Due(schedule, due_on, (today - due_on).days)


def next_due(schedules: Iterable[tuple[ScheduleFields, date | None]], today: date
             ) -> NextDue | None:
    """One patient's next questionnaire from (schedule, last response day) pairs."""
    waiting: list[Due[ScheduleFields]] = []
    ahead: list[tuple[date, str]] = []
    for schedule, last_done in schedules:
        # `pending` and `following_occurrence` in one pass: the current occurrence once.
        current = current_occurrence(schedule, today)
        if current is not None and not answered(current, last_done):
            waiting.append(Due(schedule, current, (today - current).days))
            continue
        upcoming = _following(schedule, current)
        if upcoming is not None:
            ahead.append((upcoming, schedule.instrument))
    if waiting:
        first = min(waiting, key=lambda d: d.due_on)
        # Everything pending on the most overdue day is named, not just one instrument.
        names = {d.schedule.instrument for d in waiting if d.due_on == first.due_on}
        return NextDue(first.due_on, tuple(sorted(names)), first)
    if ahead:
        on = min(day for day, _i in ahead)
        return NextDue(on, tuple(sorted({i for day, i in ahead if day == on})), None)
    return None


def _local_day(instant: datetime | None, tz: tzinfo) -> date | None:
    # `astimezone` with the zone looked up once: `timezone.localdate` per row looks it up each
    # time, several times slower over a caseload's thousands of schedules.
    return None if instant is None else instant.astimezone(tz).date()


def _pending(schedules: Iterable[S], last_done: dict[tuple[int, str], date],
             today: date) -> list[Due[S]]:
    found = (pending(s, last_done.get((s.patient_id, s.instrument)), today) for s in schedules)
    return [due for due in found if due is not None]


def _last_done(responses: QuerySet[Response]) -> dict[tuple[int, str], date]:
    rows = responses.values("patient_id", "instrument").annotate(last=Max("submitted_at"))
    tz = timezone.get_current_timezone()
    # Max over a group's rows: never None.
    return {(row["patient_id"], row["instrument"]): row["last"].astimezone(tz).date()
            for row in rows}


def due_for_patient(patient: Patient, today: date, *, self_report_only: bool = False
                    ) -> list[Due[Schedule]]:
    """The patient's questionnaires due today (including overdue ones), oldest first."""
    schedules = list(Schedule.objects.filter(patient=patient, active=True, start__lte=today))
    if self_report_only:
        # Clinician-rated instruments (COWS) are never offered to the patient as a form.
        schedules = [
            s for s in schedules if get_instrument(s.instrument).administration == "self_report"
        ]
    last = _last_done(Response.objects.filter(patient=patient))
    found = _pending(schedules, last, today)
    return sorted(found, key=lambda d: (d.due_on, d.schedule.instrument))


def overdue(today: date, patients: QuerySet[Patient] | None = None) -> list[Due[Schedule]]:
    """Every overdue questionnaire (for these patients, if given), most overdue first."""
    schedules = Schedule.objects.filter(active=True, start__lte=today).select_related("patient")
    responses = Response.objects.all()
    if patients is not None:
        schedules = schedules.filter(patient__in=patients)
        responses = responses.filter(patient__in=patients)
    found = _pending(schedules, _last_done(responses), today)
    return sorted((d for d in found if d.overdue), key=lambda d: (-d.days_late, d.schedule.pk))


def next_due_by_patient(patients: QuerySet, today: date) -> dict[int, NextDue]:
    """Each patient's next questionnaire (patients without a schedule left out), in one query
    whatever the number of patients: the last response of each schedule's instrument comes
    along by subquery."""
    last_response = Subquery(
        Response.objects.filter(patient=OuterRef("patient_id"), instrument=OuterRef("instrument"))
        .order_by("-submitted_at").values("submitted_at")[:1]
    )
    rows = (
        Schedule.objects.filter(patient__in=patients, active=True).annotate(last=last_response)
        .values_list("patient_id", "instrument", "every_days", "start", "last")
    )
    tz = timezone.get_current_timezone()
    by_patient: dict[int, list[tuple[ScheduleFields, date | None]]] = defaultdict(list)
    for patient_id, instrument, every_days, start, last in rows:
        fields = ScheduleFields(patient_id, instrument, every_days, start)
        by_patient[patient_id].append((fields, _local_day(last, tz)))
    found = {pk: next_due(items, today) for pk, items in by_patient.items()}
    return {pk: nd for pk, nd in found.items() if nd is not None}
