from __future__ import annotations

import json

from django.utils import timezone

from mitra.lib.command import MitraCommand, UsageError
from mitra.safety.legal import UnknownJurisdiction, known_codes, legal_status


def _when(value: str | None) -> str:
    return value or "unknown"


class Command(MitraCommand):
    help = "Legal status of kratom in a jurisdiction (ISO 3166 code: TH, AU, US-AL, ...)."

    def add_arguments(self, parser):
        parser.add_argument("jurisdiction", help="ISO 3166 code, for example TH or US-AL")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, jurisdiction: str, **options):
        try:
            status = legal_status(jurisdiction, timezone.localdate())
        except UnknownJurisdiction:
            countries = [c for c in known_codes() if "-" not in c]
            raise UsageError(
                f"jurisdiction {jurisdiction!r} is not known; use an ISO 3166 code: a US state "
                f"(US-AL ... US-WY) or one of {', '.join(countries)}"
            ) from None
        if options["json"]:
            self.stdout.write(json.dumps(status, indent=2, ensure_ascii=False))
            return
        self._statement(status, f"{status['jurisdiction']} {status['name']}")
        if status["reason"]:
            self.stdout.write(f"Why unknown: {status['reason']}")
        for rule in status["products"]:
            self._statement(rule, f"  {rule['substance_label']}", indent="  ")
        for rule in status["populations"]:
            self._statement(rule, f"  {rule['group']}", indent="  ")
        federal = status.get("federal")
        if federal:
            self._statement(federal, "Federal (applies here too)")
            for rule in (*federal["products"], *federal["populations"]):
                label = rule.get("substance_label") or rule.get("group")
                self._statement(rule, f"  {label}", indent="  ")
        self.stdout.write(status["notice"])

    def _statement(self, item: dict, heading: str, indent: str = "") -> None:
        self.stdout.write(f"{heading}: {item['status_label']}")
        self.stdout.write(f"{indent}{item['summary']}")
        sources = ", ".join(item["sources"]) or "none"
        if item["status"] == "unknown":
            self.stdout.write(f"{indent}sources last searched {_when(item['as_of'])}; "
                              f"sources {sources}")
        else:
            self.stdout.write(f"{indent}in effect: {_when(item['effective'])}; newest source "
                              f"{_when(item['as_of'])}; confidence {item['confidence_label']}; "
                              f"sources {sources}")
        if item.get("unverified"):
            self.stdout.write(f"{indent}UNVERIFIED: {item['unverified']}")
        if item["possibly_out_of_date"]:
            self.stdout.write(f"{indent}POSSIBLY OUT OF DATE: newest source over 12 months old "
                              "or undated.")
