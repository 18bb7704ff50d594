"""A TOTP code used once is refused by every other worker process: the cache is shared.

Each "worker" is its own Python process (as each gunicorn worker is), with its own memory, against
one database (and, with REDIS_URL, one Redis). django-allauth records a used code in the cache;
a per-process cache would let the same code sign in again on the next worker.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.clitools import mitra_env, run_mitra

REDIS = ("127.0.0.1", 6379)

# One worker: sign in as alice with password and TOTP code, through Django's real views.
WORKER = r"""
import json, sys
from datetime import UTC, datetime

import time_machine

# Both workers share one frozen instant, so they compute the same code for the same period.
with time_machine.travel(datetime.fromtimestamp(float(sys.argv[1]), UTC), tick=False):
    import django

    django.setup()
    from django.contrib.auth import SESSION_KEY
    from django.test import Client

    from mitra.accounts.models import Role, User
    from mitra.accounts.totp import current_code
    from mitra.testing import TEST_PASSWORD, make_user

    if not User.objects.filter(username="alice").exists():
        make_user("alice", Role.CLINICIAN)
    client = Client()
    step = client.post("/accounts/login/", {"login": "alice", "password": TEST_PASSWORD})
    code = current_code(User.objects.get(username="alice"))
    done = client.post(step["Location"], {"code": code})
    print(json.dumps({"code": code, "status": done.status_code,
                      "signed_in": SESSION_KEY in client.session}))
"""


def _instant() -> float:
    # A moment of its own for each run (so parallel runs against one Redis use other codes),
    # five seconds into a 30-second TOTP period.
    period = 30
    offset = uuid.uuid4().int % (10**6) * period
    return (int(time.time()) // period) * period + offset + 5


def _worker(env: dict[str, str], instant: float) -> dict:
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", WORKER, str(instant)], env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = mitra_env(tmp_path, ALLOWED_HOSTS="testserver")
    env.pop("REDIS_URL", None)  # the database cache unless the test asks for Redis
    env.update(extra, DJANGO_SETTINGS_MODULE="mitra.settings",
               PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    migrated = run_mitra("migrate", "--no-input", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    return env


def _replay_is_refused_by_a_second_worker(env: dict[str, str]) -> None:
    instant = _instant()
    first = _worker(env, instant)
    assert first["status"] == 302 and first["signed_in"], first
    second = _worker(env, instant)
    assert second["code"] == first["code"]
    assert second["status"] == 200, second
    assert not second["signed_in"], "the same TOTP code signed in twice on two workers"


def test_a_totp_code_is_refused_by_a_second_worker_with_the_database_cache(tmp_path):
    _replay_is_refused_by_a_second_worker(_env(tmp_path))


def _redis_reachable() -> bool:
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError:
        return False
    return True


def test_a_totp_code_is_refused_by_a_second_worker_with_redis(tmp_path):
    if not _redis_reachable():
        message = f"Redis is not reachable at {REDIS[0]}:{REDIS[1]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — required under CI")
        pytest.skip(message)
    env = _env(tmp_path, REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0")
    probe = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", "import django, json; django.setup();"
         " from django.conf import settings; from django.core.cache import cache;"
         " cache.set('mitra-probe', 'through redis', 5);"
         " print(json.dumps([settings.CACHES['default'], cache.get('mitra-probe')]))"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    config, stored = json.loads(probe.stdout)
    assert stored == "through redis"
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == f"redis://{REDIS[0]}:{REDIS[1]}/0"
    # Every network call has a timeout: a dead Redis fails a request, it never hangs one.
    assert config["OPTIONS"]["socket_timeout"] > 0
    assert config["OPTIONS"]["socket_connect_timeout"] > 0
    _replay_is_refused_by_a_second_worker(env)


def test_a_redis_url_that_is_not_one_stops_start_up(tmp_path):
    result = run_mitra("check", env=mitra_env(tmp_path, REDIS_URL="http://127.0.0.1:6379/0"))
    assert result.returncode == 2, result.stderr
    assert "REDIS_URL: http is not a Redis URL; allowed: redis://HOST:PORT/DB" in result.stderr
    assert "Traceback" not in result.stderr
