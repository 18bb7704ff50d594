"""`mitra check`: screen a substance against medications and conditions (a stable CLI contract).

Without --substance it is Django's system check, unchanged (`mitra check --deploy` still works).
"""

from __future__ import annotations

import json

from django.core.management.commands.check import Command as SystemCheckCommand

from mitra.lib.command import MitraCommand, UsageError
from mitra.safety.kb import SUBSTANCES
from mitra.safety.rules import normalize_substance, screen

CONTRACT_KEYS = ("rule", "severity", "evidence_level", "matched", "summary", "citations")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class Command(MitraCommand, SystemCheckCommand):
    help = ("Screen kratom, kava or 7-OH use against medications and conditions "
            "(without --substance: Django's system check).")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--substance", help=f"one of: {', '.join(SUBSTANCES)}")
        parser.add_argument("--meds", help="comma-separated medication names (generic or brand)")
        parser.add_argument("--conditions", help="comma-separated condition ids "
                                                 "(see: mitra conditions)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *app_labels, **options):
        substance = options.get("substance")
        if substance is None:
            if options.get("meds") or options.get("conditions") or options.get("json"):
                raise UsageError("--substance is required with --meds, --conditions or --json "
                                 f"(one of: {', '.join(SUBSTANCES)})")
            return super().handle(*app_labels, **options)
        try:
            normalize_substance(substance)
        except ValueError:
            raise UsageError(f"--substance must be one of: {', '.join(SUBSTANCES)} "
                             f"(not {substance!r})") from None
        result = screen([substance], _split(options["meds"]), _split(options["conditions"]))
        if options["json"]:
            out = {
                "substance": result.substances[0], "kb_version": result.kb_version,
                "findings": [
                    {**{k: getattr(f, k) for k in CONTRACT_KEYS}, "kind": f.kind,
                     "applies_to": f.applies_to, "pharmacist_check": f.pharmacist_check,
                     "class_sources": f.class_sources, "monitor": f.monitor, "as_of": f.as_of}
                    for f in result.findings
                ],
                "unrecognized": [
                    {"name": u.name, "suggestions": u.suggestions, "kind": u.kind}
                    for u in result.unrecognized
                ],
            }
            self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))
            return None
        if not result.findings:
            self.stdout.write("No rule matched.")
        for f in result.findings:
            mark = "  [drug list not yet checked by a pharmacist]" \
                if f.pharmacist_check == "pending" else ""
            self.stdout.write(f"{f.severity.upper():<8} {f.rule}: {f.summary}")
            self.stdout.write(f"         matched {', '.join(f.matched)}; evidence "
                              f"{f.evidence_level}; cites {', '.join(f.citations)}{mark}")
            for source in f.class_sources:
                self.stdout.write(f"         class list: {source}")
        for u in result.unrecognized:
            hint = f" (did you mean {', '.join(u.suggestions)}?)" if u.suggestions else ""
            self.stdout.write(f"NOT RECOGNIZED — NOT SCREENED: {u.name}{hint}")
        return None
