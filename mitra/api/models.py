"""Personal access tokens: how an API client acts for one user, with a subset of their rights.

Only a SHA-256 digest of the secret is stored. A token is 32 random bytes, so a fast digest is
enough (no password stretching needed); the plain secret is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "mitra_pat_"  # noqa: S105 - a public marker, not a secret
# Writing last_used_at on every request would turn each read into a write: once a minute is
# precise enough for "when was this token last used".
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Scope(models.TextChoices):
    READ = "read", "Read (REST API)"
    WRITE = "write", "Write (REST API and FHIR create)"
    FHIR = "fhir", "FHIR R4 interface"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    # The first characters of the secret, so a user can tell their tokens apart.
    hint = models.CharField(max_length=20)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def mark_used(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION:
            # A queryset update: no race with a concurrent revoke overwriting revoked_at.
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
