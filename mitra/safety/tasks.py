"""Background tasks (django-tasks). Each takes no clinical data and is safe to run twice."""

from __future__ import annotations

import logging

from django_tasks import task

from mitra.lib import jobs

log = logging.getLogger(__name__)


@task()
def escalate_alerts() -> int:
    """Run the periodic jobs (escalation first); returns how many urgent alerts were escalated.
    Each failed unit is logged on one line and stays due for the next run (or `mitra
    escalate`, whose exit status reports it)."""
    report = jobs.run_all()
    for name, failure in report.failures:
        log.warning("periodic job %s: %s", name, failure.line())
    return report["escalated"]
