"""Schedules (what a patient is asked to complete, how often) and responses (what they answered).

The instrument definitions live in the versioned data files (`library.py`); rows store the
instrument id and the data-file version that scored them, so a later file can never re-score
history silently.
"""

from __future__ import annotations

import datetime
import uuid
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models

from mitra.measures import recurrence
from mitra.measures.library import get_instrument

if TYPE_CHECKING:
    from mitra.patients.models import Patient

# The answer window a schedule gets unless it says otherwise: a workflow setting, not a clinical
# threshold. A fortnightly questionnaire done a day or two late is routine; once three days
# have passed since its time on the due day, the care team sees it as overdue.
DEFAULT_WINDOW_MINUTES = 3 * 24 * 60


class ScheduleQuerySet(models.QuerySet):
    def questionnaires(self) -> ScheduleQuerySet:
        """Schedules of an instrument (the questionnaire readers: due, overdue, caseload)."""
        return self.filter(form=Schedule.Form.QUESTIONNAIRE)

    def diaries(self) -> ScheduleQuerySet:
        return self.filter(form=Schedule.Form.DIARY)


class Schedule(models.Model):
    """When a patient is asked for a questionnaire or for the diary, in the patient's own time.

    Occurrences fall on local days (`start`, then by `cadence`); each is prompted at
    `time_of_day` in the patient's time zone (plus a seeded random offset of up to
    `random_minutes`), and its prompt expires `window_minutes` later. The rule itself lives in
    `mitra.measures.recurrence` (plain Python).
    """

    class Form(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        DIARY = "diary", "Diary"

    class Cadence(models.TextChoices):
        ONCE = "once", "Once"
        INTERVAL = "interval", "Every N days"
        WEEKDAYS = "weekdays", "Chosen weekdays"

    class Anchor(models.TextChoices):
        DATE = "date", "A date"
        ENROLMENT = "enrolment", "Enrolment"
        TAPER_START = "taper_start", "Start of the taper plan"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="measure_schedules"
    )
    form = models.CharField(max_length=16, choices=Form.choices, default=Form.QUESTIONNAIRE)
    # An instrument id of the library; blank for the diary.
    instrument = models.CharField(max_length=32, blank=True)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.INTERVAL)
    # Cadence INTERVAL: due again every N days from `start` (1: daily). None for the others.
    every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Cadence WEEKDAYS: ISO weekday numbers as digits, Monday 1 .. Sunday 7 ("135": Mon Wed Fri).
    weekdays = models.CharField(max_length=7, blank=True)
    # The first local day; with an anchor other than DATE, worked out from it + offset_days.
    start = models.DateField()
    anchor = models.CharField(max_length=16, choices=Anchor.choices, default=Anchor.DATE)
    offset_days = models.SmallIntegerField(default=0)
    time_of_day = models.TimeField(default=datetime.time(9, 0))
    window_minutes = models.PositiveIntegerField(default=DEFAULT_WINDOW_MINUTES)
    random_minutes = models.PositiveSmallIntegerField(default=0)
    # The care pathway that made it ("anxiety"), blank when assigned by hand.
    pathway = models.CharField(max_length=32, blank=True)
    # The next prompt to plan (UTC), kept by the planner: periodic jobs select due schedules by
    # this indexed column instead of scanning every patient. None: nothing left to plan.
    next_fire_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["instrument", "start"]
        indexes = [
            # What is due for one patient; what is overdue across active schedules.
            models.Index(fields=["patient", "active"], name="schedule_patient_active"),
            models.Index(fields=["next_fire_at"], name="schedule_next_fire",
                         condition=models.Q(active=True, next_fire_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.instrument or self.form} {self.cadence_label}"

    @cached_property
    def rule(self) -> recurrence.Rule:
        """The recurrence rule of this row (`schedules.rule_of`); not refreshed by a later
        change of the fields on the same instance (they never change after creation)."""
        return rule_of(self)

    @property
    def cadence_label(self) -> str:
        """The rule in words: "every 2 weeks at 09:00", "daily at 20:00", "once at 09:00"."""
        return recurrence.describe(self.rule)

    @property
    def window_label(self) -> str:
        """The answer window in words: "3 days", "12 hours", "90 minutes"."""
        minutes = self.window_minutes
        for size, unit in ((24 * 60, "day"), (60, "hour")):
            if minutes % size == 0:
                n = minutes // size
                return f"{n} {unit}{'s' if n != 1 else ''}"
        return f"{minutes} minute{'s' if minutes != 1 else ''}"

    @property
    def label(self) -> str:
        """What is asked, in words: the instrument's short name, or "Diary"."""
        if self.form == self.Form.DIARY:
            return "Diary"
        return get_instrument(self.instrument).short_name if self.instrument else ""

    @property
    def instrument_def(self):
        return get_instrument(self.instrument)


def rule_of(schedule: Schedule) -> recurrence.Rule:
    """The schedule's recurrence rule (plain Python), read by the planner, the due rule and the
    pages. The seed of the random offset is the schedule's UUID.

    Read leniently, so that a page never fails on a stored row: a legacy row of cadence
    INTERVAL without `every_days` (made before cadences existed) is a one-off, as the
    migration that added cadences reads it; weekday digits outside 1-7 are left out. Rows
    written through the actions are valid (`recurrence.validate`)."""
    return make_rule(
        cadence=schedule.cadence, start=schedule.start, time_of_day=schedule.time_of_day,
        window_minutes=schedule.window_minutes, every_days=schedule.every_days,
        weekdays=schedule.weekdays, random_minutes=schedule.random_minutes,
        seed=str(schedule.uuid),
    )


def zone_of(patient: Patient) -> ZoneInfo:
    """The patient's own time zone (`recurrence.RuleError` naming `time_zone` for a name the
    tz database does not know)."""
    return recurrence.zone(patient.time_zone)


def make_rule(*, cadence: str, start: datetime.date, time_of_day: datetime.time,
              window_minutes: int, every_days: int | None, weekdays: str,
              random_minutes: int = 0, seed: str = "") -> recurrence.Rule:
    """`rule_of` from the stored values (a bulk read has no model instances)."""
    if cadence == recurrence.INTERVAL and not every_days:
        cadence = recurrence.ONCE
    days = (frozenset(int(d) for d in weekdays if d in "1234567")
            if weekdays and cadence == recurrence.WEEKDAYS else _NO_DAYS)
    # Positional, and the window from a small cache: the caseload makes thousands of these.
    return recurrence.Rule(cadence, start, time_of_day, _window(window_minutes),
                           every_days if cadence == recurrence.INTERVAL else None, days,
                           random_minutes, seed)


_NO_DAYS: frozenset[int] = frozenset()


@lru_cache(maxsize=256)
def _window(minutes: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=minutes)


class Response(models.Model):
    # Made by the client (the form page, an API caller): a resubmission carries the same UUID.
    uuid = models.UUIDField(unique=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="measure_responses"
    )
    instrument = models.CharField(max_length=32)
    instrument_version = models.CharField(max_length=32)
    # {link_id: value or null} for every item, scored or not, as submitted.
    answers = models.JSONField()
    # Measured readings an answer was worked out from ({link_id: reading}; COWS item 1: the
    # resting pulse in beats/minute), kept so the clinician sees the measurement, not only the
    # band it scored.
    readings = models.JSONField(default=dict, blank=True)
    # Scored fields, computed by scoring.score() from the answers and the data file version.
    total = models.FloatField(null=True, blank=True)
    max_total = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=64, blank=True)
    complete = models.BooleanField()
    prorated = models.BooleanField(default=False)
    scoring_method = models.CharField(max_length=16)
    alerts = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at"]
        indexes = [
            # Score history per patient and instrument; last response for due/overdue.
            models.Index(fields=["patient", "instrument", "submitted_at"],
                         name="response_history"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total_display}"

    @property
    def instrument_def(self):
        return get_instrument(self.instrument)

    @property
    def total_display(self) -> str:
        if self.total is None:
            return "not scored"
        if self.total == int(self.total):
            return str(int(self.total))
        # Prorated totals are kept unrounded; two decimals are enough to read.
        return f"{self.total:.2f}"

    @property
    def readings_display(self) -> list[str]:
        """The measured readings in words ("resting pulse 92 beats/minute")."""
        items = {item.link_id: item for item in self.instrument_def.items}
        out = []
        for link_id, reading in (self.readings or {}).items():
            m = items[link_id].measurement if link_id in items else None
            out.append(f"{m.label.lower()} {reading} {m.unit}" if m else f"{link_id} {reading}")
        return out
