"""Background tasks (django-tasks). Each takes no clinical data and is safe to run twice."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task


def run_alert_jobs(now=None) -> dict[str, int]:
    """The periodic alert job (`mitra escalate`, every minute from cron, and this task):
    escalate urgent alerts, raise OVERDUE_MEASURE and MISSED_DIARY alerts. Every part is an
    idempotent function of the database: running it twice notifies and raises nothing new.
    Returns how many alerts each part escalated or raised."""
    from mitra.diary.actions import raise_missed_diary_alerts
    from mitra.measures.actions import raise_overdue_alerts
    from mitra.safety.actions import escalate_due_alerts

    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "escalated": escalate_due_alerts(now),
        "overdue_measure": len(raise_overdue_alerts(today)),
        "missed_diary": len(raise_missed_diary_alerts(today)),
    }


@task()
def escalate_alerts() -> int:
    """Run the alert jobs; returns how many urgent alerts were escalated."""
    return run_alert_jobs()["escalated"]
