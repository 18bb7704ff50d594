"""Diary submissions per second through the real server (gunicorn, 2 workers) on PostgreSQL.

    .venv/bin/python bench/diary_submissions.py [--threads 16] [--per-thread 150]

Uses DATABASE_URL, or postgres://postgres@127.0.0.1:5432/mitra_bench, creating and migrating
that database when needed. Signs in one patient per client thread (a server-side session, as
after a real login), then every thread posts JSON diary entries, each with its own UUID, to
/diary/api/entries/ over a keep-alive connection. Prints submissions per second; the target is
at least 300 per second on 2 cores. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mitra_bench"


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # name comes from the operator's URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_sessions(n: int) -> list[str]:
    """n patients (made once, reused), each signed in: returns their session cookies."""
    import django

    django.setup()
    from django.test import Client

    from mitra.accounts.models import CareTeam
    from mitra.testing import login, make_patient

    team, _ = CareTeam.objects.get_or_create(name="Bench team")
    cookies = []
    for i in range(n):
        from mitra.patients.models import Patient

        patient = Patient.objects.filter(user__username=f"bench{i}").first()
        if patient is None:
            patient = make_patient(f"bench{i}", f"Bench patient {i}", team)
        client = login(Client(), patient.user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer on /healthz")


def client_thread(port, session, days, results, index, barrier):
    token = uuid.uuid4().hex  # any 32 letters and digits; the cookie and the header must match
    cookie = f"sessionid={session}; csrftoken={token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    codes: dict[int, int] = {}
    rng = random.Random(index)  # noqa: S311
    barrier.wait()
    for day in days:
        body = json.dumps({
            "uuid": str(uuid.uuid4()), "date": day.isoformat(), "mood": rng.randint(0, 10),
            "anxiety": rng.randint(0, 10), "craving": rng.randint(0, 10),
            "sleep_quality": rng.randint(0, 10), "withdrawal": rng.randint(0, 10),
            "motives": ["pain"], "note": "",
            "uses": [{"substance": "kratom_powder", "amount": str(rng.randint(1, 8)), "unit": "g",
                      "time": "08:00"}],
        })
        conn.request("POST", "/diary/api/entries/", body=body, headers={
            "Content-Type": "application/json", "Cookie": cookie, "X-CSRFToken": token,
            "Referer": f"http://127.0.0.1:{port}/diary/", "Host": "127.0.0.1",
        })
        response = conn.getresponse()
        response.read()
        codes[response.status] = codes.get(response.status, 0) + 1
    results[index] = codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--per-thread", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--server-threads", type=int, default=4)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="mitra.settings",
               DEBUG="false", LOG_LEVEL="ERROR")
    os.environ.update(env)
    ensure_database(url)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "mitra"), "migrate", "--no-input", "-v0"], env=env,  # noqa: S603
                   check=True, cwd=ROOT)
    sessions = make_sessions(args.threads)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [str(bin_dir / "gunicorn"), "mitra.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", args.worker_class,
         "--threads", str(args.server_threads),
         "--log-level", "warning"], env=env, cwd=ROOT,
    )
    try:
        wait_for(port)
        from django.utils import timezone

        today = timezone.localdate()
        results: list[dict | None] = [None] * args.threads
        barrier = threading.Barrier(args.threads + 1)
        threads = []
        for i, session in enumerate(sessions):
            # Days within the last year (the form's range); a re-run makes new versions.
            back = random.sample(range(365), min(args.per_thread, 365))  # noqa: S311
            days = [today - timedelta(days=k) for k in back]
            t = threading.Thread(target=client_thread,
                                 args=(port, session, days, results, i, barrier))
            t.start()
            threads.append(t)
        barrier.wait()
        started = time.monotonic()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    codes: dict[int, int] = {}
    for r in results:
        for code, n in (r or {}).items():
            codes[code] = codes.get(code, 0) + n
    total = sum(codes.values())
    print(f"{total} diary submissions from {args.threads} clients in {elapsed:.2f} s "
          f"(gunicorn {args.worker_class}, {args.workers} workers x {args.server_threads} "
          f"threads, {os.cpu_count()} CPUs): "
          f"{total / elapsed:.0f} submissions/s; status codes {codes}")
    bad = total - codes.get(201, 0) - codes.get(200, 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
