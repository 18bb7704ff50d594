"""Consent to disclose, the disclosures made under it, and outside recipients.

Shaped on FHIR's Consent and on the elements 42 CFR 2.31 asks of a written consent: who
consents (the patient), what may be disclosed (`scope`), to whom (`recipient_*`), for what
purpose, until when (`expires_on` or `expiry_event`), the signature and its date, and the text
shown (`text_version`). A consent is never edited once signed: revoking it (or the end of its
expiry event) is recorded on it, effective at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    SUBSTANCE_USE = "substance_use", "Substance-use records"
    MENTAL_HEALTH = "mental_health", "Mental-health records"
    ALL = "all", "All my records"


class Purpose(models.TextChoices):
    TPO = "tpo", "Treatment, payment and health care operations"
    TREATMENT = "treatment", "Treatment"
    PAYMENT = "payment", "Payment"
    OPERATIONS = "operations", "Health care operations"
    PATIENT_REQUEST = "patient_request", "At my request"
    RESEARCH = "research", "Research"


# The purposes a consent for "treatment, payment and health care operations" (the 2024 rule's
# single consent for all future such uses, §2.33(b)) covers.
TPO_PURPOSES = frozenset({Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS, Purpose.TPO})


class Consent(models.Model):
    class RecipientKind(models.TextChoices):
        PERSON = "person", "A named person"
        ORGANISATION = "organisation", "A named organisation"
        TPO = "tpo", "Anyone receiving it for treatment, payment or health care operations"

    class Source(models.TextChoices):
        APP = "app", "Signed in the app"
        PAPER = "paper", "Given on paper, recorded by an admin"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="consents")
    scope = models.CharField(max_length=16, choices=Scope.choices)
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    # The person or organisation named (blank for the TPO kind).
    recipient_name = models.CharField(max_length=200, blank=True)
    # An outside recipient's account, when the recipient signs in to Mitra (`Recipient`).
    recipient_account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # One of the two: a date (the last day it holds) or an event ("the end of my treatment").
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=200, blank=True)
    text_version = models.CharField(max_length=32)
    # The electronic signature: the name the patient typed and when (or, for paper, the
    # name on the form and the date it was signed).
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.APP)
    paper_note = models.TextField(blank=True, max_length=2000)
    # A scan of the paper form, served only through the consent views (never a public URL).
    scan = models.BinaryField(null=True, blank=True, editable=False)
    scan_type = models.CharField(max_length=32, blank=True)
    scan_name = models.CharField(max_length=120, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Revocation by the patient, or the end of the expiry event recorded by an admin.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    revocation_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["patient", "revoked_at"], name="consent_patient_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=False) | ~models.Q(expiry_event=""),
                name="consent_has_an_expiry"),
            models.CheckConstraint(
                condition=models.Q(recipient_kind="tpo") | ~models.Q(recipient_name=""),
                name="consent_names_its_recipient"),
        ]

    def __str__(self) -> str:
        return (f"{self.get_scope_display()} to {self.recipient_label} "
                f"({self.get_purpose_display()})")

    @property
    def recipient_label(self) -> str:
        if self.recipient_kind == self.RecipientKind.TPO:
            return self.get_recipient_kind_display()
        return self.recipient_name

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        if self.signed_at > at:
            return False
        return self.expires_on is None or self.expires_on >= timezone.localdate(at)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_on is not None and self.expires_on < timezone.localdate():
            return "expired"
        return "active"


class Recipient(models.Model):
    """An outside recipient's account (role "recipient"): a prescriber, a payer, a program
    outside the care team, given read-only access to the patients of one care team. Each of
    their reads is a disclosure, refused without a consent that covers it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="recipient")
    organisation = models.CharField(max_length=200)
    purpose = models.CharField(max_length=16, choices=Purpose.choices,
                               default=Purpose.TREATMENT)

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"


class Disclosure(models.Model):
    """One disclosure of a patient's records outside the care team, under a consent.

    Written with its audit event (`disclosure.made`, the disclosure's UUID as the object) in
    one transaction; the accounting of disclosures reads the audit trail and these rows.
    """

    class Channel(models.TextChoices):
        REPORT = "report", "Report (PDF)"
        EXPORT = "export", "Data export (ZIP)"
        API = "api", "Read through the API"
        BULK = "bulk", "Bulk export"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="disclosures")
    at = models.DateTimeField(default=timezone.now)
    recipient_name = models.CharField(max_length=200)
    recipient_account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # What was disclosed, in words ("Report 2026-11-01 to 2026-11-30", "FHIR Observation
    # search"): never clinical content.
    what = models.CharField(max_length=300)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # None only with Part 2 handling off (`MITRA_PART2=0`): no consent was asked for.
    consent = models.ForeignKey(Consent, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="disclosures")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    # The §2.32 notice it carried (`part2.notice()`); blank with Part 2 handling off.
    notice_version = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["patient", "-at"], name="disclosure_patient_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.what} to {self.recipient_name}"
