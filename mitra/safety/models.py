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
    escalated_at = models.DateTimeField(null=True, blank=True)

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
