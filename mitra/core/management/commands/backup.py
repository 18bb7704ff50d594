from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from mitra.lib.backup import EXIT_STATUSES, BackupError, take_backup
from mitra.lib.command import MitraCommand, UsageError

DEFAULT_TIMEOUT = 3600


def timeout_argument(parser) -> None:
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"Give up after this long (default {DEFAULT_TIMEOUT}).")


def checked_timeout(timeout: float) -> float:
    if not 1 <= timeout <= 7 * 86_400:
        raise UsageError(f"--timeout must be between 1 and 604800 seconds, not {timeout:g}")
    return timeout


def as_command_error(exc: BackupError) -> CommandError:
    if exc.exit_code == 2:
        return UsageError(str(exc))
    return CommandError(str(exc), returncode=exc.exit_code)


class Command(MitraCommand):
    help = ("Back up the database into a new folder: the dump (pg_dump or SQLite's online "
            "backup) and a manifest with every table's row count and digest.")
    epilog = EXIT_STATUSES

    def create_parser(self, prog_name, subcommand, **kwargs):
        return super().create_parser(prog_name, subcommand, epilog=self.epilog, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH",
                            help="A new folder for the backup (its parent must exist).")
        timeout_argument(parser)

    def handle(self, *args, path, timeout, **options):
        try:
            report = take_backup(Path(path), timeout=checked_timeout(timeout))
        except BackupError as exc:
            raise as_command_error(exc) from None
        data = report.manifest
        self.stdout.write(
            f"Backup written to {report.path}: {data['totals']['tables']} tables, "
            f"{data['totals']['rows']:,} rows, {data['dump']['file']} "
            f"{data['dump']['bytes'] / 1e6:.1f} MB, in {report.seconds:.1f} s.")
        self.stdout.write(report.reminder)
