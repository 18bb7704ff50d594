"""The recurrence rule (plain Python): occurrence days, local prompt times across daylight-saving
changes, quiet hours, pauses, answer windows and seeded random offsets, and the errors that name
the field. No database: every instant is given, so time is frozen by construction.

The 2026 changes: New York springs forward on 8 March (02:00 EST -> 03:00 EDT) and falls back
on 1 November (02:00 EDT -> 01:00 EST); Berlin on 29 March (02:00 CET -> 03:00 CEST) and
25 October (03:00 CEST -> 02:00 CET).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

import pytest

from mitra.measures import recurrence as rr
from mitra.measures.recurrence import Quiet, Rule, RuleError

NEW_YORK = rr.zone("America/New_York")
BERLIN = rr.zone("Europe/Berlin")
HOUR = timedelta(hours=1)


def daily(at: time, start: date, window: timedelta = 2 * HOUR, **kw) -> Rule:
    return Rule(rr.INTERVAL, start, at, window, every_days=1, **kw)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fires(rule: Rule, tz, first: date, n: int, quiet: Quiet = rr.NO_QUIET) -> list[datetime]:
    """The UTC fire times of the first n occurrence days from `first`."""
    out = []
    for day in islice(rr.days(rule, first), n):
        found = rr.occurrence(rule, day, tz, quiet)
        assert found is not None, day
        out.append(found.fire_at)
    return out


# ---- daylight saving -----------------------------------------------------------------------

@pytest.mark.parametrize(("tz", "first", "utc_hours"), [
    # New York, spring: 20:00 EST is 01:00 UTC the next day; 20:00 EDT is 00:00 UTC.
    (NEW_YORK, date(2026, 3, 7), [1, 0, 0]),
    # New York, autumn: 20:00 EDT (00:00 UTC) then 20:00 EST (01:00 UTC).
    (NEW_YORK, date(2026, 10, 31), [0, 1, 1]),
    # Berlin, spring: 20:00 CET is 19:00 UTC, 20:00 CEST 18:00 UTC.
    (BERLIN, date(2026, 3, 28), [19, 18, 18]),
    # Berlin, autumn: back from 18:00 UTC to 19:00 UTC.
    (BERLIN, date(2026, 10, 24), [18, 19, 19]),
])
def test_a_daily_prompt_stays_at_its_local_time_and_its_utc_instant_moves(tz, first, utc_hours):
    rule = daily(time(20, 0), date(2026, 1, 1))
    found = fires(rule, tz, first, 3)
    assert [f.astimezone(tz).time() for f in found] == [time(20, 0)] * 3
    assert [f.hour for f in found] == utc_hours
    # Consecutive prompts are 23 or 25 hours apart across the change, 24 otherwise.
    gaps = {found[1] - found[0], found[2] - found[1]}
    assert gaps == {24 * HOUR, 24 * HOUR + (HOUR if utc_hours[1] > utc_hours[0] else -HOUR)}


@pytest.mark.parametrize(("tz", "day", "expected_utc"), [
    (NEW_YORK, date(2026, 3, 8), utc(2026, 3, 8, 7, 30)),  # 03:30 EDT
    (BERLIN, date(2026, 3, 29), utc(2026, 3, 29, 1, 30)),  # 03:30 CEST
])
def test_a_time_in_the_spring_forward_gap_fires_an_hour_later(tz, day, expected_utc):
    rule = daily(time(2, 30), date(2026, 1, 1))
    found = rr.occurrence(rule, day, tz)
    assert found is not None
    assert found.fire_at == expected_utc
    assert found.fire_at.astimezone(tz).time() == time(3, 30)
    # The day before and after, the prompt is at 02:30 itself.
    for other in (day - timedelta(days=1), day + timedelta(days=1)):
        assert rr.occurrence(rule, other, tz).fire_at.astimezone(tz).time() == time(2, 30)


@pytest.mark.parametrize(("tz", "day", "at", "first_utc"), [
    # 01:30 happens twice in New York on 1 November: first at EDT (05:30 UTC), then EST.
    (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
    # 02:30 happens twice in Berlin on 25 October: first at CEST (00:30 UTC), then CET.
    (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
])
def test_a_time_that_happens_twice_when_the_clocks_go_back_fires_once_at_the_first(
        tz, day, at, first_utc):
    for asked in (at, at.replace(fold=1)):  # whatever fold the time carries
        rule = daily(asked, date(2026, 10, 1))
        found = rr.occurrence(rule, day, tz)
        assert found is not None and found.fire_at == first_utc
        assert found.fire_at.astimezone(tz).fold == 0
    # One occurrence for that day, not two: the days are local days.
    rule = daily(at, date(2026, 10, 1))
    assert [d for d in islice(rr.days(rule, day - timedelta(days=1)), 3)] == [
        day - timedelta(days=1), day, day + timedelta(days=1)]


def test_the_answer_window_is_elapsed_time_across_a_change():
    # A 24-hour window from 20:00 EST on 7 March closes at 21:00 EDT on 8 March: the window
    # is a duration, the prompt time is a wall-clock time.
    rule = daily(time(20, 0), date(2026, 3, 1), window=24 * HOUR)
    found = rr.occurrence(rule, date(2026, 3, 7), NEW_YORK)
    assert found.expires_at - found.fire_at == 24 * HOUR
    assert found.expires_at.astimezone(NEW_YORK) == datetime(2026, 3, 8, 21, 0,
                                                             tzinfo=NEW_YORK)
    assert rr.closes_at(rule, date(2026, 3, 7), NEW_YORK) == found.expires_at


# ---- cadences ------------------------------------------------------------------------------

def test_chosen_weekdays():
    # 1 March 2026 is a Sunday; Monday, Wednesday, Friday from then on.
    rule = Rule(rr.WEEKDAYS, date(2026, 3, 1), time(9), timedelta(days=1),
                weekdays=rr.parse_weekdays("135"))
    assert list(islice(rr.days(rule, date(2026, 1, 1)), 4)) == [
        date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 6), date(2026, 3, 9)]
    assert not rr.is_day(rule, date(2026, 3, 3)) and rr.is_day(rule, date(2026, 3, 4))
    assert rr.latest_day(rule, date(2026, 3, 8)) == date(2026, 3, 6)  # Sunday: Friday's
    assert rr.latest_day(rule, date(2026, 3, 6)) == date(2026, 3, 6)
    assert rr.latest_day(rule, date(2026, 3, 1)) is None  # before the first Monday
    assert rr.next_day(rule, date(2026, 3, 6)) == date(2026, 3, 9)
    assert rr.next_day(rule, None) == date(2026, 3, 2)
    assert rr.describe(rule) == "Mon, Wed, Fri at 09:00"


def test_every_n_days_counts_from_the_start():
    rule = Rule(rr.INTERVAL, date(2026, 3, 1), time(9), timedelta(days=3), every_days=14)
    assert list(islice(rr.days(rule, date(2026, 3, 2)), 2)) == [
        date(2026, 3, 15), date(2026, 3, 29)]
    assert rr.latest_day(rule, date(2026, 3, 28)) == date(2026, 3, 15)
    assert rr.latest_day(rule, date(2026, 3, 29)) == date(2026, 3, 29)
    assert rr.latest_day(rule, date(2026, 2, 28)) is None
    assert rr.next_day(rule, date(2026, 3, 15)) == date(2026, 3, 29)
    assert rr.next_day(rule, date(2026, 2, 1)) == date(2026, 3, 1)
    assert rr.is_day(rule, date(2026, 3, 29)) and not rr.is_day(rule, date(2026, 3, 30))


def test_once():
    rule = Rule(rr.ONCE, date(2026, 3, 10), time(9), timedelta(days=3))
    assert list(rr.days(rule, date(2026, 1, 1))) == [date(2026, 3, 10)]
    assert list(rr.days(rule, date(2026, 3, 11))) == []
    assert rr.latest_day(rule, date(2027, 1, 1)) == date(2026, 3, 10)
    assert rr.latest_day(rule, date(2026, 3, 9)) is None
    assert rr.next_day(rule, None) == date(2026, 3, 10)
    assert rr.next_day(rule, date(2026, 3, 10)) is None


@pytest.mark.parametrize(("rule", "words"), [
    (daily(time(20), date(2026, 1, 1)), "daily at 20:00"),
    (Rule(rr.WEEKDAYS, date(2026, 1, 1), time(8), HOUR, weekdays=frozenset(range(1, 8))),
     "daily at 08:00"),
    (Rule(rr.INTERVAL, date(2026, 1, 1), time(9), HOUR, every_days=7), "weekly at 09:00"),
    (Rule(rr.INTERVAL, date(2026, 1, 1), time(9), HOUR, every_days=14),
     "every 2 weeks at 09:00"),
    (Rule(rr.INTERVAL, date(2026, 1, 1), time(9), HOUR, every_days=10),
     "every 10 days at 09:00"),
    (Rule(rr.ONCE, date(2026, 1, 1), time(9, 30), HOUR), "once at 09:30"),
    (daily(time(20), date(2026, 1, 1), random_minutes=90), "daily at 20:00 (within 90 minutes)"),
])
def test_describe(rule, words):
    assert rr.describe(rule) == words


def test_weekdays_read_and_written_as_digits():
    assert rr.parse_weekdays("1,3, 5") == frozenset({1, 3, 5})
    assert rr.format_weekdays(frozenset({5, 1, 3})) == "135"
    assert rr.parse_weekdays(rr.format_weekdays(frozenset({7, 2}))) == {2, 7}


# ---- quiet hours and pauses ----------------------------------------------------------------

def test_quiet_hours_in_the_day_move_the_prompt_to_their_end():
    rule = daily(time(13, 0), date(2026, 3, 1), window=4 * HOUR)
    lunch = Quiet(start=time(12), end=time(14))
    found = rr.occurrence(rule, date(2026, 3, 10), BERLIN, lunch)
    assert found.fire_at.astimezone(BERLIN).time() == time(14, 0)
    # The window still runs from the nominal 13:00.
    assert found.expires_at.astimezone(BERLIN).time() == time(17, 0)
    # Outside them nothing moves.
    free = rr.occurrence(daily(time(11, 0), date(2026, 3, 1)), date(2026, 3, 10), BERLIN, lunch)
    assert free.fire_at.astimezone(BERLIN).time() == time(11, 0)


def test_quiet_hours_across_midnight_move_the_prompt_to_the_morning():
    night = Quiet(start=time(22), end=time(7))
    late = daily(time(23, 0), date(2026, 3, 1), window=12 * HOUR)
    found = rr.occurrence(late, date(2026, 3, 10), NEW_YORK, night)
    assert found.fire_at.astimezone(NEW_YORK) == datetime(2026, 3, 11, 7, 0, tzinfo=NEW_YORK)
    early = daily(time(5, 0), date(2026, 3, 1), window=12 * HOUR)
    found = rr.occurrence(early, date(2026, 3, 10), NEW_YORK, night)
    assert found.fire_at.astimezone(NEW_YORK) == datetime(2026, 3, 10, 7, 0, tzinfo=NEW_YORK)
    # Across the spring change the morning is still 07:00 local (now EDT).
    found = rr.occurrence(late, date(2026, 3, 7), NEW_YORK, night)
    assert found.fire_at == utc(2026, 3, 8, 11, 0)
    assert found.fire_at.astimezone(NEW_YORK).time() == time(7, 0)


def test_quiet_hours_that_outlast_the_window_drop_that_prompt():
    night = Quiet(start=time(22), end=time(7))
    rule = daily(time(21, 0), date(2026, 3, 1), window=2 * HOUR, random_minutes=110)
    # 21:00 + the seeded offset: days whose offset passes 22:00 would fire at 07:00, after the
    # window closed at 23:00, so they have no prompt; the others fire before 22:00.
    outcomes = {}
    for n in range(30):
        day = date(2026, 3, 1) + timedelta(days=n)
        found = rr.occurrence(rule, day, BERLIN, night)
        offset = rr.random_offset(rule, day)
        outcomes[day] = found
        if offset >= HOUR:
            assert found is None, day
        else:
            assert found.fire_at.astimezone(BERLIN).time() < time(22), day
    assert any(v is None for v in outcomes.values())
    assert any(v is not None for v in outcomes.values())


def test_a_pause_skips_the_days_it_covers():
    rule = daily(time(20), date(2026, 3, 1))
    holiday = Quiet(paused_from=date(2026, 3, 10), paused_until=date(2026, 3, 12))
    assert rr.occurrence(rule, date(2026, 3, 9), BERLIN, holiday) is not None
    for d in (10, 11, 12):
        assert rr.occurrence(rule, date(2026, 3, d), BERLIN, holiday) is None
    # Planned on the first paused day: the next prompt is the day after the pause.
    found = rr.next_occurrence(rule, BERLIN, holiday, from_day=date(2026, 3, 10),
                               now=utc(2026, 3, 10, 8))
    assert found.day == date(2026, 3, 13)


# ---- windows and planning ------------------------------------------------------------------

def test_next_occurrence_is_open_until_its_window_closes_and_then_moves_on():
    rule = daily(time(20, 0), date(2026, 3, 1), window=2 * HOUR)
    day = date(2026, 3, 10)
    closes = datetime(2026, 3, 10, 22, 0, tzinfo=BERLIN)
    before = rr.next_occurrence(rule, BERLIN, from_day=day, now=closes - timedelta(seconds=1))
    assert before.day == day and before.expires_at == closes
    # At the closing instant it has expired: the next one is tomorrow's.
    after = rr.next_occurrence(rule, BERLIN, from_day=day, now=closes)
    assert after.day == day + timedelta(days=1)


def test_next_occurrence_skips_missed_occurrences_instead_of_sending_them_late():
    # A daily schedule started a year ago, planned for the first time tonight at 21:30.
    rule = daily(time(20, 0), date(2025, 3, 1), window=HOUR)
    now = datetime(2026, 3, 10, 21, 30, tzinfo=NEW_YORK)
    found = rr.next_occurrence(rule, NEW_YORK, from_day=rule.start, now=now)
    assert found.day == date(2026, 3, 11)
    # With a longer window tonight's is still open and comes first.
    wide = daily(time(20, 0), date(2025, 3, 1), window=3 * HOUR)
    assert rr.next_occurrence(wide, NEW_YORK, from_day=wide.start, now=now).day == date(
        2026, 3, 10)
    # A one-off that has closed has nothing left.
    once = Rule(rr.ONCE, date(2026, 3, 1), time(9), timedelta(days=3))
    assert rr.next_occurrence(once, NEW_YORK, from_day=once.start, now=now) is None


def test_a_window_of_several_days_keeps_an_old_occurrence_open():
    rule = Rule(rr.INTERVAL, date(2026, 3, 1), time(9), timedelta(days=3), every_days=14)
    now = datetime(2026, 3, 17, 8, 59, tzinfo=BERLIN)  # 2 days 23:59 after 15 March 09:00
    assert rr.next_occurrence(rule, BERLIN, from_day=rule.start, now=now).day == date(2026, 3, 15)
    now += timedelta(days=1, minutes=1)
    assert rr.next_occurrence(rule, BERLIN, from_day=rule.start, now=now).day == date(2026, 3, 29)


# ---- random offsets ------------------------------------------------------------------------

def test_a_seeded_random_offset_is_repeatable_within_range_and_differs_by_day():
    rule = daily(time(18, 0), date(2026, 3, 1), window=4 * HOUR, random_minutes=120,
                 seed="0b8a9f2e-schedule")
    offsets = []
    for n in range(40):
        day = date(2026, 3, 1) + timedelta(days=n)
        found = rr.occurrence(rule, day, NEW_YORK)
        again = rr.occurrence(rule, day, NEW_YORK)
        assert found == again  # planning twice gives the same instant
        offset = rr.random_offset(rule, day)
        assert timedelta(0) <= offset < timedelta(minutes=120)
        assert offset.total_seconds() % 60 == 0
        nominal = rr.local_instant(day, time(18, 0), NEW_YORK)
        assert found.fire_at == nominal + offset
        assert found.expires_at == nominal + 4 * HOUR  # the window runs from the nominal time
        offsets.append(offset)
    assert len(set(offsets)) > 20  # different days, different offsets
    other = daily(time(18, 0), date(2026, 3, 1), window=4 * HOUR, random_minutes=120,
                  seed="another-schedule")
    assert [rr.random_offset(other, date(2026, 3, 1) + timedelta(days=n))
            for n in range(40)] != offsets
    assert rr.random_offset(daily(time(18), date(2026, 3, 1)), date(2026, 3, 2)) == timedelta(0)


# ---- errors name the field -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "new york",
                                  "EST5EDT,M3.2.0,M11.1.0"])
def test_an_unknown_time_zone_names_the_field(name):
    with pytest.raises(RuleError) as caught:
        rr.zone(name)
    assert caught.value.field == "time_zone"
    assert str(caught.value).startswith("time_zone: ")
    assert "Europe/Berlin" in caught.value.message


def test_known_time_zones():
    assert rr.zone("UTC").key == "UTC"
    assert rr.zone("Asia/Kolkata").key == "Asia/Kolkata"


GOOD = Rule(rr.INTERVAL, date(2026, 3, 1), time(9), timedelta(days=3), every_days=14)


def changed(**kw) -> Rule:
    return Rule(**{**GOOD.__dict__, **kw})


@pytest.mark.parametrize(("rule", "quiet", "field", "words"), [
    (changed(cadence="monthly"), rr.NO_QUIET, "cadence", "once, interval, weekdays"),
    (changed(every_days=None), rr.NO_QUIET, "every_days", "from 1 to 365"),
    (changed(every_days=0), rr.NO_QUIET, "every_days", "from 1 to 365"),
    (changed(every_days=366), rr.NO_QUIET, "every_days", "from 1 to 365"),
    (changed(cadence=rr.WEEKDAYS), rr.NO_QUIET, "weekdays", "at least one weekday"),
    (changed(cadence=rr.WEEKDAYS, weekdays=frozenset({8})), rr.NO_QUIET, "weekdays",
     "1 (Monday) to 7 (Sunday)"),
    (changed(window=timedelta(0)), rr.NO_QUIET, "window_minutes", "from 1 minute to 60 days"),
    (changed(window=timedelta(days=61)), rr.NO_QUIET, "window_minutes", "60 days"),
    (changed(random_minutes=-1), rr.NO_QUIET, "random_minutes", "from 0 to 1440"),
    (changed(random_minutes=1441), rr.NO_QUIET, "random_minutes", "from 0 to 1440"),
    (changed(window=HOUR, random_minutes=60), rr.NO_QUIET, "random_minutes",
     "shorter than the answer window"),
    (GOOD, Quiet(start=time(22)), "quiet_hours", "both the start and the end"),
    (GOOD, Quiet(start=time(22), end=time(22)), "quiet_hours", "cover the whole day"),
    (GOOD, Quiet(paused_from=date(2026, 3, 1)), "pause", "both the first and the last day"),
    (GOOD, Quiet(paused_from=date(2026, 3, 5), paused_until=date(2026, 3, 1)), "pause",
     "ends before it starts"),
    (GOOD, Quiet(paused_from=date(2026, 1, 1), paused_until=date(2027, 1, 2)), "pause",
     "at most 366 days"),
    # 23:00 with a two-hour window inside quiet hours of 22:00-07:00: it never sends anything.
    (changed(time_of_day=time(23), window=2 * HOUR), Quiet(start=time(22), end=time(7)),
     "time_of_day", "never send"),
    # Quiet hours that leave a single minute still leave the schedule able to fire.
])
def test_a_rule_that_cannot_work_names_the_field(rule, quiet, field, words):
    with pytest.raises(RuleError) as caught:
        rr.validate(rule, quiet)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert words in caught.value.message


def test_a_one_off_in_the_past_never_fires():
    once = Rule(rr.ONCE, date(2026, 3, 1), time(9), timedelta(days=3))
    with pytest.raises(RuleError) as caught:
        rr.validate(once, today=date(2026, 3, 2))
    assert caught.value.field == "start" and "in the past" in caught.value.message
    rr.validate(once, today=date(2026, 3, 1))
    # A repeating schedule may have started long ago.
    rr.validate(GOOD, today=date(2027, 1, 1))


@pytest.mark.parametrize("text", ["", "8", "0", "1x3", "Mon"])
def test_bad_weekday_digits_name_the_field(text):
    with pytest.raises(RuleError) as caught:
        rr.parse_weekdays(text)
    assert caught.value.field == "weekdays" and "1 (Monday) to 7 (Sunday)" in caught.value.message


def test_rules_that_work():
    rr.validate(GOOD)
    rr.validate(changed(time_of_day=time(21, 30), window=2 * HOUR),
                Quiet(start=time(22), end=time(7)))  # 21:30-22:00 is free
    rr.validate(GOOD, Quiet(start=time(0), end=time(23, 59)))  # one minute left
    rr.validate(changed(cadence=rr.WEEKDAYS, every_days=None, weekdays=frozenset({1, 5})))
