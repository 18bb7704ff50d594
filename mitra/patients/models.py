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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name
