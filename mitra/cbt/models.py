"""CBT records: thought records, behavioural activation, exposure, relapse plans, homework.

Every record a patient submits carries a client-made `uuid` and a digest of its payload, so a
resubmission (a double tap, a retry on a bad connection) returns the stored record instead of
making a second one, and a reused UUID with different content is refused.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import date

from django.conf import settings
from django.db import models


class SubmittedRecord(models.Model):
    uuid = models.UUIDField(default=uuidlib.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="cbt_%(class)s_set"
    )
    # sha256 of the normalised payload: the idempotency check compares it.
    payload_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True


class ThoughtRecord(SubmittedRecord):
    occurred_on = models.DateField()
    situation = models.TextField()
    automatic_thoughts = models.TextField()
    # [{"emotion": "anxious", "before": 80, "after": 45 | None}], intensities 0-100.
    emotions = models.JSONField(default=list)
    # Keys from data/distortions.yaml, at `catalogue_version`.
    distortions = models.JSONField(default=list, blank=True)
    catalogue_version = models.PositiveSmallIntegerField(default=1)
    evidence_for = models.TextField(blank=True)
    evidence_against = models.TextField(blank=True)
    balanced_thought = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_on", "-created_at"]
        indexes = [
            # History and insight: a patient's records by date.
            models.Index(fields=["patient", "occurred_on"], name="cbt_thought_by_patient"),
        ]

    def mean_before(self) -> float | None:
        values = [e["before"] for e in self.emotions if e.get("before") is not None]
        return sum(values) / len(values) if values else None

    def mean_after(self) -> float | None:
        pairs = [e for e in self.emotions if e.get("after") is not None]
        return sum(e["after"] for e in pairs) / len(pairs) if pairs else None

    def intensity_drop(self) -> float | None:
        """Mean drop over the emotions that were re-rated; None when none was."""
        pairs = [e for e in self.emotions if e.get("after") is not None]
        if not pairs:
            return None
        return sum(e["before"] - e["after"] for e in pairs) / len(pairs)


class Value(SubmittedRecord):
    """Something that matters to the patient; activities are chosen to serve it."""

    name = models.CharField(max_length=80)
    why = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Activity(SubmittedRecord):
    name = models.CharField(max_length=120)
    value = models.ForeignKey(
        Value, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.name


class ActivitySlot(SubmittedRecord):
    """An activity scheduled for a day; completed with mastery, pleasure and mood ratings."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="slots")
    scheduled_for = models.DateField()
    at_time = models.TimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Ratings 0-10 (Lejuez 2011; Martell 2010 use mastery/pleasure ratings of this kind).
    mastery = models.PositiveSmallIntegerField(null=True, blank=True)
    pleasure = models.PositiveSmallIntegerField(null=True, blank=True)
    mood_before = models.PositiveSmallIntegerField(null=True, blank=True)
    mood_after = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["scheduled_for", "at_time"]
        indexes = [
            # The weekly view: a patient's slots in a date range.
            models.Index(fields=["patient", "scheduled_for"], name="cbt_slot_by_week"),
        ]

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class ExposureItem(SubmittedRecord):
    situation = models.CharField(max_length=200)
    # Expected distress, SUDS 0-100 (Wolpe 1969): the hierarchy is ordered by it.
    expected_suds = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["expected_suds", "situation"]


class ExposureLog(SubmittedRecord):
    item = models.ForeignKey(ExposureItem, on_delete=models.PROTECT, related_name="logs")
    done_on = models.DateField()
    suds_before = models.PositiveSmallIntegerField()
    suds_peak = models.PositiveSmallIntegerField()
    suds_after = models.PositiveSmallIntegerField()
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["done_on", "created_at"]
        indexes = [
            models.Index(fields=["item", "done_on"], name="cbt_exposure_log_by_item"),
        ]


class RelapsePlan(SubmittedRecord):
    """One version of a patient's relapse-prevention plan; the newest version is current."""

    SECTIONS = (
        ("triggers", "Triggers"),
        ("high_risk_situations", "High-risk situations"),
        ("warning_signs", "Early warning signs"),
        ("coping_strategies", "Coping strategies"),
        ("people_to_call", "People to call"),
        ("reasons_for_change", "Reasons for change"),
    )

    version = models.PositiveIntegerField()
    # Each section is a list of short lines.
    triggers = models.JSONField(default=list, blank=True)
    high_risk_situations = models.JSONField(default=list, blank=True)
    warning_signs = models.JSONField(default=list, blank=True)
    coping_strategies = models.JSONField(default=list, blank=True)
    people_to_call = models.JSONField(default=list, blank=True)
    reasons_for_change = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="cbt_plan_version_once"),
        ]

    def sections(self) -> list[tuple[str, list[str]]]:
        return [(label, getattr(self, name)) for name, label in self.SECTIONS]


class HomeworkQuerySet(models.QuerySet):
    def open(self):
        return self.filter(completed_at__isnull=True)

    def overdue(self, today: date):
        return self.open().filter(due_on__lt=today)


class Homework(SubmittedRecord):
    class Kind(models.TextChoices):
        THOUGHT_RECORD = "thought_record", "Thought record"
        ACTIVATION = "activation", "Behavioural activation"
        EXPOSURE = "exposure", "Exposure practice"
        RELAPSE_PLAN = "relapse_plan", "Relapse-prevention plan"
        MODULE = "module", "Read a module"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    module_slug = models.CharField(max_length=40, blank=True)
    instructions = models.TextField(blank=True)
    due_on = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completion_note = models.TextField(blank=True)
    # The exercise that did it, when the patient did the work (a thought record, a completed
    # activity slot, an exposure log, a relapse-plan version: the model follows from `kind`)
    # rather than only marking it done. One exercise completes one assignment at most.
    completed_with = models.UUIDField(null=True, blank=True, unique=True)

    objects = HomeworkQuerySet.as_manager()

    class Meta:
        ordering = ["completed_at", "due_on"]
        indexes = [
            # Homework due and overdue per patient (home card, clinician page).
            models.Index(fields=["patient", "completed_at", "due_on"], name="cbt_homework_due"),
        ]

    def is_overdue(self, today: date) -> bool:
        return self.completed_at is None and self.due_on < today

    def title(self) -> str:
        if self.kind == self.Kind.MODULE:
            from mitra.cbt.catalogue import modules

            module = modules().by_slug().get(self.module_slug)
            return f"Read: {module.title}" if module else "Read a module"
        return self.get_kind_display()
