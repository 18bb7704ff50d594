from __future__ import annotations

import time

from django.db import connection, transaction
from tqdm import tqdm

from mitra.accounts.models import User
from mitra.lib.command import MitraCommand, UsageError
from mitra.patients.cohort import app_populators, build_cohort, logins_text


class Command(MitraCommand):
    help = "Create the synthetic demo cohort (demo clinician, admin, researcher and patients)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=60)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing (but print the logins) when users already exist.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, patients, days, seed, if_empty, quiet, **options):
        if patients < 6:
            raise UsageError(f"--patients must be at least 6 (one per story), not {patients}")
        if not 14 <= days <= 3650:
            raise UsageError(f"--days must be between 14 and 3650, not {days}")
        if User.objects.exists():
            if if_empty:
                self.stdout.write("The database already has users; the demo cohort was not added.")
                self.stdout.write(logins_text(seed))
                return
            raise UsageError("the database already has users; use an empty database")
        started = time.monotonic()
        steps = app_populators()
        bar = tqdm(total=1 + len(steps), desc="demo cohort", unit="step", disable=quiet,
                   file=self.stderr._out)
        timings: list[tuple[str, float]] = []
        with transaction.atomic():
            mark = time.monotonic()
            ctx = build_cohort(patients=patients, days=days, seed=seed)
            timings.append(("core", time.monotonic() - mark))
            bar.update(1)
            for label, populate in steps:
                bar.set_postfix_str(label)
                mark = time.monotonic()
                populate(ctx)
                timings.append((label, time.monotonic() - mark))
                bar.update(1)
        if connection.vendor == "postgresql":
            # The planner's statistics now, not at autovacuum's next pass (or never, on a
            # server that has it off): the load changed every table, and without statistics
            # PostgreSQL can pick a plan that reads a whole table for one patient's rows.
            mark = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            timings.append(("statistics", time.monotonic() - mark))
        bar.close()
        self.stdout.write(
            f"Created {patients} synthetic patients over {days} days "
            f"in {time.monotonic() - started:.1f} s."
        )
        # One line per step, so a slow populator is easy to find (bench/demo_cohort.py reads it).
        steps_text = ", ".join(f"{label} {secs:.1f} s" for label, secs in timings)
        self.stdout.write(f"Steps: {steps_text}")
        self.stdout.write(logins_text(seed))
