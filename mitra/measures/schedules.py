"""What is due and what is overdue: the one home of that rule, for every page, job and API.

A schedule's occurrences are the local days of its recurrence rule (`recurrence`: every N days
from `start`, chosen weekdays, or once), in the patient's own time zone. The current occurrence
is the latest one not after the patient's today, and it is done when a response to that
instrument arrives on or after that day (the local day of the response, in the patient's zone).
Missed earlier occurrences do not pile up: the patient is asked for the current one only.

Overdue follows the answer windows: the current occurrence is overdue once its window has
closed unanswered, the window running from the schedule's time of day on the due day (local)
for `window_minutes`. The default, 3 days from 09:00, makes a questionnaire overdue on the
third morning after its due day (before windows: from the fourth day on).

Only questionnaire schedules are read here (`Schedule.objects.questionnaires()`); a diary
schedule prompts the diary, whose missed days have their own alert.

The rule is `answered` and `pending` (with `current_occurrence` and `following_occurrence`);
the rest are its readings: one patient's list (`due_for_patient`: the patient's pages and home
card), every overdue occurrence (`overdue`: the overdue page and the OVERDUE_MEASURE alert job),
and each patient's next questionnaire for a caseload (`next_due_by_patient`: the dashboard).
Each takes `today`, the caller's day, and reads the rule at `now` (`_moment`); a patient's own
today is `now` in their zone.

`rule_of(schedule)` and `zone_of(patient)` are what the reminder planner reads too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from mitra.measures import recurrence
from mitra.measures.library import Instrument, get_instrument
from mitra.measures.models import (
    DEFAULT_WINDOW_MINUTES,
    Response,
    Schedule,
    make_rule,
    rule_of,
    zone_of,
)
from mitra.patients.models import Patient

# The default answer window in days, as the caseload's legend says it.
OVERDUE_AFTER_DAYS = DEFAULT_WINDOW_MINUTES // (24 * 60)

__all__ = [
    "OVERDUE_AFTER_DAYS", "Due", "NextDue", "ScheduleFields", "answered", "current_occurrence",
    "due_for_patient", "following_occurrence", "next_due", "next_due_by_patient", "overdue",
    "pending", "rule_of", "zone_of",
]


@lru_cache(maxsize=512)
def _reading_zone(name: str) -> ZoneInfo:
    """`zone_of` for the readers: a stored zone that is no longer known (the tz database
    dropped it) reads as the site's zone rather than failing a caseload page."""
    try:
        return recurrence.zone(name)
    except recurrence.RuleError:
        default = timezone.get_default_timezone()
        return default if isinstance(default, ZoneInfo) else ZoneInfo("UTC")


@dataclass(frozen=True)
class ScheduleFields:
    """What the rule reads of a Schedule, without a model instance (the caseload reads them
    as plain values: a thousand patients' schedules in one query)."""

    patient_id: int
    instrument: str
    rule: recurrence.Rule
    tz: ZoneInfo


# What the rule reads of a schedule (patient_id, instrument, rule): a `Schedule`, or
# `ScheduleFields` for a bulk read; a `Due` keeps the kind it was made from.
S = TypeVar("S", Schedule, ScheduleFields)


@dataclass(frozen=True)
class Due(Generic[S]):
    schedule: S
    due_on: date
    days_late: int  # the patient's today minus the due day
    closes_at: datetime  # when the occurrence's answer window closes (UTC)
    overdue: bool  # the window had closed, unanswered, when this was read

    @property
    def instrument(self) -> Instrument:
        return get_instrument(self.schedule.instrument)


@dataclass(frozen=True)
class NextDue:
    """A patient's next questionnaire: the most overdue occurrence still pending or, when
    nothing is pending, the soonest one ahead."""

    on: date
    instruments: tuple[str, ...]  # every instrument pending (or ahead) on that day, sorted
    # The most overdue pending occurrence; None when `on` is still ahead.
    pending: Due[ScheduleFields] | None


