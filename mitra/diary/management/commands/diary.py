"""`mitra diary analyze FILE.csv [--json]`: daily totals and flags from a CSV of use events.

A stable contract, checked from outside the project. Columns: timestamp (ISO 8601), substance,
amount, unit, optional grams_per_unit; any other column is named on stderr as not read. Rows
are numbered as in a spreadsheet (the header is row 1, a blank line is a row). A bad row stops
the run with exit status 2 and one line naming the row, the column and what was expected; a
timestamp before 2000-01-01 or after today is a bad row (`bounds.imported_time_check`). A file
that is not CSV text (a binary file, text that is not UTF-8, a NUL byte, a line or a value too
long to be a use event) stops it the same way, naming the line as a text editor counts them.

The file is read row by row into sums per day, substance and unit (`analytics.DailySums`): the
memory it takes follows the days and substances in the file, not its rows.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from mitra.diary import analytics, units
from mitra.lib import bounds, conf
from mitra.lib.command import MitraCommand, UsageError

REQUIRED = ("timestamp", "substance", "amount", "unit")
OPTIONAL = ("grams_per_unit",)
# A use event's line is well under a hundred characters; a spreadsheet's note beside it may be
# long, but not a megabyte. A longer line is not a CSV of use events (a binary file without
# line breaks), and reading it whole would take memory in proportion to the file.
MAX_LINE = 1024 * 1024
# Bytes that are not UTF-8, read with errors="surrogateescape": one lone surrogate each.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _moment(raw: str) -> date | datetime:
    """The timestamp as written: a datetime (with its zone if it names one) or a bare date."""
    # datetime.fromisoformat reads ISO 8601 (a trailing Z too, from Python 3.11); a bare date
    # counts as that day.
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return date.fromisoformat(raw)


class _Lines:
    """The file's lines for csv.reader, each checked to be text, counted as an editor does."""

    def __init__(self, handle: TextIO, path: str):
        self.handle, self.path, self.number = handle, path, 0

    def error(self, what: str) -> UsageError:
        return UsageError(f"{self.path} line {self.number}: {what}")

    def __iter__(self) -> Iterator[str]:
        readline, limit = self.handle.readline, MAX_LINE
        while line := readline(limit):
            self.number += 1
            if len(line) >= limit and not line.endswith(("\n", "\r")):
                raise self.error(f"a line longer than {MAX_LINE:,} characters: this is not a "
                                 "CSV of use events")
            if "\x00" in line:
                raise self.error(f"a NUL byte at character {line.index(chr(0)) + 1}: this is a "
                                 "binary file (a spreadsheet's own format?), not CSV text; "
                                 "export it as CSV UTF-8")
            if not line.isascii() and (bad := _UNDECODABLE.search(line)):
                raise self.error(f"byte 0x{ord(bad.group()) - 0xDC00:02x} at character "
                                 f"{bad.start() + 1} is not UTF-8 text; save the file as "
                                 "CSV UTF-8")
            yield line


def _not_csv(lines: _Lines, exc: csv.Error) -> UsageError:
    if "field limit" in str(exc):
        return lines.error(f"a value longer than {csv.field_size_limit():,} characters, more "
                           "than a use event holds (a quotation mark left open?)")
    return lines.error(f"not readable as CSV: {exc}")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _checker(limits: dict[str, Decimal]) -> Callable[..., units.Amount]:
    """units.check_amount with the deployment's limits, remembering the last few thousand
    distinct events: a long diary repeats the same few amounts."""
    @functools.lru_cache(maxsize=4096)
    def check(substance: str, amount: str, unit: str, fill: str) -> units.Amount:
        return units.check_amount(substance, amount, unit, fill, max_amount=limits)
    return check


def read_uses(path: str) -> tuple[list[analytics.Use], list[str]]:
    """(the use events summed per day, substance and unit; the header's columns not read)."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig",  # noqa: SIM115
                      errors="surrogateescape")
    except OSError as exc:
        raise UsageError(f"FILE {path!r} cannot be read: {exc.strerror}") from None
    lines = _Lines(handle, path)
    try:
        with handle:
            return _read(csv.reader(lines), path)
    except csv.Error as exc:
        raise _not_csv(lines, exc) from None
    except OSError as exc:  # the file went away or the disk failed while it was read
        raise UsageError(f"FILE {path!r} cannot be read: {exc.strerror}") from None


def _read(records: Iterator[list[str]], path: str) -> tuple[list[analytics.Use], list[str]]:
    header = [h.strip() for h in next(records, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UsageError(
            f"{path} row 1: the header must name the columns {', '.join(REQUIRED)} "
            f"(and optionally {', '.join(OPTIONAL)}); missing {', '.join(missing)}"
        )
    unread = [c for c in header if c not in REQUIRED + OPTIONAL]
    at = {name: header.index(name) for name in REQUIRED + OPTIONAL if name in header}
    i_time, i_substance, i_amount, i_unit = (at[name] for name in REQUIRED)
    i_fill = at.get("grams_per_unit")
    width = max(at.values()) + 1
    check = _checker(units.amount_limits(conf.diary_max_amount()))
    in_bounds = bounds.imported_time_check()
    sums = analytics.DailySums()
    for number, row in enumerate(records, start=2):
        if not row:
            continue  # a blank line: a row of the spreadsheet, no use event
        if len(row) < width:
            row += [""] * (width - len(row))
        raw_time = row[i_time].strip()
        try:
            moment = _moment(raw_time)
        except ValueError:
            raise UsageError(
                f"{path} row {number}, column timestamp: expected an ISO 8601 date-time such "
                f"as 2026-01-31T08:30:00, got {_shown(raw_time)}"
            ) from None
        try:
            in_bounds("timestamp", moment)
            checked = check(row[i_substance].strip(), row[i_amount].strip(),
                            row[i_unit].strip(), "" if i_fill is None else row[i_fill].strip())
        except bounds.OutOfBounds as exc:
            raise UsageError(f"{path} row {number}, column {exc}") from None
        except units.AmountError as exc:
            message = exc.message if len(exc.message) <= 300 else exc.message[:300] + "…"
            raise UsageError(f"{path} row {number}, column {exc.field}: {message}") from None
        sums.add(moment.date() if isinstance(moment, datetime) else moment,
                 checked.substance, checked.unit, checked.amount, checked.grams)
    return sums.uses(), unread


class Command(MitraCommand):
    help = "Diary tools: `mitra diary analyze FILE.csv [--json]` (daily totals and flags)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        analyze = sub.add_parser(
            "analyze", help="Daily totals per substance and flags from a CSV of use events.",
            description="Columns: timestamp (ISO 8601), substance, amount, unit, optional "
            f"grams_per_unit. Substances: {', '.join(units.SUBSTANCES)}. "
            f"Units: {', '.join(units.UNITS)}. Timestamps from {bounds.IMPORT_EARLIEST} to "
            "today. Rows are numbered with the header as row 1.",
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
