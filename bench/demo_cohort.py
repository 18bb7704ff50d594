"""Time `mitra demo --patients 1000 --days 365 --seed 1` on a fresh temporary SQLite database.

Prints the seconds for the whole command and for each step (core and each app's populator).
The target (issue 2) is about two minutes. Usage: .venv/bin/python bench/demo_cohort.py
[--patients N] [--days D] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MITRA = str(Path(sys.executable).with_name("mitra"))
TARGET_SECONDS = 120


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="An empty database (default: temp SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mitra-bench-") as tmp:
        env = {**os.environ, "MITRA_VAR_DIR": str(Path(tmp) / "var"),
               "DATABASE_URL": args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"}
        migrate = subprocess.run([MITRA, "migrate", "--no-input"], env=env,  # noqa: S603
                                 capture_output=True, text=True)
        if migrate.returncode != 0:
            print(f"migrate failed: {migrate.stderr.strip()}", file=sys.stderr)
            return 1
        started = time.monotonic()
        demo = subprocess.run(  # noqa: S603 - fixed argv
            [MITRA, "demo", "--patients", str(args.patients), "--days", str(args.days),
             "--seed", str(args.seed), "--quiet"],
            env=env, capture_output=True, text=True,
        )
        seconds = time.monotonic() - started
        if demo.returncode != 0:
            print(f"demo failed after {seconds:.1f} s: {demo.stderr.strip()}", file=sys.stderr)
            return 1
        steps = re.search(r"^Steps: (.*)$", demo.stdout, flags=re.M)
        size = (Path(tmp) / "bench.sqlite3").stat().st_size if not args.database_url else 0
    print(f"demo cohort: {args.patients} patients x {args.days} days, seed {args.seed}")
    print(f"  total      {seconds:.1f} s (target: about {TARGET_SECONDS} s)")
    if steps:
        for part in steps.group(1).split(", "):
            label, _, secs = part.rpartition(" s")[0].rpartition(" ")
            print(f"  {label:<10} {secs} s")
    if size:
        print(f"  database   {size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