def current_occurrence(schedule: Schedule | ScheduleFields, today: date) -> date | None:
    """The latest occurrence day not after `today` (the patient's local day)."""
    return recurrence.latest_day(schedule.rule, today)


def following_occurrence(schedule: Schedule | ScheduleFields, today: date) -> date | None:
    """The first occurrence after the current one: the first day while it is still ahead;
    None for a one-off that has begun."""
    return _following(schedule, current_occurrence(schedule, today))


def _following(schedule: Schedule | ScheduleFields, current: date | None) -> date | None:
    return recurrence.next_day(schedule.rule, current)


def answered(due_on: date, last_done: date | None) -> bool:
    """The rule itself: an occurrence is done once a response (`last_done`, the local day of
    the latest) arrives on or after the day it was due."""
    return last_done is not None and last_done >= due_on


def pending(schedule: S, last_done: date | None, today: date, now: datetime, tz: ZoneInfo
            ) -> Due[S] | None:
    """The schedule's current occurrence while it waits for an answer; None when none is due
    yet or it is `answered`. `today` is the patient's local day at `now`, in `tz`."""
    due_on = current_occurrence(schedule, today)
    if due_on is None or answered(due_on, last_done):
        return None
    return _due(schedule, due_on, today, now, tz)


def _due(schedule: S, due_on: date, today: date, now: datetime, tz: ZoneInfo) -> Due[S]:
    closes = recurrence.closes_at(schedule.rule, due_on, tz)
    return Due(schedule, due_on, (today - due_on).days, closes, closes <= now)


def next_due(schedules: Iterable[tuple[ScheduleFields, date | None]], today: date,
             now: datetime) -> NextDue | None:
    """One patient's next questionnaire from (schedule, last response day) pairs; `today` is
    the patient's local day at `now`."""
    waiting: list[tuple[date, ScheduleFields]] = []
    ahead: list[tuple[date, str]] = []
    for schedule, last_done in schedules:
        # `pending` and `following_occurrence` in one pass: the current occurrence once.
        current = current_occurrence(schedule, today)
        if current is not None and not answered(current, last_done):
            waiting.append((current, schedule))
            continue
        upcoming = _following(schedule, current)
        if upcoming is not None:
            ahead.append((upcoming, schedule.instrument))
    if waiting:
        on, first = min(waiting, key=lambda w: w[0])
        # Everything pending on the most overdue day is named, not just one instrument.
        names = {s.instrument for day, s in waiting if day == on}
        # Its window read once, for the one occurrence shown (a caseload has thousands).
        return NextDue(on, tuple(sorted(names)), _due(first, on, today, now, first.tz))
    if ahead:
        on = min(day for day, _i in ahead)
        return NextDue(on, tuple(sorted({i for day, i in ahead if day == on})), None)
    return None


def _moment(today: date, now: datetime | None) -> datetime:
    """The instant the readers read the rule at: `now` when given, else this moment moved to
    `today` (the caller's local day), so that a job or a test asking about another day sees it
    at the same clock time."""
    if now is not None:
        return now
    current = timezone.now()
    return current + timedelta(days=(today - timezone.localdate(current)).days)


def _local_day(instant: datetime | None, tz: ZoneInfo) -> date | None:
    return None if instant is None else instant.astimezone(tz).date()


def _last_done(responses: QuerySet[Response]) -> dict[tuple[int, str], datetime]:
    """The latest response instant per (patient, instrument); read as a local day in the
    patient's zone by whoever uses it."""
    rows = responses.values("patient_id", "instrument").annotate(last=Max("submitted_at"))
    return {(row["patient_id"], row["instrument"]): row["last"] for row in rows}


