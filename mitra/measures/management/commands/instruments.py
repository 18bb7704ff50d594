from __future__ import annotations

import json

from mitra.lib.command import MitraCommand
from mitra.measures.library import instruments


class Command(MitraCommand):
    help = "List the questionnaires in the instrument library (ids, names, item counts)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print a JSON list.")

    def handle(self, *args, json: bool = False, **options):
        rows = [
            {
                "id": inst.id,
                "name": inst.name,
                "short_name": inst.short_name,
                # The scored items: what `mitra score --answers` takes.
                "items": len(inst.scored_items),
                "min": inst.scoring.min,
                "max": inst.scoring.max,
                "administration": inst.administration,
                "recall_period": inst.recall_period,
                "version": inst.version,
                "as_of": inst.as_of.isoformat(),
                "licence": inst.licence.status,
            }
            for inst in instruments()
        ]
        if json:
            self.stdout.write(_dumps(rows))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:<8} {row['short_name']:<14} {row['items']:>2} items"
                f"  {row['min']}-{row['max']}  {row['name']}"
            )


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
