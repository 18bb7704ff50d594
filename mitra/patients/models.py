"""The patient record: who the person is, when they enrolled."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Patient(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patient",
    )
    display_name = models.CharField(max_length=120)
    # A study code that carries no identity: what a researcher sees instead of a name.
    pseudonym = models.CharField(max_length=16, unique=True)
    date_of_birth = models.DateField(null=True, blank=True)
    enrolled_on = models.DateField(default=timezone.localdate)
    # An IANA zone name (Europe/Berlin): reminders fire at the patient's own local time.
    time_zone = models.CharField(max_length=64, default="UTC")
    # A language code of settings.LANGUAGES: reminders and pages in the patient's language.
    language = models.CharField(max_length=16, default="en")
    # Optional, for later channels (SMS): E.164 (+4915112345678).
    phone = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class Intake(models.Model):
    """What a person uses and where they live: the inputs of risk screening and legal status."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="intake")
    # ISO 3166 code: a country (TH) or a US state (US-AL); blank until asked.
    jurisdiction = models.CharField(max_length=6, blank=True)
    # Substance ids from the safety knowledge base: kratom, kava, 7oh.
    substances = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Intake of {self.patient}"


class Medication(models.Model):
    """A medication as the clinician or patient named it (generic or brand), with its dates."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=120)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "started_on"]
        indexes = [
            # Screening reads one patient's current medications.
            models.Index(fields=["patient", "stopped_on"], name="med_patient_current"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_current(self, on=None) -> bool:
        on = on or timezone.localdate()
        started = self.started_on is None or self.started_on <= on
        return started and (self.stopped_on is None or self.stopped_on > on)


class Condition(models.Model):
    """A condition or state that screening checks (ids from the safety knowledge base)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="conditions")
    code = models.CharField(max_length=40)
    noted_on = models.DateField(default=timezone.localdate)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["patient", "resolved_on"], name="cond_patient_current")]

    def __str__(self) -> str:
        return self.code
