"""The one home of the bounds on clinical dates and times (every form, API schema and action).

A date from the client is checked here before it is stored, on every path (web, REST, FHIR,
CLI): a score dated 9999-12-30 would otherwise become the "newest" one and hide the real one,
and a plan starting in year 1 makes every page that walks its days take minutes.

- Times (a response's `submitted_at`/`authored`): not after now plus `CLOCK_SKEW` (a phone's
  clock a little ahead), not before the patient's enrolment day.
- Record days (diary days, CBT records): not after today (plus `DAY_SKEW`, a phone east of the
  server already in tomorrow), not before enrolment. A time of day on such a day (a diary use
  event's time): not after now plus `DAY_SKEW`.
- Plans (taper start, pauses): from `PLAN_EARLIEST_DAYS` before enrolment (a taper already
  underway when the patient joined) to `PLAN_LATEST_DAYS` ahead.
- History (medication start and stop): from `HISTORY_EARLIEST` (1900-01-01) to today.
- Use events read from a file (`mitra diary analyze`), with no enrolment to bound them: from
  `IMPORT_EARLIEST` (2000-01-01) to today (plus `DAY_SKEW`), and a time with a zone not after
  now plus `CLOCK_SKEW`. A diary kept on a phone or a computer starts after 2000; an earlier
  day in an export is a typo (1926 for 2026) or an empty date cell read as a spreadsheet's
  day zero (1899-12-30, 1900-01-01), and would stretch the report's days back a century.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.utils import timezone

CLOCK_SKEW = timedelta(minutes=5)
DAY_SKEW = timedelta(days=1)
HISTORY_EARLIEST = date(1900, 1, 1)
IMPORT_EARLIEST = date(2000, 1, 1)
PLAN_EARLIEST_DAYS = 366
PLAN_LATEST_DAYS = 366


class OutOfBounds(ValueError):
    """A date or time outside its allowed range; `field` names it, the message gives the range."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _refuse(field: str, value: object, allowed: str) -> OutOfBounds:
    shown = value.isoformat() if isinstance(value, date | datetime) else repr(value)
    return OutOfBounds(field, f"{field}: {shown} is not allowed; allowed: {allowed}")


def check_time(field: str, value: datetime, *, enrolled_on: date,
               now: datetime | None = None) -> datetime:
    """A clinical time (aware): from the enrolment day to now (plus the clock skew)."""
    now = now or timezone.now()
    if timezone.is_naive(value):
        raise _refuse(field, value, "a date and time with a time zone, e.g. 2026-11-22T09:30:00Z")
    allowed = f"from {enrolled_on} (enrolment) to now"
    if value > now + CLOCK_SKEW:
        raise _refuse(field, value, allowed)
    try:
        day = timezone.localdate(value)
    except OverflowError:  # year 1 east of UTC: before the first day the calendar can hold
        raise _refuse(field, value, allowed) from None
    if day < enrolled_on:
        raise _refuse(field, value, allowed)
    return value


def record_day_range(enrolled_on: date, today: date | None = None) -> tuple[date, date]:
    """The days a record (diary day, CBT record) may be for: enrolment to today (plus slack)."""
    today = today or timezone.localdate()
    return enrolled_on, today + DAY_SKEW


def check_record_day(field: str, value: date, *, enrolled_on: date,
                     today: date | None = None) -> date:
    first, last = record_day_range(enrolled_on, today)
    if not first <= value <= last:
        raise _refuse(field, value, f"from {first} (enrolment) to {last} (today)")
    return value


def check_record_time(field: str, day: date, clock: time, *, enrolled_on: date,
                      now: datetime | None = None) -> datetime:
    """A time of day on a record's day (a diary use event's `time`): not before the enrolment
    day, and not after now plus `DAY_SKEW` in the server's zone (the phone's zone is not known:
    one east of the server may already be in tomorrow, but not a day further). Gives the
    moment (naive, the record's own day and time)."""
    latest = timezone.localtime(now or timezone.now()).replace(tzinfo=None) + DAY_SKEW
    moment = datetime.combine(day, clock)
    if not enrolled_on <= day or moment > latest:
        raise _refuse(field, moment, f"from {enrolled_on} (enrolment) to "
                                     f"{latest.isoformat(timespec='minutes')} (now, plus a day "
                                     "for a phone in a time zone ahead)")
    return moment


def plan_day_range(enrolled_on: date, today: date | None = None) -> tuple[date, date]:
    """The days a taper plan or pause may start or end on."""
    today = today or timezone.localdate()
    return (min(enrolled_on, today) - timedelta(days=PLAN_EARLIEST_DAYS),
            today + timedelta(days=PLAN_LATEST_DAYS))


def check_plan_day(field: str, value: date, *, enrolled_on: date,
                   today: date | None = None) -> date:
    first, last = plan_day_range(enrolled_on, today)
    if not first <= value <= last:
        raise _refuse(field, value, f"from {first} (a year before enrolment) to {last} "
                                    "(a year ahead)")
    return value


def check_history_day(field: str, value: date, *, today: date | None = None) -> date:
    """A day in the patient's history (a medication started or stopped): 1900-01-01 to today."""
    today = today or timezone.localdate()
    if not HISTORY_EARLIEST <= value <= today + DAY_SKEW:
        raise _refuse(field, value, f"from {HISTORY_EARLIEST} to {today} (today)")
    return value


def imported_time_check(*, today: date | None = None, now: datetime | None = None
                        ) -> Callable[[str, date | datetime], None]:
    """The check for the use events' days or times read from one file (raising OutOfBounds):
    from `IMPORT_EARLIEST` to today (plus a day: the file's zone is not known), and a time with
    a zone not after now (plus the skew). Made once per file, with its today and now, and
    called for every row, so it only compares."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    first, last, latest = IMPORT_EARLIEST, today + DAY_SKEW, now + CLOCK_SKEW

    def check(field: str, value: date | datetime) -> None:
        if isinstance(value, datetime):
            if value.utcoffset() is not None and value > latest:
                raise _refuse(field, value, f"from {first} to now "
                                            f"({now.isoformat(timespec='seconds')})")
            day = value.date()
        else:
            day = value
        if not first <= day <= last:
            raise _refuse(field, value, f"from {first} to {today} (today)")

    return check
