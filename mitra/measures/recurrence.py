"""When a schedule's occurrences fall, in the patient's own time: plain Python, no Django.

A schedule's occurrences are local days (`Rule.start`, then every N days, or on chosen
weekdays, or once). Each occurrence is prompted at `time_of_day` on that local day in the
patient's zone, plus a random offset (EMA-style) that is a function of the schedule's seed and
the day, so planning twice gives the same instant. Quiet hours move a prompt to their end; a
pause (holiday) skips the days it covers. The prompt expires `window` after its nominal time.

Local times are made with `zoneinfo`: across a daylight-saving change a daily 20:00 stays 20:00
local (its UTC instant moves by an hour). A local time that does not exist on the day the
clocks go forward (02:30 in New York) fires an hour later, at the same instant as 03:30; one that
happens twice when they go back fires at the first (`fold=0`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

ONCE, INTERVAL, WEEKDAYS = "once", "interval", "weekdays"
CADENCES = (ONCE, INTERVAL, WEEKDAYS)
# The longest repeat: yearly (the schedule form and the REST API offer the same range).
MAX_EVERY_DAYS = 365
MAX_WINDOW = timedelta(days=60)
MAX_RANDOM_MINUTES = 24 * 60
# How far ahead `next_occurrence` looks for a day that is not paused: a pause is bounded by
# MAX_PAUSE, so a rule that fires at all fires within it.
MAX_PAUSE = timedelta(days=366)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RuleError(ValueError):
    """A schedule or preference that cannot work, naming the field and what is allowed."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class Rule:
    cadence: str
    start: date
    time_of_day: time
    window: timedelta
    every_days: int | None = None
    # ISO weekday numbers, Monday 1 .. Sunday 7.
    weekdays: frozenset[int] = field(default_factory=frozenset)
    random_minutes: int = 0
    # What makes the random offset repeatable: the schedule's UUID.
    seed: str = ""


@dataclass(frozen=True)
class Quiet:
    """A patient's quiet hours (local; start > end spans midnight) and pause (local days)."""

    start: time | None = None
    end: time | None = None
    paused_from: date | None = None
    paused_until: date | None = None

    def paused(self, day: date) -> bool:
        return (self.paused_from is not None and self.paused_until is not None
                and self.paused_from <= day <= self.paused_until)

    def silent_at(self, local: time) -> bool:
        if self.start is None or self.end is None:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


NO_QUIET = Quiet()


