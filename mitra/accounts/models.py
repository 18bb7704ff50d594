"""Users, their role, and the care teams that decide who may see which patient."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.dispatch import Signal


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    ADMIN = "admin", "Care-team admin"
    RESEARCHER = "researcher", "Researcher"
    # Outside the care team (a prescriber, a payer, another program) with read-only access to
    # the patients who consented to it (`mitra.consent`): each read is a disclosure.
    RECIPIENT = "recipient", "Outside recipient"


# Roles that reach patient data or manage accounts: they need MFA and short sessions.
STAFF_ROLES = frozenset({Role.CLINICIAN, Role.ADMIN, Role.RESEARCHER, Role.RECIPIENT})
MFA_ROLES = frozenset({Role.CLINICIAN, Role.ADMIN, Role.RECIPIENT})

# Sent (with `user`) once a new password of an existing user is saved, whichever way it was set:
# a change, a reset, an invitation accepted, the shell. A rehash on sign-in is not a change.
# The API app revokes the user's tokens on it: they must not outlive the credentials.
password_changed = Signal()


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
        # set_password() keeps the new password in _password until the save (Django clears
        # it when it only upgrades the hash of a correct password at sign-in).
        changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if changed:
            password_changed.send(sender=User, user=self)


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


class Invitation(models.Model):
    """A single-use, expiring link with which a new account's owner sets their own password.

    Accounts start without a usable password: nobody but the person ever knows it, and the
    first authenticator (TOTP) is enrolled by whoever holds the link, the person it was sent to.
    Only a SHA-256 digest of the link's secret is stored; a newer invitation to the same user
    replaces the older ones. One shown in clinic also has a short code (8 characters, typed on
    the person's own phone at /join/), stored as a keyed digest; it shares the link's expiry and
    single use. A revoked invitation carries `revoked_at` as well as `replaced_at`, so every
    check that refuses a replaced one refuses it too.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True)
    # Keyed digest (HMAC-SHA256 with SECRET_KEY) of the short code; none for a mailed link.
    code_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation for {self.user} ({self.created_at:%Y-%m-%d})"
