"""What a patient's CBT records show, for the clinician, with the number of observations.

Each function returns a `Finding`: the numbers, how many observations they rest on, and a
plain sentence. Under a stated minimum the sentence says "too few observations" and no average
is reported, because an average of two or three ratings moves with a single day. The minimums
are conventions of this module, not published cut-offs: none exist for these within-person
summaries, so they are set low enough to be useful in a course of therapy and shown next to
every number. Nothing here claims that one thing caused another.

Plain Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean

# Minimum observations before a number is reported (see the module docstring).
MIN_THOUGHT_RECORDS = 5
MIN_DAYS_PER_GROUP = 7
MIN_RATED_ACTIVITIES = 5
MIN_EXPOSURES = 3


@dataclass(frozen=True)
class Finding:
    title: str
    n: int
    minimum: int
    summary: str
    numbers: dict[str, float | int | None] = field(default_factory=dict)

    @property
    def enough(self) -> bool:
        return self.n >= self.minimum


def _day(day: date) -> str:
    """5 Sep 2026: the pages' date format (DATE_FORMAT "j M Y"), without Django."""
    return f"{day.day} {day:%b %Y}"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"


def _too_few(title: str, n: int, minimum: int, what: str) -> Finding:
    return Finding(
        title, n, minimum,
        f"Too few observations: {n} {what} (at least {minimum} needed before an average "
        "is shown).",
    )


def thought_record_drop(records: Iterable[tuple[date, float, float]]) -> Finding:
    """Average drop in emotion intensity (0-100) from before to after each thought record.

    `records` holds (date, mean intensity before, mean intensity after) for re-rated records.
    With twice the minimum, the earlier and later halves are compared, to show change over time.
    """
    title = "Thought records: intensity drop"
    rows = sorted(records, key=lambda r: r[0])
    n = len(rows)
    if n < MIN_THOUGHT_RECORDS:
        return _too_few(title, n, MIN_THOUGHT_RECORDS, "re-rated thought records")
    drops = [before - after for _d, before, after in rows]
    mean_drop = fmean(drops)
    numbers: dict[str, float | int | None] = {
        "mean_drop": round(mean_drop, 1),
        "mean_before": round(fmean(r[1] for r in rows), 1),
        "mean_after": round(fmean(r[2] for r in rows), 1),
        "earlier_mean_drop": None,
        "later_mean_drop": None,
    }
    summary = (
        f"Emotion intensity fell by {_fmt(round(mean_drop, 1))} points on average (0-100 scale) "
        f"across {n} re-rated thought records, {_day(rows[0][0])} to {_day(rows[-1][0])}."
    )
    if n >= 2 * MIN_THOUGHT_RECORDS:
        half = n // 2
        earlier, later = fmean(drops[:half]), fmean(drops[n - half:])
        numbers["earlier_mean_drop"] = round(earlier, 1)
        numbers["later_mean_drop"] = round(later, 1)
        summary += (
            f" Earlier {half} records: {_fmt(round(earlier, 1))}; "
            f"later {half}: {_fmt(round(later, 1))}."
        )
    return Finding(title, n, MIN_THOUGHT_RECORDS, summary, numbers)


def activity_days_vs_mood(
    mood_by_day: Mapping[date, float], activity_days: Iterable[date], *, scale: str = "0-10"
) -> Finding:
    """Mean diary mood on days with a completed activity versus days without one."""
    title = "Activity days and mood"
    done = set(activity_days)
    with_activity = [m for d, m in mood_by_day.items() if d in done]
    without = [m for d, m in mood_by_day.items() if d not in done]
    n = len(with_activity) + len(without)
    if min(len(with_activity), len(without)) < MIN_DAYS_PER_GROUP:
        return Finding(
            title, min(len(with_activity), len(without)), MIN_DAYS_PER_GROUP,
            f"Too few observations: {len(with_activity)} days with a completed activity and "
            f"{len(without)} without, among days with a diary mood rating (at least "
            f"{MIN_DAYS_PER_GROUP} of each needed).",
            {"days_with": len(with_activity), "days_without": len(without)},
        )
    mean_with, mean_without = fmean(with_activity), fmean(without)
    difference = mean_with - mean_without
    return Finding(
        title, min(len(with_activity), len(without)), MIN_DAYS_PER_GROUP,
        f"Diary mood averaged {_fmt(round(mean_with, 1))} on {len(with_activity)} days with a "
        f"completed activity and {_fmt(round(mean_without, 1))} on {len(without)} days without "
        f"({scale} scale; difference {difference:+.1f}). This is an association over {n} days, "
        "not evidence that the activities caused it.",
        {
            "days_with": len(with_activity), "days_without": len(without),
            "mean_with": round(mean_with, 1), "mean_without": round(mean_without, 1),
            "difference": round(difference, 1),
        },
    )


def activity_mood_change(ratings: Iterable[tuple[int, int]]) -> Finding:
    """Mean change in mood (0-10) from before to after completed activities."""
    title = "Mood before and after activities"
    pairs = list(ratings)
    n = len(pairs)
    if n < MIN_RATED_ACTIVITIES:
        return _too_few(title, n, MIN_RATED_ACTIVITIES, "activities rated before and after")
    change = fmean(after - before for before, after in pairs)
    improved = sum(1 for before, after in pairs if after > before)
    return Finding(
        title, n, MIN_RATED_ACTIVITIES,
        f"Mood changed by {change:+.1f} points on average (0-10 scale) over {n} completed "
        f"activities; it rose after {improved} of them.",
        {"mean_change": round(change, 1), "improved": improved},
    )


def _slope(ys: Sequence[float]) -> float:
    """Least-squares slope of ys against 0, 1, 2, ... (points per exposure)."""
    n = len(ys)
    mean_x, mean_y = (n - 1) / 2, fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    return sum((x - mean_x) * (y - mean_y) for x, y in enumerate(ys)) / sxx


def exposure_trend(
    situation: str, logs: Iterable[tuple[date, int, int, int]]
) -> Finding:
    """Peak distress (SUDS 0-100) across repeated exposures to one situation.

    `logs` holds (date, SUDS before, SUDS peak, SUDS after). Repeated practice is expected to
    bring peak distress down (Craske et al. 2014 caution that within-session drop is not
    needed for learning, so the trend across sessions is what is reported).
    """
    title = f"Exposure: {situation}"
    rows = sorted(logs, key=lambda r: r[0])
    n = len(rows)
    if n < MIN_EXPOSURES:
        return _too_few(title, n, MIN_EXPOSURES, "exposures logged")
    peaks = [r[2] for r in rows]
    slope = _slope(peaks)
    return Finding(
        title, n, MIN_EXPOSURES,
        f"Peak distress went from {peaks[0]} to {peaks[-1]} (SUDS 0-100) over {n} exposures, "
        f"a trend of {slope:+.1f} points per exposure.",
        {"first_peak": peaks[0], "last_peak": peaks[-1], "slope": round(slope, 1),
         "mean_after": round(fmean(r[3] for r in rows), 1)},
    )
