"""Schedules (what a patient is asked to complete, how often) and responses (what they answered).

The instrument definitions live in the versioned data files (`library.py`); rows store the
instrument id and the data-file version that scored them, so a later file can never re-score
history silently.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models

from mitra.measures.library import get_instrument


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
    window_minutes = models.PositiveIntegerField(default=3 * 24 * 60)
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

    @property
    def cadence_label(self) -> str:
        if not self.every_days:
            return "once"
        if self.every_days == 7:
            return "weekly"
        if self.every_days == 14:
            return "every 2 weeks"
        return f"every {self.every_days} days"

    @property
    def instrument_def(self):
        return get_instrument(self.instrument)


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
