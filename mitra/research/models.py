"""A research export a researcher started from the site: its state and the files it made."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ResearchExport(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Being written"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    participants = models.PositiveIntegerField(default=0)
    rows = models.PositiveBigIntegerField(default=0)
    # The files written: [{"name", "bytes", "sha256"}] from the export's manifest.
    files = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Research export {self.uuid} ({self.get_state_display()})"
