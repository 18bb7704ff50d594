"""Background tasks (django-tasks). Each takes no clinical data and is safe to run twice."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task


@task()
def escalate_alerts() -> int:
    from mitra.safety.actions import escalate_due_alerts

    return escalate_due_alerts(timezone.now())
