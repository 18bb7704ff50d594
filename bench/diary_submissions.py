"""Diary submissions per second through the real server (gunicorn, 2 workers) on PostgreSQL.

    .venv/bin/python bench/diary_submissions.py [--client auto|wrk|python] [--seconds 20]

Uses DATABASE_URL, or the database mitra_bench as user postgres on the local PostgreSQL server
(its Unix socket when it answers, else 127.0.0.1:5432), creating and migrating that database
when needed. Signs in 16 new patients (server-side sessions, as after a real
login; new on every run, so each run starts from empty diaries) and runs VACUUM ANALYZE, as
autovacuum would on a production server; then 16 keep-alive connections
post JSON diary entries, each with its own UUID and a day within the last year, to
/diary/api/entries/: most make a new day, the rest (a quarter to a third, counted and printed)
are edits of a day posted before. The load comes from wrk (Debian package `wrk`, with
`bench/diary_submissions.lua`) when it is installed, else from Python threads, which take a
good share of the same two cores themselves. Prints submissions per second, the entries found
stored afterwards, and the CPU each part used per submission (gunicorn, PostgreSQL, the load
generator), and a machine check: a fixed Python loop's CPU before and after the run, since a
shared machine's speed changes from minute to minute. The target is at least 300 per second on
2 cores. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
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
# PostgreSQL's local Unix socket when it answers (as a server sharing the host with its
# database would connect), else TCP.
DEFAULT_URLS = ("postgres://postgres@/mitra_bench",
                "postgres://postgres@127.0.0.1:5432/mitra_bench")


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # name comes from the operator's URL


def vacuum_analyze(url: str) -> float:
    """VACUUM ANALYZE the benchmark's database; returns the seconds it took.

    A production server's autovacuum (on by default) keeps the planner's statistics current
    and clears the row versions an edit leaves behind. A server with it off (this project's
    CI machine) keeps neither, and the plans of the submission's look-ups depend on those
    statistics: with the columns' statistics removed from a 330,000-entry database, this
    benchmark fell to about 40 submissions/s. Each run therefore starts from a maintained
    database."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def default_url() -> str:
    import psycopg

    for url in DEFAULT_URLS:
        try:
            psycopg.connect(urlparse(url)._replace(path="/postgres").geturl(),
                            connect_timeout=5).close()
            return url
        except psycopg.OperationalError:
            continue
    raise SystemExit("no PostgreSQL server answers: set DATABASE_URL=postgres://...")


def machine_check() -> float:
    """Seconds of CPU for a fixed pure-Python loop: on a shared machine the same code can need
    half again as much CPU in one minute as in the next, and this shows which kind of minute a
    run had (lower is quicker)."""
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_sessions(n: int) -> tuple[list[str], list[int]]:
    """n new patients, each signed in: (session cookies, patient ids). New on every run, so
    every run starts from the same state (empty diaries) however many ran before."""
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from mitra.accounts.models import CareTeam
    from mitra.testing import login, make_patient

    team, _ = CareTeam.objects.get_or_create(name="Bench team")
    run = uuid.uuid4().hex[:6]
    cookies, ids = [], []
    for i in range(n):
        # Enrolled a year ago: the posts are for days of the last year.
        patient = make_patient(f"b{run}{i:03d}", f"Bench patient {i}", team,
                               enrolled_on=timezone.localdate() - timedelta(days=366))
        client = login(Client(), patient.user)
        cookies.append(client.cookies["sessionid"].value)
        ids.append(patient.pk)
    return cookies, ids


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


