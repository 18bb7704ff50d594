from __future__ import annotations

from django.utils import timezone

from mitra.core.command import MitraCommand
from mitra.safety.actions import escalate_due_alerts, escalation_minutes


class Command(MitraCommand):
    help = ("Escalate urgent alerts unacknowledged for MITRA_ALERT_ESCALATION_MINUTES "
            "(safe to run every minute from cron: never notifies twice).")

    def handle(self, *args, **options):
        count = escalate_due_alerts(timezone.now())
        self.stdout.write(f"Escalated {count} urgent alert{'s' if count != 1 else ''} "
                          f"(unacknowledged for {escalation_minutes()} minutes or more).")