@dataclass(frozen=True)
class Occurrence:
    day: date
    fire_at: datetime  # aware, UTC
    expires_at: datetime  # aware, UTC


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or RuleError naming `time_zone`."""
    try:
        if name not in _zone_names():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError("time_zone", f"unknown time zone {name!r}: give an IANA name such as "
                        "Europe/Berlin or America/New_York") from None


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def parse_weekdays(text: str) -> frozenset[int]:
    """"135" (or "1,3,5") as {1, 3, 5}; RuleError naming `weekdays` otherwise."""
    digits = text.replace(",", "").replace(" ", "")
    if not digits or not digits.isdigit() or any(d not in "1234567" for d in digits):
        raise RuleError("weekdays", f"{text!r}: give ISO weekday numbers 1 (Monday) to 7 "
                        "(Sunday), such as 135 for Monday, Wednesday and Friday")
    return frozenset(int(d) for d in digits)


def format_weekdays(weekdays: frozenset[int] | set[int]) -> str:
    """{5, 1, 3} as "135": how a Schedule row stores them (parse_weekdays reads it back)."""
    return "".join(str(d) for d in sorted(weekdays))


def validate(rule: Rule, quiet: Quiet = NO_QUIET, *, today: date | None = None) -> None:
    """Raise RuleError (naming the field and what is allowed) for a rule that cannot work or
    never fires; `today` (local) checks that a one-off is not already over."""
    validate_quiet(quiet)
    if rule.cadence not in CADENCES:
        raise RuleError("cadence", f"{rule.cadence!r}: choose one of {', '.join(CADENCES)}")
    if rule.cadence == INTERVAL and not (
            rule.every_days is not None and 1 <= rule.every_days <= MAX_EVERY_DAYS):
        raise RuleError("every_days", f"{rule.every_days!r}: a whole number of days from 1 to "
                        f"{MAX_EVERY_DAYS} for a repeating schedule")
    if rule.cadence == WEEKDAYS and (not rule.weekdays or not rule.weekdays <= set(range(1, 8))):
        raise RuleError("weekdays", "choose at least one weekday, 1 (Monday) to 7 (Sunday)")
    if not timedelta(minutes=1) <= rule.window <= MAX_WINDOW:
        raise RuleError("window_minutes", "the answer window is from 1 minute to "
                        f"{MAX_WINDOW.days} days")
    if not 0 <= rule.random_minutes <= MAX_RANDOM_MINUTES:
        raise RuleError("random_minutes", f"from 0 to {MAX_RANDOM_MINUTES} minutes")
    if timedelta(minutes=rule.random_minutes) >= rule.window:
        raise RuleError("random_minutes", "the random offset must be shorter than the answer "
                        "window, or a prompt could expire before it is sent")
    if _always_silent(rule, quiet):
        raise RuleError("time_of_day", f"{rule.time_of_day:%H:%M} and its answer window fall "
                        "inside the quiet hours: the schedule would never send a reminder")
    if rule.cadence == ONCE and today is not None and rule.start < today:
        raise RuleError("start", f"{rule.start.isoformat()} is in the past: a one-off "
                        "schedule needs a day from today on")


def validate_quiet(quiet: Quiet) -> None:
    if (quiet.start is None) != (quiet.end is None):
        raise RuleError("quiet_hours", "give both the start and the end of the quiet hours, "
                        "or neither")
    if quiet.start is not None and quiet.start == quiet.end:
        raise RuleError("quiet_hours", "the quiet hours cover the whole day: no reminder "
                        "could ever be sent; leave a time outside them")
    if (quiet.paused_from is None) != (quiet.paused_until is None):
        raise RuleError("pause", "give both the first and the last day of a pause, or neither")
    if quiet.paused_from is not None and quiet.paused_until is not None:
        if quiet.paused_until < quiet.paused_from:
            raise RuleError("pause", "the pause ends before it starts")
        if quiet.paused_until - quiet.paused_from >= MAX_PAUSE:
            raise RuleError("pause", f"a pause lasts at most {MAX_PAUSE.days} days")


def _always_silent(rule: Rule, quiet: Quiet) -> bool:
    """True when every minute from the nominal time to the end of the window (a day at most
    is enough: quiet hours repeat daily) falls in the quiet hours."""
    if quiet.start is None:
        return False
    span = min(rule.window, timedelta(days=1))
    nominal = datetime.combine(date(2000, 1, 3), rule.time_of_day)
    step = timedelta(minutes=1)
    t = nominal
    while t < nominal + span:
        if not quiet.silent_at(t.time()):
            return False
        t += step
    return True


def is_day(rule: Rule, day: date) -> bool:
    """Whether `day` is one of the rule's occurrence days."""
    if day < rule.start:
        return False
    if rule.cadence == ONCE:
        return day == rule.start
    if rule.cadence == INTERVAL:
        return (day - rule.start).days % (rule.every_days or 1) == 0
    return day.isoweekday() in rule.weekdays


