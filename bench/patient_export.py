"""Build time of one patient's data export ("Download my data") with a year of records.

Builds `mitra demo --patients P --days 365` (questionnaires fortnightly) into a fresh SQLite
file, or into an existing empty PostgreSQL database (`--database-url`, migrated by this
script), takes the patient with the most diary days and fills in the days their demo story
leaves out, so they have a diary on each of the last 365 days. Then builds their export ZIP
(`mitra.reports.export.build_export`) once to warm up and `--runs` times measured, and prints
the median and max seconds, the ZIP's size and what it holds. Target (issue): at most 2 s.

    .venv/bin/python bench/patient_export.py [--patients P] [--runs R] [--database-url URL]

`--patients` is at least 6 (one per demo story).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MITRA = str(Path(sys.executable).with_name("mitra"))
TARGET_SECONDS = 2.0


def _run(argv: list[str], env: dict) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[1:3])} failed: {done.stderr.strip()[-2000:]}")


def _fill_the_year(patient) -> None:
    """A diary on every one of the last 365 days: the demo's stories leave some days out."""
    from datetime import timedelta

    from django.utils import timezone

    from mitra.diary.tests.factories import make_entry

    today = timezone.localdate()
    first = today - timedelta(days=364)
    if patient.enrolled_on > first:
        patient.enrolled_on = first
        patient.save(update_fields=["enrolled_on"])
    have = set(patient.diary_entries.filter(is_current=True).values_list("date", flat=True))
    for n in range(365):
        day = first + timedelta(days=n)
        if day not in have:
            make_entry(patient, day, mood=5, craving=4)


def measure(runs: int) -> dict:
    """Runs inside a process whose DATABASE_URL points at the built database."""
    import io
    import zipfile

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitra.settings")
    django.setup()
    from django.db.models import Count, Q

    from mitra.patients.models import Patient
    from mitra.reports.export import build_export

    patient = (Patient.objects.annotate(days=Count("diary_entries", filter=Q(
        diary_entries__is_current=True))).order_by("-days").first())
    _fill_the_year(patient)
    patient.days = patient.diary_entries.filter(is_current=True).count()
    times, size, files = [], 0, {}
    for n in range(runs + 1):
        began = time.perf_counter()
        out = build_export(patient)
        data = out.read()
        elapsed = time.perf_counter() - began
        out.close()
        if n:  # the first build warms caches (instrument files, fonts)
            times.append(elapsed)
        size = len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        files = {i.filename: i.file_size for i in z.infolist()}
        bundle = json.loads(z.read("everything.json"))
    return {"diary_days": patient.days, "fhir_resources": len(bundle["entry"]),
            "median_s": statistics.median(times), "max_s": max(times), "zip_bytes": size,
            "files": len(files)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: "
                        "a fresh SQLite file)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.runs)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": url, "MITRA_VAR_DIR": str(Path(tmp) / "var"),
               "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        _run([MITRA, "migrate", "--no-input"], env)
        _run([MITRA, "demo", "--patients", str(args.patients), "--days", "365", "--seed", "1",
              "--quiet"], env)
        print(f"built in {time.monotonic() - started:.0f} s", flush=True)
        done = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--measure", "--runs", str(args.runs)], env=env,
            capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        r = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"patient export: {r['diary_days']} diary days, {r['fhir_resources']} FHIR resources,"
          f" {r['files']} files, ZIP {r['zip_bytes'] / 1024:.0f} KiB")
    verdict = "ok" if r["max_s"] <= TARGET_SECONDS else "OVER TARGET"
    print(f"  median {r['median_s']:.3f} s, max {r['max_s']:.3f} s over {args.runs} builds"
          f" (target <= {TARGET_SECONDS:.0f} s: {verdict})")
    return 0 if r["max_s"] <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
