"""Time and peak memory of `mitra diary analyze` on a large CSV of use events.

    .venv/bin/python bench/diary_analyze.py [--mb 200] [--days 730] [--checkout DIR] [--keep]

Writes a CSV of about `--mb` megabytes (the contract's columns plus a note column, a year or
two of use events for the substances, several a day) in a temporary folder, runs
`mitra diary analyze FILE --json` on it in a new process (this checkout's code, output thrown
away) and prints the seconds it took and the process's peak resident memory
(`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`). The report itself is bounded by the
distinct days and substances, not by the rows, so its memory should be too. `--checkout`
runs another checkout's code on the same file (before and after a change). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "timestamp,substance,amount,unit,grams_per_unit,note\n"
ROWS = [  # (substance, unit, amounts, grams per unit)
    ("kratom_powder", "g", ("1.5", "2", "3", "4.25"), ""),
    ("kratom_capsule", "capsules", ("2", "4", "6"), "0.5"),
    ("kratom_extract", "mL", ("5", "10"), ""),
    ("alcohol", "standard_drinks", ("1", "2", "3"), ""),
    ("kava", "mL", ("100", "200"), ""),
]


def write_csv(path: Path, megabytes: float, days: int, seed: int = 1) -> int:
    """About `megabytes` of rows (UTC times) over the `days` days up to now; the row count."""
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)
    target = int(megabytes * 1024 * 1024)
    written, rows = len(HEADER), 0
    with path.open("w", newline="") as out:
        out.write(HEADER)
        while written < target:
            lines = []
            for _ in range(10_000):
                substance, unit, amounts, fill = rng.choice(ROWS)
                when = start + timedelta(seconds=rng.randrange(days * 86400))
                lines.append(f"{when.isoformat()},{substance},{rng.choice(amounts)},{unit},"
                             f"{fill},row {rows + len(lines)}\n")
            block = "".join(lines)
            out.write(block)
            written += len(block)
            rows += len(lines)
    return rows


def run(path: Path, tmp: Path, code_root: Path) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak resident MB of the child, first line of stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(PYTHONPATH=str(code_root), MITRA_VAR_DIR=str(tmp / "var"),
               DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}")
    code = "import sys; from mitra.cli import main; sys.exit(main())"
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", code, "diary", "analyze", str(path), "--json"],
        env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    return done.returncode, seconds, peak_kb / 1024, (done.stderr.splitlines() or [""])[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200, help="CSV size in MB (default 200)")
    parser.add_argument("--days", type=int, default=730, help="days of diary (default 730)")
    parser.add_argument("--checkout", type=Path, default=ROOT,
                        help="the checkout whose code runs (default: this one)")
    parser.add_argument("--keep", action="store_true", help="keep the CSV, print its path")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mitra-bench-analyze-"))
    path = tmp / "uses.csv"
    made = time.perf_counter()
    rows = write_csv(path, args.mb, args.days)
    size = path.stat().st_size / 1024 / 1024
    print(f"CSV: {size:.0f} MB, {rows:,} rows over {args.days} days "
          f"(written in {time.perf_counter() - made:.1f} s)")
    status, seconds, peak, first = run(path, tmp, args.checkout.resolve())
    print(f"mitra diary analyze --json (code: {args.checkout.resolve().name}): exit {status}, "
          f"{seconds:.1f} s, peak memory {peak:.0f} MB")
    if first:
        print(f"stderr: {first}")
    if args.keep:
        print(path)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
