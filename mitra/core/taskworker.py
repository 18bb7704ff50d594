"""The background worker that keeps working through faults: django-tasks-db's worker, plus

- a database outage does not end it: django-tasks-db's loop raises at the first database error
  it does not expect (a PostgreSQL restart, a SQLite lock held past the busy timeout); here the
  loop starts again after a pause, 1 s doubling to 30 s, with fresh connections;
- a heartbeat: a thread writes the worker's WorkerHeartbeat row every BEAT_SECONDS, also while
  a long task runs; /readyz reads it;
- tasks left RUNNING by a dead worker run again: a task stays RUNNING when its worker dies
  (killed, out of memory, the machine lost). Every beat, each worker puts back to READY the
  RUNNING tasks whose worker has not beaten for STALE_SECONDS, and at its start those claimed
  under its own id by an earlier process (`mitra serve` restarts its worker under the same id).
  The change is one conditional UPDATE (still RUNNING, same start time), so two workers
  sweeping at once put a task back once. Mitra's tasks are idempotent (they take ids and call
  actions), so one that was half done when its worker died may run again. After MAX_ATTEMPTS
  claims a task is marked FAILED instead (a task that kills its worker must not do so forever).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from django.db import Error, connections
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from mitra.core.models import WorkerHeartbeat

log = logging.getLogger(__name__)

BEAT_SECONDS = 10
# A worker that has not beaten for this long is taken for dead (six missed beats).
STALE_SECONDS = 60
MAX_ATTEMPTS = 3
# Pauses after a database error.
RETRY_FIRST, RETRY_MOST = 1.0, 30.0
# Heartbeat rows of workers gone for this long are deleted.
FORGET_AFTER = timedelta(days=7)


class WorkerLost(Exception):
    """Recorded as the failure of a task whose worker died under it MAX_ATTEMPTS times."""


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _close_connections() -> None:
    try:
        connections.close_all()
    except Error:  # a connection the outage broke may fail to close; it is dropped all the same
        pass


def beat(worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname()[:255], "pid": os.getpid(),
                  "started_at": started_at, "beat_at": now},
    )


def forget_gone_workers(now: datetime | None = None) -> int:
    """Delete the heartbeat rows of workers gone for FORGET_AFTER (every `mitra serve` start on
    a new port, every `mitra worker` without --worker-id leaves one)."""
    cutoff = (now or timezone.now()) - FORGET_AFTER
    return WorkerHeartbeat.objects.filter(beat_at__lt=cutoff).delete()[0]


def requeue_abandoned(*, backend_name: str, worker_id: str, started_at: datetime,
                      now: datetime | None = None) -> int:
    """Put back the RUNNING tasks of dead workers (and of this worker's earlier process);
    returns how many were put back or, past MAX_ATTEMPTS, failed."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=STALE_SECONDS)
    alive = set(WorkerHeartbeat.objects.filter(beat_at__gte=cutoff)
                .values_list("worker_id", flat=True))
    changed = 0
    running = (DBTaskResult.objects.running().filter(backend_name=backend_name)
               .only("id", "started_at", "worker_ids"))
    for task in running:
        last = task.worker_ids[-1] if task.worker_ids else None
        claimed_before = task.started_at is None or task.started_at < started_at
        mine_from_before = last == worker_id and claimed_before
        dead = last not in alive and (task.started_at is None or task.started_at < cutoff)
        if mine_from_before or dead:
            changed += _requeue(task, now)
    return changed


def _requeue(task: DBTaskResult, now: datetime) -> int:
    attempts = len(task.worker_ids)
    same_claim = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING,
                                             started_at=task.started_at)
    if attempts >= MAX_ATTEMPTS:
        done = same_claim.update(
            status=TaskResultStatus.FAILED, finished_at=now,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"WorkerLost: the worker running this task died {attempts} times; "
                      "not run again\n")
        if done:
            log.error("task %s (%s) failed: its worker died %d times", task.pk, task.task_path,
                      attempts)
        return done
    done = same_claim.update(status=TaskResultStatus.READY)
    if done:
        log.warning("task %s (%s) put back in the queue: its worker (%s) died while running it",
                    task.pk, task.task_path, task.worker_ids[-1] if task.worker_ids else "?")
    return done


class ResilientWorker(Worker):
    """django-tasks-db's Worker, with the heartbeat, the sweep and the retry loop above."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.started_at = timezone.now()
        self._stop = threading.Event()

    def tend(self) -> None:
        """One heartbeat and one sweep (the heartbeat thread's round)."""
        beat(self.worker_id, self.started_at)
        requeue_abandoned(backend_name=self.backend_name, worker_id=self.worker_id,
                          started_at=self.started_at)
        forget_gone_workers()

    def _heartbeat_loop(self) -> None:
        failing = False
        while not self._stop.wait(BEAT_SECONDS):
            try:
                self.tend()
                if failing:
                    log.warning("worker %s: heartbeat written again", self.worker_id)
                failing = False
            except Error as exc:
                if not failing:
                    log.warning("worker %s: cannot write its heartbeat: %s", self.worker_id,
                                one_line(exc))
                failing = True
            finally:
                _close_connections()  # this thread's own; reopened at the next beat

    def run(self) -> None:
        delay = RETRY_FIRST
        heartbeat = None
        while self.running:
            began = time.monotonic()
            try:
                self.tend()  # before the first claim: a live worker is never taken for dead
                if heartbeat is None:
                    heartbeat = threading.Thread(target=self._heartbeat_loop, daemon=True,
                                                 name="mitra-heartbeat")
                    heartbeat.start()
                super().run()
                return  # --batch or --max-tasks: the loop ended by itself
            except Error as exc:
                if not self.running:
                    return
                if time.monotonic() - began > STALE_SECONDS:
                    delay = RETRY_FIRST  # it had been working: a new outage
                log.warning("worker %s: database error (%s); trying again in %.0f s",
                            self.worker_id, one_line(exc), delay)
                _close_connections()
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MOST)
            finally:
                if not self.running:
                    self._stop.set()
