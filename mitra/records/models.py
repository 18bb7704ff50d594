"""A patient's requests about their record (restrict, correct, delete, close the account),
and closed accounts. The accounting of disclosures is read from the audit trail and
`consent.Disclosure` (`records.accounting`)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class RecordRequest(models.Model):
    """A patient's request to restrict, correct or delete their records, or to close their
    account, and the answer. Due within the documented time (`requests.due_days`), with one
    extension."""

    class Kind(models.TextChoices):
        RESTRICT = "restrict", "Restrict a use or disclosure of my records"
        AMEND = "amend", "Correct my records"
        DELETE = "delete", "Delete my records"
        CLOSE = "close", "Close my account"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        GRANTED = "granted", "Granted"
        PARTLY = "partly", "Partly granted"
        DENIED = "denied", "Denied"
        WITHDRAWN = "withdrawn", "Withdrawn by the patient"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="record_requests")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    details = models.TextField(max_length=4000)
    filed_at = models.DateTimeField(default=timezone.now)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(blank=True, max_length=4000)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # sha256 of what was filed (kind, details): a resubmission under the same client-made
    # UUID returns this request, one with other content is refused (`lib.idempotency`).
    payload_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["due_on", "filed_at"]
        indexes = [models.Index(fields=["state", "due_on"], name="request_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()})"


class AccountClosure(models.Model):
    """A closed account: sign-in and reminders off, the clinical record kept until
    `retain_until` (the retention period, `MITRA_RETENTION_YEARS`)."""

    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT,
                                   related_name="closure")
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    retain_until = models.DateField()
    request = models.ForeignKey(RecordRequest, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    # Why, in a few words ("Asked on paper at the front desk"); the request's answer when
    # closed by granting a CLOSE request.
    reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.patient} closed {self.closed_at:%Y-%m-%d}"