def latest_day(rule: Rule, on_or_before: date) -> date | None:
    """The last occurrence day not after `on_or_before`; None before the first."""
    if on_or_before < rule.start:
        return None
    if rule.cadence == ONCE:
        return rule.start
    if rule.cadence == INTERVAL:
        every = rule.every_days or 1
        return rule.start + timedelta(days=(on_or_before - rule.start).days // every * every)
    for back in range(7):
        day = on_or_before - timedelta(days=back)
        if day < rule.start:
            return None
        if day.isoweekday() in rule.weekdays:
            return day
    return None


def next_day(rule: Rule, after: date | None) -> date | None:
    """The first occurrence day after `after` (the start when `after` is None or before it);
    None when there is none (a one-off already past)."""
    if after is None or after < rule.start:
        return rule.start if is_day(rule, rule.start) else next_day(rule, rule.start)
    if rule.cadence == ONCE:
        return None
    if rule.cadence == INTERVAL:
        every = rule.every_days or 1
        return rule.start + timedelta(days=((after - rule.start).days // every + 1) * every)
    for ahead in range(1, 8):
        day = after + timedelta(days=ahead)
        if day.isoweekday() in rule.weekdays:
            return day
    return None


def days(rule: Rule, from_day: date) -> Iterator[date]:
    """The occurrence days from `from_day` on (inclusive), in order."""
    day = from_day if is_day(rule, from_day) else next_day(rule, from_day)
    while day is not None:
        yield day
        day = next_day(rule, day)


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` on local `day` in `tz`, as UTC (a time in the spring-forward gap moves an hour on;
    one that happens twice when the clocks go back is the first, whatever `at.fold` says)."""
    return datetime.combine(day, at.replace(fold=0, tzinfo=None), tzinfo=tz).astimezone(UTC)


def closes_at(rule: Rule, day: date, tz: ZoneInfo) -> datetime:
    """When the answer window of occurrence `day` closes (UTC): its nominal local time plus
    the window, whatever the random offset and quiet hours did to the moment it was sent."""
    return local_instant(day, rule.time_of_day, tz) + rule.window


def random_offset(rule: Rule, day: date) -> timedelta:
    """The seeded offset of `day`'s prompt: the same for the same schedule and day, spread
    evenly over [0, random_minutes)."""
    if rule.random_minutes <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"{rule.seed}:{day.isoformat()}".encode()).digest()
    return timedelta(minutes=int.from_bytes(digest[:8], "big") % rule.random_minutes)


def occurrence(rule: Rule, day: date, tz: ZoneInfo, quiet: Quiet = NO_QUIET
               ) -> Occurrence | None:
    """The prompt of occurrence `day`; None when it is paused or quiet hours last past its
    window."""
    if quiet.paused(day):
        return None
    nominal = local_instant(day, rule.time_of_day, tz)
    expires = nominal + rule.window
    fire = nominal + random_offset(rule, day)
    fire = _after_quiet(fire, tz, quiet)
    if fire >= expires:
        return None
    return Occurrence(day, fire, expires)


def _after_quiet(instant: datetime, tz: ZoneInfo, quiet: Quiet) -> datetime:
    if quiet.start is None or quiet.end is None:
        return instant
    local = instant.astimezone(tz)
    if not quiet.silent_at(local.time().replace(tzinfo=None)):
        return instant
    end_day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        end_day += timedelta(days=1)  # the quiet hours end tomorrow morning
    return local_instant(end_day, quiet.end, tz)


def next_occurrence(rule: Rule, tz: ZoneInfo, quiet: Quiet = NO_QUIET, *,
                    from_day: date, now: datetime) -> Occurrence | None:
    """The first occurrence on or after `from_day` that is still open at `now` (its window not
    closed): what the planner plans next. Occurrences missed while nothing ran are skipped, not
    sent late. None when the rule has no such occurrence left."""
    local_today = now.astimezone(tz).date()
    limit = max(from_day, local_today) + MAX_PAUSE + timedelta(days=8)
    # Every occurrence of a day before this one has closed (its nominal time falls on that
    # local day, so its window ends before that day + 1 + the window, a day spare for a change
    # of UTC offset): start there rather than walk a daily schedule's past days one by one.
    closed_before = local_today - timedelta(days=rule.window.days + 3)
    for day in days(rule, max(from_day, closed_before)):
        if day > limit:
            return None
        found = occurrence(rule, day, tz, quiet)
        if found is not None and found.expires_at > now:
            return found
    return None


def describe(rule: Rule) -> str:
    """The rule in words: "daily at 20:00", "Mon, Wed at 09:00", "every 2 weeks at 09:00",
    "every 10 days at 09:00", "once at 09:00" (the first day is shown beside it, not in it)."""
    at = f"at {rule.time_of_day:%H:%M}"
    every = rule.every_days or 0
    if rule.cadence == ONCE:
        text = f"once {at}"
    elif rule.cadence == WEEKDAYS and len(rule.weekdays) == 7 or every == 1:
        text = f"daily {at}"
    elif rule.cadence == WEEKDAYS:
        text = ", ".join(WEEKDAY_NAMES[d - 1] for d in sorted(rule.weekdays)) + f" {at}"
    elif every == 7:
        text = f"weekly {at}"
    elif every % 7 == 0:
        text = f"every {every // 7} weeks {at}"
    else:
        text = f"every {every} days {at}"
    if rule.random_minutes:
        text += f" (within {rule.random_minutes} minutes)"
    return text
