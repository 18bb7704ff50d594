"""Background tasks (django-tasks). Each takes no clinical data and is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from mitra.lib import jobs


@task()
def escalate_alerts() -> int:
    """Run the periodic jobs (escalation first); returns how many urgent alerts were escalated."""
    return jobs.run_all()["escalated"]
