"""Print the REST API's OpenAPI schema, or write/check the committed snapshot."""

from __future__ import annotations

from mitra.api.snapshot import SNAPSHOT, current_schema, render
from mitra.lib.command import MitraCommand, UsageError


class Command(MitraCommand):
    help = "Print the OpenAPI schema; --write updates the snapshot, --check compares with it."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--write", action="store_true", help=f"write {SNAPSHOT.name}")
        group.add_argument("--check", action="store_true", help="exit 1 if it differs")

    def handle(self, *args, write: bool, check: bool, **options):
        text = render(current_schema())
        if write:
            SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
            SNAPSHOT.write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {SNAPSHOT}")
        elif check:
            if not SNAPSHOT.exists() or SNAPSHOT.read_text(encoding="utf-8") != text:
                raise UsageError("the OpenAPI schema differs from the snapshot; review the "
                                 "change, then run: mitra openapi --write")
            self.stdout.write("the OpenAPI schema matches the snapshot")
        else:
            self.stdout.write(text, ending="")
