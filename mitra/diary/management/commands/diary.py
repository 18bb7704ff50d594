"""`mitra diary analyze FILE.csv [--json]`: daily totals and flags from a CSV of use events.

A stable contract, checked from outside the project. Columns: timestamp (ISO 8601), substance,
amount, unit, optional grams_per_unit; any other column is named on stderr as not read. Rows
are numbered as in a spreadsheet (the header is row 1). A bad row stops the run with exit
status 2 and one line naming the row, the column and what was expected.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal

from mitra.diary import analytics, units
from mitra.lib import conf
from mitra.lib.command import MitraCommand, UsageError

REQUIRED = ("timestamp", "substance", "amount", "unit")
OPTIONAL = ("grams_per_unit",)


def _day(raw: str) -> date:
    text = raw.strip()
    # datetime.fromisoformat reads ISO 8601 (a trailing Z too, from Python 3.11); a bare date
    # counts as that day.
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return date.fromisoformat(text)


def read_uses(path: str) -> tuple[list[analytics.Use], list[str]]:
    """(the use events, the header's columns that are not read)."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"FILE {path!r} cannot be read: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise UsageError(
                f"{path} row 1: the header must name the columns {', '.join(REQUIRED)} "
                f"(and optionally {', '.join(OPTIONAL)}); missing {', '.join(missing)}"
            )
        reader.fieldnames = header
        unread = [c for c in header if c not in REQUIRED + OPTIONAL]
        uses = []
        limits = conf.diary_max_amount()
        for number, row in enumerate(reader, start=2):
            where = f"{path} row {number}"
            raw_time = (row.get("timestamp") or "").strip()
            try:
                day = _day(raw_time)
            except ValueError:
                raise UsageError(
                    f"{where}, column timestamp: expected an ISO 8601 date-time such as "
                    f"2026-01-31T08:30:00, got {raw_time!r}"
                ) from None
            try:
                checked = units.check_amount(
                    (row.get("substance") or "").strip(), (row.get("amount") or "").strip(),
                    (row.get("unit") or "").strip(), (row.get("grams_per_unit") or "").strip(),
                    max_amount=limits,
                )
            except units.AmountError as exc:
                raise UsageError(f"{where}, column {exc.field}: {exc.message}") from None
            uses.append(analytics.Use(day, checked.substance, checked.amount, checked.unit,
                                      checked.grams))
    return uses, unread


class Command(MitraCommand):
    help = "Diary tools: `mitra diary analyze FILE.csv [--json]` (daily totals and flags)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        analyze = sub.add_parser(
            "analyze", help="Daily totals per substance and flags from a CSV of use events.",
            description="Columns: timestamp (ISO 8601), substance, amount, unit, optional "
            f"grams_per_unit. Substances: {', '.join(units.SUBSTANCES)}. "
            f"Units: {', '.join(units.UNITS)}. Rows are numbered with the header as row 1.",
        )
        analyze.add_argument("file", metavar="FILE.csv")
        analyze.add_argument("--json", action="store_true", help="Print JSON.")
        analyze.add_argument(
            "--share", type=Decimal, default=None,
            help="Escalation share above the previous 28-day mean (default 0.25).",
        )

    def handle(self, *args, action, file, json=False, share=None, **options):
        share = share if share is not None else conf.diary_escalation_share()
        if not Decimal(0) < share <= Decimal(10):
            raise UsageError(f"--share must be more than 0 and at most 10, not {share}")
        uses, unread = read_uses(file)
        if unread:
            # Said, not refused: a spreadsheet export often carries notes or IDs beside the
            # columns read. On stderr, so the report (and --json) stays as the contract has it.
            self.stderr.write(f"{file}: columns not read: {', '.join(unread)} (read: "
                              f"{', '.join(REQUIRED + OPTIONAL)})")
        report = analytics.analyze(uses, share=share)
        if json:
            self.stdout.write(_json_dumps(report))
            return
        self.stdout.write(f"{'date':<11} {'substance':<15} {'amount':>9} {'unit':<16} "
                          f"{'grams':>8} {'uses':>4}")
        for row in report["days"]:
            grams = "-" if row["total_g"] is None else f"{row['total_g']:g}"
            self.stdout.write(f"{row['date']:<11} {row['substance']:<15} {row['amount']:>9g} "
                              f"{row['unit']:<16} {grams:>8} {row['uses']:>4}")
        self.stdout.write("")
        if not report["flags"]:
            self.stdout.write("flags: none")
        for flag in report["flags"]:
            extra = ", ".join(f"{k}={v}" for k, v in flag.items() if k not in ("date", "kind"))
            suffix = f" ({extra})" if extra else ""
            self.stdout.write(f"flag {flag['date']} {flag['kind']}{suffix}")


def _json_dumps(data) -> str:
    return json.dumps(data, indent=2)
