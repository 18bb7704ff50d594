"""Tasks left RUNNING by a dead worker go back to the queue, once; a task that killed its
worker MAX_ATTEMPTS times fails instead. The worker's heartbeat is one row per worker.
(A real worker through a database outage and a kill: tests/test_serve.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from mitra.core.models import WorkerHeartbeat
from mitra.core.taskworker import (
    FORGET_AFTER,
    MAX_ATTEMPTS,
    STALE_SECONDS,
    beat,
    forget_gone_workers,
    requeue_abandoned,
)

pytestmark = pytest.mark.django_db

ME = "serve-host-8000"


def _running(worker_ids, started_seconds_ago):
    return DBTaskResult.objects.create(
        args_kwargs={"args": ["/dev/null", "x"], "kwargs": {}},
        task_path="tests.serve_tasks.note", backend_name="default", run_after=get_date_max(),
        status=TaskResultStatus.RUNNING, worker_ids=worker_ids,
        started_at=timezone.now() - timedelta(seconds=started_seconds_ago),
    )


def _sweep(started_at=None):
    return requeue_abandoned(backend_name="default", worker_id=ME,
                             started_at=started_at or timezone.now())


def _status(task):
    task.refresh_from_db()
    return task.status


def test_a_dead_workers_task_goes_back_to_the_queue_once():
    task = _running(["gone"], started_seconds_ago=STALE_SECONDS + 5)
    assert _sweep() == 1
    assert _status(task) == TaskResultStatus.READY
    assert _sweep() == 0  # a second sweep (another worker) finds nothing to do


def test_a_live_workers_task_is_left_alone():
    beat("alive", timezone.now())
    task = _running(["alive"], started_seconds_ago=STALE_SECONDS * 10)
    assert _sweep() == 0
    assert _status(task) == TaskResultStatus.RUNNING


def test_a_task_claimed_a_moment_ago_is_left_alone():
    task = _running(["no-beat-yet"], started_seconds_ago=5)
    assert _sweep() == 0
    assert _status(task) == TaskResultStatus.RUNNING


def test_a_restarted_worker_takes_back_its_predecessors_task_at_once():
    # Same worker id (mitra serve keeps it), the task claimed before this process started.
    beat(ME, timezone.now())
    earlier = _running([ME], started_seconds_ago=2)
    assert _sweep(started_at=timezone.now()) == 1
    assert _status(earlier) == TaskResultStatus.READY
    # Its own claim, made after it started, stays.
    mine = _running([ME], started_seconds_ago=0)
    assert _sweep(started_at=timezone.now() - timedelta(seconds=30)) == 0
    assert _status(mine) == TaskResultStatus.RUNNING


def test_a_task_whose_worker_died_each_time_fails_after_the_last_attempt():
    task = _running([f"gone-{i}" for i in range(MAX_ATTEMPTS)],
                    started_seconds_ago=STALE_SECONDS + 5)
    assert _sweep() == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "mitra.core.taskworker.WorkerLost"
    assert f"died {MAX_ATTEMPTS} times" in task.traceback
    assert task.finished_at is not None


def test_a_beat_updates_the_workers_one_row():
    started = timezone.now() - timedelta(minutes=5)
    beat("w", started, now=started)
    beat("w", started)
    [row] = WorkerHeartbeat.objects.filter(worker_id="w")
    assert row.started_at == started and row.beat_at > started


def test_workers_gone_for_a_week_are_forgotten():
    now = timezone.now()
    beat("old", now - FORGET_AFTER, now=now - FORGET_AFTER - timedelta(minutes=1))
    beat("recent", now - FORGET_AFTER, now=now - FORGET_AFTER + timedelta(minutes=1))
    assert forget_gone_workers(now) == 1
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recent"]
