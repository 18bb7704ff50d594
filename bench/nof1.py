"""The clinician's n-of-1 page on a 365-day diary: how long the read, the statistics and the
whole page take.

Builds a small demo cohort (`mitra demo --patients 10 --days 365`) into a fresh SQLite file,
picks the clinician's tapering patient with the most diary days (a year of entries, a plan with
its steps), and times, in this process, with the median of `--runs` after one warm-up:

* the bare queries (`queries.nof1_series`: entries, uses, plan, pauses), the floor under
  everything else, measured in the same run;
* the computation (`nof1.report`: every substance x 2 exposures x 4 outcomes, each with its
  1,000 block-bootstrap resamples, and the taper phases);
* the page (`diary:patient_nof1` through Django's test Client, signed in as the clinician).

It prints each, the page over the queries (what the statistics and the template add), and
fails (exit 1) when the page takes longer than the ceiling `--ceiling` (default 2 s).

    .venv/bin/python bench/nof1.py [--runs 5] [--ceiling 2.0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MITRA = str(Path(sys.executable).with_name("mitra"))
# This checkout's code, also in the `mitra` processes (the environment may be another's).
sys.path.insert(0, str(ROOT))


def _run(argv: list[str], env: dict) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[1:3])} failed: {done.stderr.strip()[-2000:]}")


def _median(fn, runs: int) -> float:
    fn()  # warm-up: templates, the first connection
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ceiling", type=float, default=2.0, help="seconds for the page")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mitra-bench-nof1-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
           "MITRA_VAR_DIR": str(tmp / "var"), "PYTHONPATH": str(ROOT)}
    began = time.monotonic()
    _run([MITRA, "migrate", "--no-input"], env)
    _run([MITRA, "demo", "--patients", "10", "--days", "365", "--seed", "1", "--quiet"], env)
    print(f"built a 10-patient, 365-day demo in {time.monotonic() - began:.0f} s", flush=True)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitra.settings")
    import django

    django.setup()
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from mitra.accounts.models import User
    from mitra.diary import nof1, queries
    from mitra.diary.views import _nof1_window
    from mitra.patients.access import patients_for_user
    from mitra.testing import login

    clinician = User.objects.get(username="clinician")
    patient = (patients_for_user(clinician).filter(taper_plans__isnull=False)
               .annotate(days=Count("diary_entries")).order_by("-days").first())
    start, end = _nof1_window()
    days, uses, plan = queries.nof1_series(patient, start, end)
    result = nof1.report(days, uses, start, end, plan.as_plan() if plan else None)
    print(f"patient: {len(days)} diary days, {len(uses)} use events, "
          f"{len(result.associations)} cells ({len(result.with_result)} with a result), "
          f"{len(result.phases)} taper phases")
    client = login(Client(SERVER_NAME="localhost"), clinician)
    url = reverse("diary:patient_nof1", args=[patient.uuid])
    assert client.get(url).status_code == 200

    queried = _median(lambda: queries.nof1_series(patient, start, end), args.runs)
    computed = _median(lambda: nof1.report(days, uses, start, end,
                                           plan.as_plan() if plan else None), args.runs)
    page = _median(lambda: client.get(url), args.runs)
    print(f"bare queries (floor):  {queried:.3f} s")
    print(f"computation:           {computed:.3f} s")
    print(f"page:                  {page:.3f} s  ({page / queried:.0f}x the queries; "
          f"ceiling {args.ceiling:.1f} s)")
    return 0 if page <= args.ceiling else 1


if __name__ == "__main__":
    sys.exit(main())
