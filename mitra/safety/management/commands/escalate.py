from __future__ import annotations

from django.utils import timezone

from mitra.lib import conf, jobs
from mitra.lib.command import MitraCommand


class Command(MitraCommand):
    help = ("Escalate urgent alerts unacknowledged for MITRA_ALERT_ESCALATION_MINUTES and raise "
            "overdue-questionnaire and missed-diary alerts (safe to run every minute from cron: "
            "never notifies or raises twice).")

    def handle(self, *args, **options):
        counts = jobs.run_all(timezone.now())
        count, minutes = counts["escalated"], conf.alert_escalation_minutes()
        self.stdout.write(f"Escalated {count} urgent alert{'s' if count != 1 else ''} "
                          f"(unacknowledged for {minutes} minutes or more).")
        self.stdout.write(f"Raised {counts['overdue_measure']} overdue-questionnaire and "
                          f"{counts['missed_diary']} missed-diary alerts.")
