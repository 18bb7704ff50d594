from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from mitra.lib.command import MitraCommand, UsageError
from mitra.research.export import ResearchExportError, export_research

EXIT_STATUSES = ("exit status: 0 written; 1 the export failed (nothing is left half written); "
                 "2 a usage error (an existing folder that is not empty, an unknown kind)")


class Command(MitraCommand):
    help = ("Export data: `mitra export research DIR` writes a de-identified copy of every "
            "participant (pseudonyms, shifted dates, no free text) as CSV and Parquet files, "
            "one per kind, with a data dictionary, a README and a manifest.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        return super().create_parser(prog_name, subcommand, epilog=EXIT_STATUSES, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("what", metavar="KIND", help="What to export: research")
        parser.add_argument("path", metavar="DIR",
                            help="A new (or empty) folder for the files; its parent must exist.")

    def handle(self, *args, what, path, **options):
        if what != "research":
            raise UsageError(f"KIND: {what!r} is not an export; allowed values: research")
        try:
            report = export_research(Path(path), acting=None)
        except ResearchExportError as exc:
            if exc.exit_code == 2:
                raise UsageError(str(exc)) from None
            raise CommandError(str(exc), returncode=exc.exit_code) from None
        rows = ", ".join(f"{name} {n:,}" for name, n in report.rows.items())
        self.stdout.write(f"Research export written to {report.path}: {report.participants:,} "
                          f"participants in {report.seconds:.1f} s ({rows}).")
