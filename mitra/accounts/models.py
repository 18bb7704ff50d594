"""Users, their role, and the care teams that decide who may see which patient."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    ADMIN = "admin", "Care-team admin"
    RESEARCHER = "researcher", "Researcher"


# Roles that reach patient data or manage accounts: they need MFA and short sessions.
STAFF_ROLES = frozenset({Role.CLINICIAN, Role.ADMIN, Role.RESEARCHER})
MFA_ROLES = frozenset({Role.CLINICIAN, Role.ADMIN})


class User(AbstractUser):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    # Synthetic demo accounts only; lets `mitra totp` print a demo code, never for real users.
    is_demo = models.BooleanField(default=False)

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_care_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_researcher(self) -> bool:
        return self.role == Role.RESEARCHER

    @property
    def needs_mfa(self) -> bool:
        return self.role in MFA_ROLES

    @property
    def has_short_session(self) -> bool:
        return self.role in STAFF_ROLES

    def save(self, *args, **kwargs):
        # Only care-team admins reach Django's admin site.
        self.is_staff = self.role == Role.ADMIN or self.is_superuser
        super().save(*args, **kwargs)


class CareTeam(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120, unique=True)
    clinicians = models.ManyToManyField(
        User, through="Membership", related_name="care_teams", blank=True
    )
    patients = models.ManyToManyField("patients.Patient", related_name="care_teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Access(models.TextChoices):
        WRITE = "write", "Read and write"
        READ = "read", "Read only"

    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    access = models.CharField(max_length=8, choices=Access.choices, default=Access.WRITE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.access})"
