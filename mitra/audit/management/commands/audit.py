"""`mitra audit verify`: check the audit trail's hash chain and the triggers that guard it.

Exit 0 with the number of events when every link holds; exit 1 with one line naming the first
broken or missing link (or a missing or disabled trigger) otherwise. Run it from cron and keep
the last line it printed elsewhere: the head's seal there shows later whether events were cut
from the end by someone who could also rewrite the head.
"""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import connection

from mitra.audit import chain
from mitra.lib.command import MitraCommand

# The triggers migration 0006 creates, per database.
TRIGGERS = {
    "postgresql": {
        "audit_auditevent": ["mitra_audit_append_only", "mitra_audit_no_truncate"],
        "audit_auditchainhead": ["mitra_audit_head_forward", "mitra_audit_head_kept",
                                 "mitra_audit_head_no_truncate"],
    },
    "sqlite": {
        "audit_auditevent": ["mitra_audit_no_update", "mitra_audit_no_delete"],
        "audit_auditchainhead": ["mitra_audit_head_forward", "mitra_audit_head_kept"],
    },
}


def missing_triggers() -> list[str]:
    """The guarding triggers that are missing or disabled, as "table.trigger"."""
    wanted = TRIGGERS.get(connection.vendor, {})
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c "
                "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'")
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        else:
            return []
        present = set(cursor.fetchall())
    return [f"{table}.{name}" for table, names in wanted.items() for name in names
            if (table, name) not in present]


class Command(MitraCommand):
    help = "Check the audit trail: its hash chain and the triggers that keep it append-only."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        sub.add_parser(
            "verify", help="Check every event's seal and link; exit 1 naming the first broken "
                           "or missing link.")

    def handle(self, *args, action, **options):
        count, problem = chain.verify()
        if problem:
            raise CommandError(f"the audit trail is broken: {problem}", returncode=1)
        triggers = missing_triggers()
        if triggers:
            raise CommandError(
                f"the audit trail's chain holds ({count} events), but these triggers are "
                f"missing or disabled: {', '.join(triggers)} (run: mitra migrate)", returncode=1)
        head = chain.head()
        self.stdout.write(f"audit trail intact: {count} events, links 1 to {count}; "
                          f"head seal {head[1] if head else chain.GENESIS}")
