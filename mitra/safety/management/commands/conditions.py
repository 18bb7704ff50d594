from __future__ import annotations

import json

from mitra.lib.command import MitraCommand
from mitra.safety.kb import knowledge_base


class Command(MitraCommand):
    help = "List the condition ids that `mitra check --conditions` understands."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON list of ids")

    def handle(self, *args, json: bool = False, **options):
        conditions = knowledge_base().conditions
        if json:
            self.stdout.write(_dumps(list(conditions)))
            return
        for cid, label in conditions.items():
            self.stdout.write(f"{cid:<22} {label}")


def _dumps(value) -> str:
    return json.dumps(value, indent=2)
