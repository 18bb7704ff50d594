"""The periodic jobs: one registry that `mitra escalate` (cron, every minute) and the background
task run, and that each app fills from its own `AppConfig.ready`.

An app registers its job here instead of the scheduler importing the app, so the app that
runs the jobs (safety) never imports the apps whose jobs it runs (measures, diary). Every job is
an idempotent function of the database and the time: running it twice does nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

Job = Callable[[datetime], int]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Job
    description: str


_JOBS: dict[str, PeriodicJob] = {}


def register(name: str, run: Job, description: str) -> None:
    """Add a job (`run(now)` returns how many things it did). Jobs run in the order they were
    registered, which is INSTALLED_APPS order; registering a name again replaces it in place
    (`ready()` may run more than once in tests)."""
    _JOBS[name] = PeriodicJob(name, run, description)


def registered() -> list[PeriodicJob]:
    return list(_JOBS.values())


def run_all(now: datetime | None = None) -> dict[str, int]:
    """Run every registered job once at `now`; returns each job's count by name."""
    now = now or timezone.now()
    return {job.name: job.run(now) for job in _JOBS.values()}
