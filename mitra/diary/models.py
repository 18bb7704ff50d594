"""Diary entries (versioned rows: an edit adds a version, never overwrites), use events, and
the clinician's taper plans."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from mitra.diary import taper
from mitra.diary.units import SUBSTANCES, UNITS

RATING = [MinValueValidator(0), MaxValueValidator(10)]

# Platform-authored items (instruments.yaml `kratom_ema_smith2024`: the study's own items were
# not seen, so these are labelled as Mitra's, not the study's).
MOTIVES = {
    "pain": "Pain",
    "energy": "Energy",
    "mood": "Mood",
    "anxiety": "Anxiety",
    "sleep": "Sleep",
    "avoid_withdrawal": "Avoiding withdrawal",
    "cut_down_opioids": "Cutting down other opioids",
    "other": "Other",
}


class DiaryEntryQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True)


class DiaryEntry(models.Model):
    """One version of a patient's diary for one day.

    Each submission is a row whose `uuid` the client made. The first for a day is version 1;
    a later submission for the same day is the next version and the previous one stops being
    current. Nothing is overwritten, so the history of every day is kept.
    """

    uuid = models.UUIDField(unique=True, editable=False)
    # No index of its own: diary_version_once (patient, date, version) serves every look-up
    # by patient and by patient and dates; one index fewer to write per submission.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="diary_entries",
        db_index=False,
    )
    date = models.DateField()
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    mood = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    anxiety = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    craving = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    sleep_quality = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    withdrawal = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    motives = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    # sha256 of the normalised submission: a repeat with the same UUID must match it.
    payload_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    objects = DiaryEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "date"], condition=Q(is_current=True),
                name="diary_one_current_entry_per_day",
            ),
            models.UniqueConstraint(fields=["patient", "date", "version"],
                                    name="diary_version_once"),
        ]

    def __str__(self) -> str:
        return f"Diary {self.date} v{self.version}"

    @property
    def motive_labels(self) -> list[str]:
        """The motives as the patient chose them on the form ("Cutting down other opioids"),
        not their stored codes (`cut_down_opioids`)."""
        return [MOTIVES.get(m, str(m)) for m in self.motives or []]


class UseEvent(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.ForeignKey(DiaryEntry, on_delete=models.PROTECT, related_name="uses")
    # Copied from the entry so analytics read one table with one index.
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    is_current = models.BooleanField(default=True)
    substance = models.CharField(max_length=32, choices=list(SUBSTANCES.items()))
    amount = models.DecimalField(max_digits=10, decimal_places=3)
    unit = models.CharField(max_length=16, choices=list(UNITS.items()))
    grams_per_unit = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    # Grams of kratom plant material, only where defined (units.to_grams); null otherwise.
    grams = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    time = models.TimeField(null=True, blank=True)
    product_label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date", "time", "id"]
        indexes = [
            # Analytics: a patient's current use events over a date range.
            models.Index(fields=["patient", "date"], name="diary_use_patient_date",
                         condition=Q(is_current=True)),
        ]

    def __str__(self) -> str:
        return f"{self.substance} {self.amount} {self.unit}"


class TaperPlan(models.Model):
    class StepKind(models.TextChoices):
        PERCENT = taper.PERCENT, "Percent of the current amount"
        AMOUNT = taper.AMOUNT, "Fixed amount"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="taper_plans"
    )
    substance = models.CharField(max_length=32, choices=list(SUBSTANCES.items()))
    unit = models.CharField(max_length=16, choices=list(UNITS.items()))
    start_date = models.DateField()
    start_amount = models.DecimalField(max_digits=10, decimal_places=3)
    target_amount = models.DecimalField(max_digits=10, decimal_places=3)
    step_kind = models.CharField(max_length=16, choices=StepKind.choices)
    step_size = models.DecimalField(max_digits=10, decimal_places=3)
    interval_days = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=300, blank=True)
    # A new plan replaces the old one; the old one is kept, marked with when it was replaced.
    replaced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "replaced_at"], name="taper_current")]

    def __str__(self) -> str:
        return f"Taper plan from {self.start_date}"

    def as_plan(self) -> taper.Plan:
        return taper.Plan(
            start_date=self.start_date, start_amount=self.start_amount,
            target_amount=self.target_amount, step_kind=self.step_kind,
            step_size=self.step_size, interval_days=self.interval_days,
            pauses=tuple(taper.Pause(p.start_date, p.end_date, p.reason)
                         for p in self.pauses.all() if p.cancelled_at is None),
        )


class TaperPause(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(TaperPlan, on_delete=models.PROTECT, related_name="pauses")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # A pause cancelled before it began: kept for the record, left out of the plan.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["start_date"]

    def __str__(self) -> str:
        return f"Pause from {self.start_date}"
