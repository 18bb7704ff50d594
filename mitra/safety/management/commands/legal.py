from __future__ import annotations

import json

from django.utils import timezone

from mitra.lib.command import MitraCommand, UsageError
from mitra.safety.legal import UnknownJurisdiction, known_codes, legal_status


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
        self.stdout.write(f"{status['jurisdiction']} {status['name']}: {status['status']}")
        self.stdout.write(status["summary"])
        self.stdout.write(f"in effect: {status['effective']}; as of {status['as_of']}; "
                          f"confidence {status['confidence']}; sources "
                          f"{', '.join(status['sources'])}")
        if status["possibly_out_of_date"]:
            self.stdout.write("POSSIBLY OUT OF DATE: newest source over 12 months old or undated.")
