"""/healthz (liveness: the process answers, no database) and /readyz (the database answers and
a background worker beat its heartbeat in the last STALE_SECONDS)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mitra.core.models import WorkerHeartbeat
from mitra.core.taskworker import STALE_SECONDS

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _beat(seconds_ago: float) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w1", host="h", pid=1, started_at=now,
                                   beat_at=now - timedelta(seconds=seconds_ago))


def test_healthz_reads_no_database_and_takes_any_host(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client(HTTP_HOST="10.0.0.7").get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


def test_readyz_needs_no_worker_when_tasks_run_at_once():
    # The test settings' immediate backend: nothing waits for a worker.
    response = Client(HTTP_HOST="10.0.0.7").get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == {"ok": True}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_503_until_a_worker_beats(settings):
    settings.TASKS = DB_TASKS
    response = Client().get("/readyz")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json()["checks"]["worker"] == {
        "ok": False, "problem": "no background worker has ever run (mitra worker)"}
    _beat(seconds_ago=3)
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {
        "database": {"ok": True}, "worker": {"ok": True, "last_beat_seconds_ago": 3}}}


def test_readyz_is_503_when_the_newest_beat_is_stale(settings):
    settings.TASKS = DB_TASKS
    _beat(seconds_ago=STALE_SECONDS + 30)
    response = Client().get("/readyz")
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False and worker["last_beat_seconds_ago"] == STALE_SECONDS + 30
    assert f"for {STALE_SECONDS + 30} s" in worker["problem"]


def test_readyz_for_a_load_balancer_can_leave_the_worker_out(settings):
    settings.TASKS = DB_TASKS
    _beat(seconds_ago=STALE_SECONDS + 30)
    response = Client().get("/readyz", {"only": "database"})
    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"database": {"ok": True}}}
    refused = Client().get("/readyz", {"only": "disk"})
    assert refused.status_code == 400
    assert refused.json()["problem"] == ("only: 'disk' is not a check; allowed: database "
                                         "(or leave it out for every check)")
