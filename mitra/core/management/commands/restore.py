from __future__ import annotations

from pathlib import Path

from mitra.core.management.commands.backup import (
    as_command_error,
    checked_timeout,
    timeout_argument,
)
from mitra.lib.backup import EXIT_STATUSES, BackupError, restore_backup
from mitra.lib.command import MitraCommand


class Command(MitraCommand):
    help = ("Restore a folder made by mitra backup into an empty database, then check every "
            "table's row count and digest against its manifest.")
    epilog = EXIT_STATUSES

    def create_parser(self, prog_name, subcommand, **kwargs):
        return super().create_parser(prog_name, subcommand, epilog=self.epilog, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="A backup folder made by mitra backup.")
        timeout_argument(parser)

    def handle(self, *args, path, timeout, **options):
        try:
            report = restore_backup(Path(path), timeout=checked_timeout(timeout))
        except BackupError as exc:
            raise as_command_error(exc) from None
        made = report.manifest
        self.stdout.write(
            f"Restored {report.path} (made {made['created_at']} by Mitra "
            f"{made['mitra_version']}): {report.tables} tables, {report.rows:,} rows, every "
            f"count and digest equal to the manifest, in {report.seconds:.1f} s.")
        for note in report.notes:
            self.stdout.write(note)
        self.stdout.write(report.reminder)