def due_for_patient(patient: Patient, today: date, *, self_report_only: bool = False,
                    now: datetime | None = None) -> list[Due[Schedule]]:
    """The patient's questionnaires due today (including overdue ones), oldest first."""
    now = _moment(today, now)
    tz = _reading_zone(patient.time_zone)
    local_today = now.astimezone(tz).date()
    schedules = list(Schedule.objects.questionnaires()
                     .filter(patient=patient, active=True, start__lte=local_today))
    if self_report_only:
        # Clinician-rated instruments (COWS) are never offered to the patient as a form.
        schedules = [
            s for s in schedules if get_instrument(s.instrument).administration == "self_report"
        ]
    last = _last_done(Response.objects.filter(patient=patient))
    found = (pending(s, _local_day(last.get((patient.pk, s.instrument)), tz), local_today,
                     now, tz) for s in schedules)
    return sorted((d for d in found if d is not None),
                  key=lambda d: (d.due_on, d.schedule.instrument))


def overdue(today: date, patients: QuerySet[Patient] | None = None, *,
            now: datetime | None = None) -> list[Due[Schedule]]:
    """Every overdue questionnaire (for these patients, if given), most overdue first."""
    now = _moment(today, now)
    # A day ahead of UTC covers every zone's today; the rule leaves out what has not begun.
    schedules = (Schedule.objects.questionnaires()
                 .filter(active=True, start__lte=now.astimezone(ZoneInfo("UTC")).date()
                         + timedelta(days=1))
                 .select_related("patient"))
    responses = Response.objects.all()
    if patients is not None:
        schedules = schedules.filter(patient__in=patients)
        responses = responses.filter(patient__in=patients)
    last = _last_done(responses)
    found: list[Due[Schedule]] = []
    local_today: dict[str, date] = {}
    for s in schedules:
        name = s.patient.time_zone
        tz = _reading_zone(name)
        if name not in local_today:
            local_today[name] = now.astimezone(tz).date()
        due = pending(s, _local_day(last.get((s.patient_id, s.instrument)), tz),
                      local_today[name], now, tz)
        if due is not None and due.overdue:
            found.append(due)
    return sorted(found, key=lambda d: (-d.days_late, d.schedule.pk))


def next_due_by_patient(patients: QuerySet, today: date, *, now: datetime | None = None
                        ) -> dict[int, NextDue]:
    """Each patient's next questionnaire (patients without a schedule left out), in one query
    whatever the number of patients: the last response of each schedule's instrument comes
    along by subquery, the patient's zone by join."""
    now = _moment(today, now)
    last_response = Subquery(
        Response.objects.filter(patient=OuterRef("patient_id"), instrument=OuterRef("instrument"))
        .order_by("-submitted_at").values("submitted_at")[:1]
    )
    rows = (
        Schedule.objects.questionnaires().filter(patient__in=patients, active=True)
        .annotate(last=last_response)
        .values_list("patient_id", "instrument", "cadence", "every_days", "weekdays", "start",
                     "time_of_day", "window_minutes", "patient__time_zone", "last")
    )
    by_patient: dict[int, list[tuple[ScheduleFields, date | None]]] = defaultdict(list)
    local_today: dict[int, date] = {}
    today_in: dict[str, date] = {}  # the local today of each zone met
    for (patient_id, instrument, cadence, every_days, weekdays, start, at, window, zone_name,
         last) in rows:
        tz = _reading_zone(zone_name)
        rule = make_rule(cadence=cadence, start=start, time_of_day=at, window_minutes=window,
                         every_days=every_days, weekdays=weekdays)
        by_patient[patient_id].append((ScheduleFields(patient_id, instrument, rule, tz),
                                       None if last is None else last.astimezone(tz).date()))
        if patient_id not in local_today:
            if zone_name not in today_in:
                today_in[zone_name] = now.astimezone(tz).date()
            local_today[patient_id] = today_in[zone_name]
    found = {pk: next_due(items, local_today[pk], now) for pk, items in by_patient.items()}
    return {pk: nd for pk, nd in found.items() if nd is not None}
