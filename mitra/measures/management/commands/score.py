from __future__ import annotations

import json
import re

from mitra.lib.command import MitraCommand, UsageError
from mitra.measures.library import get_instrument
from mitra.measures.scoring import AnswerError, parse_answers, score


class Command(MitraCommand):
    help = "Score one questionnaire from its answers (no database needed)."

    def add_arguments(self, parser):
        parser.add_argument("instrument", help="Instrument id (see `mitra instruments`).")
        parser.add_argument(
            "--answers", required=True,
            help="The scored items' answers in item order, comma-separated; '-' for a missing"
                 " item (COWS: each item's printed point value).",
        )
        parser.add_argument("--sex", choices=["male", "female"],
                            help="Applies sex-specific screening cut-offs (AUDIT-C).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def run_from_argv(self, argv):
        # "-" marks a missing item, so an answer list may start with a dash ("-,0,1"), which
        # argparse would take for an option: glue it to its flag ("--answers=-,0,1").
        argv = list(argv)
        for i in range(len(argv) - 1):
            if argv[i] == "--answers" and re.match(r"^-(,|$)", argv[i + 1]):
                argv[i:i + 2] = [f"--answers={argv[i + 1]}"]
                break
        super().run_from_argv(argv)

    def handle(self, *args, instrument: str, answers: str, sex: str | None, **options):
        try:
            inst = get_instrument(instrument)
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
        try:
            values = parse_answers(inst, answers)
        except AnswerError as exc:
            raise UsageError(str(exc)) from None
        result = score(inst, values, sex=sex)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
            return
        if result.total is None:
            self.stdout.write(f"{inst.short_name}: not scored ({result.method_text})")
        else:
            band = f", {result.severity}" if result.severity else ""
            note = " (prorated, unrounded)" if result.prorated else ""
            self.stdout.write(f"{inst.short_name}: {result.total} of {result.max}{band}{note}")
        for screen in result.screens:
            if screen.positive:
                self.stdout.write(f"screen: {screen.meaning} (>= {screen.at_least})")
        for message in result.alert_messages():
            self.stdout.write(f"ALERT: {message}")
