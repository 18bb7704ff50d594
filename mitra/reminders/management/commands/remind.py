from __future__ import annotations

import json
import traceback

from django.core.management.base import CommandError
from django.utils import timezone

from mitra.lib import jobs
from mitra.lib.command import MitraCommand
from mitra.reminders import dispatch, planner


class Command(MitraCommand):
    help = ("Plan the reminders whose time has come, send the due ones (retrying failed ones "
            "with backoff) and close the ones whose window ended, once (safe to run every "
            "minute from cron: never sends a prompt twice). Exits 1 when anything failed (a "
            "mail server down), with one line per failure on stderr; the rest is done all the "
            "same.")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json",
                            help="print the counts and failures as one JSON object")
        parser.add_argument("--replan", action="store_true",
                            help="first recompute every active schedule's next reminder time "
                                 "(after an import or a bulk change made without signals)")
        parser.add_argument("--verbose", action="store_true",
                            help="print each failure's traceback as well as its line")

    def handle(self, *args, as_json: bool = False, replan: bool = False,
               verbose: bool = False, **options):
        now = timezone.now()
        counts: dict[str, int] = {}
        failures: list[tuple[str, jobs.Failure]] = []
        steps: list[tuple[str, jobs.Job]] = [("planned", planner.plan_due),
                                             ("sent", dispatch.send_due),
                                             ("closed", dispatch.expire)]
        if replan:
            counts["replanned"] = planner.replan_all(now=now)
        for name, job in steps:
            try:
                counts[name] = job(now)
            except jobs.JobFailed as exc:
                counts[name] = exc.done
                failures += [(name, f) for f in exc.failures]
        if as_json:
            self.stdout.write(json.dumps({**counts, "failures": [
                {"step": step, "line": f.line()} for step, f in failures]}, sort_keys=True))
        else:
            if replan:
                self.stdout.write(f"Replanned {counts['replanned']} schedules.")
            self.stdout.write(f"Planned {counts['planned']} prompts, sent {counts['sent']} "
                              f"messages, closed {counts['closed']} prompts "
                              "(expired, or failed undelivered).")
        for _step, failure in failures:
            self.stderr.write(failure.line())
            if verbose:
                self.stderr.write("".join(traceback.format_exception(failure.error)).rstrip())
        if failures:
            n = len(failures)
            raise CommandError(f"{n} failure{'s' if n != 1 else ''} (listed above); the rest "
                               "of the run was done", returncode=1)
