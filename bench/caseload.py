"""Server time of the caseload dashboard, one patient's timeline, one PDF report and the clinic
page (outcomes) at scale.

Builds `mitra demo --patients 1000 --days 365` into a fresh SQLite file and a fresh PostgreSQL
database (`mitra_bench_reports`, dropped and created by this script), then signs in the demo
clinician with Django's test Client and prints the median and p95 of each page's server time.
Targets (issue 6): caseload and timeline median <= 150 ms, PDF <= 2 s; the clinic page with
its outcomes (issue 22) <= 300 ms. Printed beside it, its floor in the same run: one raw SQL
fetch of the PHQ-9 and GAD-7 totals the outcomes are judged from.

    .venv/bin/python bench/caseload.py [--patients N] [--days D] [--runs R]
        [--backend sqlite|postgres|both] [--postgres-url postgres://user@host:5432]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MITRA = str(Path(sys.executable).with_name("mitra"))
PG_NAME = "mitra_bench_reports"
TARGETS_MS = {"caseload": 150, "caseload page 5": 150, "timeline": 150, "pdf": 2000,
              "clinic": 300}


def _run(argv: list[str], env: dict) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[1:3])} failed: {done.stderr.strip()[-2000:]}")


def _fresh_postgres(server_url: str) -> str:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
        conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    return f"{server_url}/{PG_NAME}"


def _build(database_url: str, tmp: Path, patients: int, days: int) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "MITRA_VAR_DIR": str(tmp / "var")}
    started = time.monotonic()
    _run([MITRA, "migrate", "--no-input"], env)
    _run([MITRA, "demo", "--patients", str(patients), "--days", str(days), "--seed", "1",
          "--quiet"], env)
    print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
    return env


def measure(runs: int) -> dict:
    """Runs inside a process whose DATABASE_URL points at the built database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitra.settings")
    django.setup()
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from mitra.accounts.models import User
    from mitra.patients.access import patients_for_user
    from mitra.testing import login

    clinician = User.objects.get(username="clinician")
    client = login(Client(SERVER_NAME="localhost"), clinician)
    mine = patients_for_user(clinician)
    # A tapering patient: the timeline with the most series (plan, pauses, withdrawal scales).
    patient = mine.filter(taper_plans__isnull=False).first() or mine.first()
    timeline = reverse("reports:timeline", args=[patient.uuid])
    pages = {
        "caseload": reverse("core:caseload"),
        "caseload page 5": reverse("core:caseload") + "?page=5&sort=phq9",
        "timeline": timeline + "?start={start}",
        "pdf": reverse("reports:report", args=[patient.uuid]) + "?start={start}",
        "clinic": reverse("reports:clinic"),
    }
    start = (timezone.localdate() - timedelta(days=364)).isoformat()
    results = {"patients": mine.count()}
    for name, url in pages.items():
        url = url.format(start=start)
        times = []
        for n in range(runs + 1):
            began = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if n:  # the first request warms caches (templates, instrument files)
                times.append(elapsed)
        times.sort()
        results[name] = {"median": statistics.median(times),
                         "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]}
    results["floor"] = _totals_floor(runs)
    return results


def _totals_floor(runs: int) -> float:
    """Median ms of fetching the rows the outcomes judge, by one raw SQL query (no ORM)."""
    from django.db import connection

    sql = ("SELECT patient_id, instrument, submitted_at, total FROM measures_response"
           " WHERE instrument IN ('phq9', 'gad7') AND total IS NOT NULL"
           " ORDER BY patient_id, instrument, submitted_at")
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "MITRA_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--existing", metavar="DATABASE_URL",
                        help="Measure a database already built with `mitra demo` (no build)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.runs)))
        return 0
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if args.existing:
        backends = ["existing"]
    print(f"caseload benchmark: {args.patients} patients x {args.days} days, "
          f"{args.runs} runs per page, {os.cpu_count()} CPUs")
    failed = False
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="mitra-bench-reports-") as tmp_name:
            tmp = Path(tmp_name)
            print(f"{backend}:", flush=True)
            if backend == "existing":
                env = {**os.environ, "DATABASE_URL": args.existing}
            else:
                url = (f"sqlite:///{tmp / 'bench.sqlite3'}" if backend == "sqlite"
                       else _fresh_postgres(args.postgres_url))
                env = _build(url, tmp, args.patients, args.days)
            done = subprocess.run(  # noqa: S603 - fixed argv
                [sys.executable, __file__, "--measure", "--runs", str(args.runs)], env=env,
                capture_output=True, text=True, cwd=ROOT,
            )
            if done.returncode != 0:
                print(done.stderr[-3000:], file=sys.stderr)
                return 1
            results = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"  clinician's caseload: {results.pop('patients')} patients")
            floor = results.pop("floor")
            for name, r in results.items():
                target = TARGETS_MS[name]
                verdict = "ok" if r["median"] <= target else "OVER TARGET"
                failed |= r["median"] > target
                print(f"  {name:<16} median {r['median']:7.1f} ms   p95 {r['p95']:7.1f} ms"
                      f"   (target median <= {target} ms: {verdict})")
            print(f"  clinic floor: the outcomes' totals by one raw SQL fetch,"
                  f" median {floor:.1f} ms")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