class CpuSampler:
    """CPU seconds used by the gunicorn process tree and by PostgreSQL's processes, read from
    /proc at the start and the end of the measured run (Linux only; empty elsewhere)."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.start = self._read()

    def _read(self) -> dict[str, dict[int, float]]:
        found: dict[str, dict[int, float]] = {"gunicorn": {}, "postgres": {}}
        proc = Path("/proc")
        if not proc.exists():
            return found
        tick = os.sysconf("SC_CLK_TCK")
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            pid, ppid = int(entry.name), int(fields[1])
            used = (int(fields[11]) + int(fields[12])) / tick
            if pid == self.server_pid or ppid == self.server_pid:
                found["gunicorn"][pid] = used
            elif name.startswith("postgres"):
                found["postgres"][pid] = used
        return found

    def used(self) -> dict[str, float]:
        self.end = self._read()
        return {part: sum(t - self.start[part].get(pid, 0.0) for pid, t in pids.items())
                for part, pids in self.end.items()}

    def worker_shares(self) -> list[int]:
        """Each gunicorn worker's share of the workers' CPU, in percent: a worker runs Python
        on one core at a time, so an uneven split leaves a core idle."""
        used = [t - self.start["gunicorn"].get(pid, 0.0)
                for pid, t in self.end["gunicorn"].items() if pid != self.server_pid]
        total = sum(used) or 1.0
        return sorted((round(100 * u / total) for u in used), reverse=True)


def stored_entries(patient_ids: list[int]) -> tuple[int, int]:
    """(entries stored, of which edits: a later version of a day already recorded)."""
    from mitra.diary.models import DiaryEntry

    entries = DiaryEntry.objects.filter(patient_id__in=patient_ids)
    return entries.count(), entries.filter(version__gt=1).count()


def run_wrk(port: int, sessions: list[str], args) -> tuple[int, dict, float, float]:
    """(requests, status counts, seconds, client CPU seconds) from one wrk run."""
    env = dict(os.environ, BENCH_COOKIES=",".join(sessions), BENCH_CSRF=uuid.uuid4().hex,
               BENCH_REFERER=f"http://127.0.0.1:{port}/diary/")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run(  # noqa: S603
        [shutil.which("wrk"), "-t2", f"-c{args.connections}", f"-d{args.seconds}s",
         "-s", str(ROOT / "bench" / "diary_submissions.lua"), f"http://127.0.0.1:{port}/"],
        env=env, capture_output=True, text=True, check=True)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for refused in (x for x in out.stdout.splitlines() if x.startswith("REFUSED ")):
        print(f"wrk: status codes other than 201 (code:count) {refused[8:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result = dict(item.split("=") for item in line.split()[1:])
    total, bad = int(result["requests"]), int(result["non2xx"]) + int(result["errors"])
    print(f"wrk: {args.connections} connections, latency p50 {result['p50_ms']} ms, "
          f"p99 {result['p99_ms']} ms")
    measured = float(args.seconds)  # wrk's own duration; `elapsed` adds its start and stop
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    codes = {201: total - bad, "other or failed": bad} if bad else {201: total}
    return total, codes, min(measured, elapsed), cpu


def run_threads(port: int, sessions: list[str], args) -> tuple[int, dict, float, float]:
    """(requests, status counts, seconds, client CPU seconds) from Python client threads."""
    from django.utils import timezone

    today = timezone.localdate()
    results: list[dict | None] = [None] * len(sessions)
    barrier = threading.Barrier(len(sessions) + 1)
    threads = []
    for i, session in enumerate(sessions):
        # Days within the last year (the form's range); a re-run makes new versions.
        back = random.sample(range(1, 365), min(args.per_thread, 364))  # noqa: S311
        days = [today - timedelta(days=k) for k in back]
        t = threading.Thread(target=client_thread,
                             args=(port, session, days, results, i, barrier))
        t.start()
        threads.append(t)
    barrier.wait()
    cpu_before = time.process_time()
    started = time.monotonic()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    codes: dict[int, int] = {}
    for r in results:
        for code, n in (r or {}).items():
            codes[code] = codes.get(code, 0) + n
    return sum(codes.values()), codes, elapsed, time.process_time() - cpu_before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", default="auto", choices=["auto", "wrk", "python"])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20, help="wrk: how long to send")
    parser.add_argument("--per-thread", type=int, default=150, help="python: posts per thread")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-vacuum", action="store_true",
                        help="skip VACUUM ANALYZE (to see what an unmaintained database costs)")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--server-threads", type=int, default=4)
    args = parser.parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    elif client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt install wrk)")
    url = os.environ.get("DATABASE_URL") or default_url()
    if not url.startswith("postgres"):
        raise SystemExit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="mitra.settings",
               DEBUG="false", LOG_LEVEL="ERROR")
    os.environ.update(env)
    ensure_database(url)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "mitra"), "migrate", "--no-input", "-v0"], env=env,  # noqa: S603
                   check=True, cwd=ROOT)
    sessions, patient_ids = make_sessions(args.connections)
    vacuumed = None if args.no_vacuum else vacuum_analyze(url)
    check_before = machine_check()
    port = free_port()
    from mitra.lib.serving import gunicorn_argv

    argv = gunicorn_argv(f"127.0.0.1:{port}", args.workers, args.server_threads,
                         access_log=False)  # `mitra serve` also logs each request to stdout
    connections_cap = argv[argv.index("--worker-connections") + 1]
    if args.worker_class != "gthread":
        argv += ["--worker-class", args.worker_class]
    server = subprocess.Popen(  # noqa: S603
        [str(bin_dir / "gunicorn"), *argv, "--log-level", "warning"], env=env, cwd=ROOT)
    try:
        wait_for(port)
        sampler = CpuSampler(server.pid)
        run = run_wrk if client == "wrk" else run_threads
        total, codes, elapsed, client_cpu = run(port, sessions, args)
        cpu = sampler.used()
    finally:
        server.terminate()
        server.wait(timeout=30)
    check_after = machine_check()
    stored, edits = stored_entries(patient_ids)
    ok = codes.get(201, 0) + codes.get(200, 0)
    print(f"{total} diary submissions from {args.connections} {client} connections in "
          f"{elapsed:.2f} s (gunicorn {args.worker_class}, {args.workers} workers x "
          f"{args.server_threads} threads and at most {connections_cap} connections, "
          f"{os.cpu_count()} CPUs, PostgreSQL over "
          f"{'TCP' if urlparse(url).hostname else 'its Unix socket'}): "
          f"{total / elapsed:.0f} submissions/s; status codes {codes}; "
          f"{stored} entries stored ({edits} of them edits of a day already recorded)")
    if total:
        per = {**cpu, "client": client_cpu}
        print("CPU per submission: " + ", ".join(
            f"{part} {seconds / total * 1000:.1f} ms" for part, seconds in per.items())
            + "; gunicorn workers' shares of it: "
            + " / ".join(f"{share}%" for share in sampler.worker_shares()))
    print(f"machine check: a fixed Python loop took {check_before:.2f} s of CPU before the run "
          f"and {check_after:.2f} s after (lower is quicker); "
          + ("no VACUUM ANALYZE" if vacuumed is None
             else f"VACUUM ANALYZE before the run took {vacuumed:.1f} s"))
    # Every answered submission must be stored (a request still in flight when wrk stops may
    # be stored without being counted, hence at least).
    return 0 if ok == total and stored >= ok else 1


if __name__ == "__main__":
    sys.exit(main())
