from __future__ import annotations

import traceback

from django.core.management.base import CommandError
from django.utils import timezone

from mitra.lib import conf, jobs
from mitra.lib.command import MitraCommand


class Command(MitraCommand):
    help = ("Escalate urgent alerts unacknowledged for MITRA_ALERT_ESCALATION_MINUTES and raise "
            "overdue-questionnaire and missed-diary alerts (safe to run every minute from cron: "
            "never notifies or raises twice). Exits 1 when any of it failed, with one line per "
            "failure on stderr; the rest is done all the same.")

    def add_arguments(self, parser):
        parser.add_argument("--verbose", action="store_true",
                            help="print each failure's traceback as well as its line")

    def handle(self, *args, verbose: bool = False, **options):
        report = jobs.run_all(timezone.now())
        count, minutes = report["escalated"], conf.alert_escalation_minutes()
        self.stdout.write(f"Escalated {count} urgent alert{'s' if count != 1 else ''} "
                          f"(unacknowledged for {minutes} minutes or more).")
        self.stdout.write(f"Raised {report['overdue_measure']} overdue-questionnaire and "
                          f"{report['missed_diary']} missed-diary alerts.")
        for _job, failure in report.failures:
            self.stderr.write(failure.line())
            if verbose:
                self.stderr.write("".join(traceback.format_exception(failure.error)).rstrip())
        if report.failures:
            n = len(report.failures)
            # One line on stderr and exit 1 (MitraCommand): cron and a supervisor see it.
            raise CommandError(f"{n} failure{'s' if n != 1 else ''} (listed above); the rest "
                               "of the run was done", returncode=1)
