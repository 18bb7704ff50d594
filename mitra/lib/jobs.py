"""The periodic jobs: one registry that `mitra escalate` (cron, every minute) and the background
task run, and that each app fills from its own `AppConfig.ready`.

An app registers its job here instead of the scheduler importing the app, so the app that
runs the jobs (safety) never imports the apps whose jobs it runs (measures, diary). Every job is
an idempotent function of the database and the time: running it twice does nothing new.

A job returns how many things it did. One that works through units (an alert to mail, a
patient to check) and sees some of them fail goes on with the others and then raises
`JobFailed(done, failures)`, one `Failure` per unit: the unit stays due for the next run.
`run_all` runs every job whatever the others did (a job that raises anything else counts as
one failure) and returns the counts with every failure, so a caller can report each on one
line and exit non-zero: cron sees a run that failed, even in part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.utils import timezone

Job = Callable[[datetime], int]
U = TypeVar("U")
R = TypeVar("R")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Job
    description: str


@dataclass(frozen=True)
class Failure:
    """One unit of work that failed: `item` names it for an operator ("alert <uuid>")."""

    item: str
    error: BaseException

    def line(self) -> str:
        """`item: ErrorClass: message`, on one line (some drivers' messages span several)."""
        message = " ".join(str(self.error).split())
        name = type(self.error).__name__
        return f"{self.item}: {name}: {message}" if message else f"{self.item}: {name}"


class JobFailed(Exception):
    """Raised by a job after it did all it could: `done` units done, `failures` the others."""

    def __init__(self, done: int, failures: list[Failure]):
        super().__init__(f"{len(failures)} failed, {done} done")
        self.done, self.failures = done, failures


class RunReport(dict[str, int]):
    """What `run_all` did: each job's count by name (it is that dict) and `failures`, every
    failed unit as (job name, Failure), in the order they happened."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[tuple[str, Failure]] = []


def each(units: Iterable[U], work: Callable[[U], R | None], name: Callable[[U], str]) -> list[R]:
    """`work(unit)` for every unit, each on its own: one that raises is recorded as a
    `Failure` named `name(unit)` and the others go on. Returns what the calls returned (None
    left out); raises `JobFailed` at the end when any unit failed. `work` opens its own
    transaction, so a failed unit leaves nothing half done and stays due for the next run."""
    done: list[R] = []
    failures: list[Failure] = []
    for unit in units:
        try:
            result = work(unit)
        except Exception as exc:  # this unit only: the next may well work
            failures.append(Failure(name(unit), exc))
            continue
        if result is not None:
            done.append(result)
    if failures:
        raise JobFailed(len(done), failures)
    return done


_JOBS: dict[str, PeriodicJob] = {}


def register(name: str, run: Job, description: str) -> None:
    """Add a job (`run(now)` returns how many things it did). Jobs run in the order they were
    registered, which is INSTALLED_APPS order; registering a name again replaces it in place
    (`ready()` may run more than once in tests)."""
    _JOBS[name] = PeriodicJob(name, run, description)


def registered() -> list[PeriodicJob]:
    return list(_JOBS.values())


def run_all(now: datetime | None = None) -> RunReport:
    """Run every registered job once at `now`; returns each job's count by name, with the
    failures. A job that fails does not stop the ones after it."""
    now = now or timezone.now()
    report = RunReport()
    for job in _JOBS.values():
        try:
            report[job.name] = job.run(now)
        except JobFailed as exc:
            report[job.name] = exc.done
            report.failures += [(job.name, failure) for failure in exc.failures]
        except Exception as exc:  # the whole job failed (its database query, a bug)
            report[job.name] = 0
            report.failures.append((job.name, Failure(f"job {job.name}", exc)))
    return report
