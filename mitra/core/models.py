"""The site shell's one table: the background workers' heartbeats."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per background worker (`mitra worker`), beaten every few seconds while it lives.

    /readyz reads the newest beat; a worker takes over the RUNNING tasks of a worker whose beat
    is stale (mitra.core.taskworker).
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    # /readyz: the newest beat; the sweep: which workers are alive.
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.host} (pid {self.pid})"
