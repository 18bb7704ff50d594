"""Alerts for the care team. Every kind of alert lives in this one model and one inbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Alert(models.Model):
    class Kind(models.TextChoices):
        SUICIDE_RISK = "suicide_risk", "Suicide risk"
        INTERACTION = "interaction", "Interaction or condition risk"
        ESCALATION = "escalation", "Escalating use"
        CO_USE = "co_use", "Co-use with a depressant"
        CONCENTRATED_7OH = "concentrated_7oh", "First use of a concentrated 7-OH product"
        SEVERE_WITHDRAWAL = "severe_withdrawal", "Severe withdrawal"
        DETERIORATION = "deterioration", "Reliable deterioration"
        OVERDUE_MEASURE = "overdue_measure", "Overdue questionnaire"
        MISSED_DIARY = "missed_diary", "Missed diary days"

    class Priority(models.IntegerChoices):
        # Lower sorts first: the inbox shows the most urgent at the top.
        URGENT = 1, "Urgent"
        HIGH = 2, "High"
        NORMAL = 3, "Normal"
        LOW = 4, "Low"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(max_length=300)
    # Raising the same alert twice (a resubmission, a re-run job) must not make two rows.
    dedupe_key = models.CharField(max_length=120)
    # Where the clinician reads the evidence: a score, a diary day, a rule with citations.
    evidence_url = models.CharField(max_length=300, blank=True)
    source_uuid = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    resolution_note = models.TextField(blank=True)
    # When the escalation mail went out (`safety.escalation`); None while it has not.
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The escalation mail's outbox state. A run claims the alert (a token and the time) in a
    # short transaction, sends the mail outside any transaction and then records the outcome:
    # no row lock is held while the mail server is talked to. A claim older than
    # `escalation.claim_timeout()` belongs to a run that died and is taken up again.
    escalation_claim = models.CharField(max_length=32, blank=True)
    escalation_claimed_at = models.DateTimeField(null=True, blank=True)
    # Failed sends so far, the last one's error (class and message) and when to try again.
    escalation_attempts = models.PositiveSmallIntegerField(default=0)
    escalation_error = models.CharField(max_length=300, blank=True)
    escalation_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "dedupe_key"], name="alert_once"),
        ]
        indexes = [
            # The inbox: open alerts by priority, newest first.
            models.Index(fields=["status", "priority", "-created_at"], name="alert_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.reason}"

    @property
    def summary(self) -> str:
        """The reason as a card shows it under the kind's heading (`reason_under_kind`)."""
        return reason_under_kind(self.reason, self.get_kind_display())


def reason_under_kind(reason: str, kind_label: str) -> str:
    """The reason without what a heading naming the kind already says.

    Reasons are stored whole (the escalation mail and the record read them alone), so some
    open with labels: "PHQ-9: Possible suicide risk: PHQ-9 item 9 ... answered above 'Not at
    all'". Under the heading "Suicide risk" the leading "label: " parts that repeat it go:
    the kind's own label (also as "Possible <label>"), and a source's name that the rest
    names again. So does a leading clause (up to ", ") that has every word of the kind's
    label ("First recorded use of a concentrated 7-OH product, on 2026-01-05" under "First
    use of a concentrated 7-OH product": "On 2026-01-05"). What remains is never empty: a
    reason that is only labels stays as it is.
    """
    rest = reason.strip()
    kind = kind_label.strip().lower()
    while ": " in rest:
        head, tail = rest.split(": ", 1)
        label = head.strip().lower()
        repeats_kind = label in (kind, f"possible {kind}")
        repeats_source = bool(label) and " " not in label and label in tail.lower()
        if not tail.strip() or not (repeats_kind or repeats_source):
            break
        rest = tail.strip()
    clause, _comma, tail = rest.partition(", ")
    if tail.strip() and set(kind.split()) <= set(clause.lower().split()):
        tail = tail.strip()
        rest = tail[0].upper() + tail[1:]
    return rest


class ScreeningRun(models.Model):
    """One run of `rules.screen` for a patient: its inputs and results, kept for the record."""

    class Trigger(models.TextChoices):
        INTAKE = "intake", "Intake"
        MEDICATIONS = "medications", "Medications or conditions changed"
        DIARY = "diary", "Co-substance recorded in the diary"
        DEMO = "demo", "Demo data"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="screenings"
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    kb_version = models.CharField(max_length=32)
    # Inputs (substances, medication names, condition ids) and the full result, as JSON.
    inputs = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The intake page shows a patient's latest run.
            models.Index(fields=["patient", "-created_at"], name="screening_latest"),
        ]


class SafetyPlan(models.Model):
    """A patient's safety plan; its content lives in versions (each save adds one)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_plan"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def current(self) -> SafetyPlanVersion | None:
        return self.versions.order_by("-number").first()


class SafetyPlanVersion(models.Model):
    """One saved version of a safety plan, in the Stanley-Brown structure. Never edited."""

    # (field, heading, prompt) in the order of the Stanley-Brown Safety Planning Intervention.
    SECTIONS = (
        ("warning_signs", "1. Warning signs",
         "Thoughts, images, moods, situations or behaviours that show a crisis may be coming."),
        ("coping_strategies", "2. Internal coping strategies",
         "Things I can do on my own to take my mind off my problems."),
        ("social_distractions", "3. People and social settings that provide distraction",
         "People and places that help me feel better."),
        ("people_to_ask", "4. People I can ask for help", "Names and phone numbers."),
        ("professionals", "5. Professionals or agencies I can contact during a crisis",
         "My clinician, my care team, a crisis line, the nearest emergency department."),
        ("safe_environment", "6. Making the environment safe",
         "What I will keep away, lock up or give to someone (medicines, kratom or 7-OH "
         "products, other drugs, anything I could use to hurt myself)."),
        ("reasons_for_living", "7. The one thing most important to me and worth living for",
         "My reasons for living."),
    )

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(SafetyPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # The form's client-made UUID: a repeated submit returns this version instead of a new one.
    submission_uuid = models.UUIDField(unique=True)
    warning_signs = models.TextField(blank=True)
    coping_strategies = models.TextField(blank=True)
    social_distractions = models.TextField(blank=True)
    people_to_ask = models.TextField(blank=True)
    professionals = models.TextField(blank=True)
    safe_environment = models.TextField(blank=True)
    reasons_for_living = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="safety_plan_version_once"),
        ]

    def sections(self) -> list[dict]:
        return [
            {"field": f, "heading": h, "prompt": p, "text": getattr(self, f)}
            for f, h, p in self.SECTIONS
        ]

    def content(self) -> dict[str, str]:
        return {f: getattr(self, f) for f, _, _ in self.SECTIONS}
