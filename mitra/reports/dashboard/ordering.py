"""The caseload's sorts and filters (`?sort=`, `?show=`, `?q=`): in Python, over the summary rows.

A value outside the allowed ones is a DashboardError naming the parameter and the allowed values
(the view answers 400 with it).
"""

from __future__ import annotations

from collections.abc import Callable

from mitra.reports.dashboard.rows import Row

SORTS = {
    "urgency": "most urgent first",
    "name": "name",
    "phq9": "PHQ-9, highest first",
    "gad7": "GAD-7, highest first",
    "adherence": "diary adherence, lowest first",
    "kratom": "kratom change, largest rise first",
    "due": "next questionnaire, most overdue first",
    "homework": "CBT homework, most overdue first",
    "reminders": "reminders answered, lowest first",
}
FILTERS = {
    "": "everyone",
    "alerts": "any open alert",
    "urgent": "urgent or high-priority alert",
    "deteriorated": "reliable deterioration (PHQ-9 or GAD-7)",
    "overdue": "questionnaire overdue",
    "taper": "on a taper plan",
    "rising": "kratom amount rising",
    "homework": "CBT homework overdue",
    "low_adherence": "low adherence to reminders",
}


class DashboardError(ValueError):
    """A query parameter outside its allowed values; the message names both."""


def _none_last(value: float | None, reverse_sign: int = 1) -> tuple[bool, float]:
    return (value is None, reverse_sign * value if value is not None else 0)


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    """Sort by one of SORTS; a leading '-' reverses it."""
    reverse = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        allowed = ", ".join(f"{k}, -{k}" for k in SORTS)
        raise DashboardError(f"sort: {sort!r} is not allowed; allowed values: {allowed}")
    keys: dict[str, Callable[[Row], tuple]] = {
        "urgency": Row.urgency_key,
        "name": lambda r: (r.display_name.lower(), r.pseudonym),
        "phq9": lambda r: (_none_last(r.scores["phq9"].total, -1), r.display_name),
        "gad7": lambda r: (_none_last(r.scores["gad7"].total, -1), r.display_name),
        "adherence": lambda r: (_none_last(r.adherence), r.display_name),
        "kratom": lambda r: (_none_last(r.trend.change_pct, -1), r.display_name),
        "due": lambda r: (_none_last(r.next_due_on.toordinal() if r.next_due_on else None),
                          r.display_name),
        "homework": lambda r: (-r.homework_overdue, -r.homework_open, r.display_name),
        # Lowest share answered first; nobody sent a reminder yet last.
        "reminders": lambda r: (_none_last(r.reminders_14.share), r.display_name),
    }
    ordered = sorted(rows, key=keys[key])
    return ordered[::-1] if reverse else ordered


def filter_rows(rows: list[Row], show: str, q: str) -> list[Row]:
    if show not in FILTERS:
        allowed = ", ".join(k for k in FILTERS if k)
        raise DashboardError(f"show: {show!r} is not allowed; allowed values: {allowed}"
                             " (or empty for everyone)")
    tests: dict[str, Callable[[Row], bool]] = {
        "": lambda r: True,
        "alerts": lambda r: r.open_alerts > 0,
        "urgent": lambda r: r.urgent + r.high > 0,
        "deteriorated": lambda r: r.deteriorated,
        "overdue": lambda r: r.overdue,
        "taper": lambda r: r.has_taper,
        "rising": lambda r: r.trend.direction == "rising",
        "homework": lambda r: r.homework_overdue > 0,
        "low_adherence": lambda r: r.low_adherence,
    }
    keep = [r for r in rows if tests[show](r)]
    q = q.strip().lower()
    if q:
        keep = [r for r in keep if q in r.display_name.lower() or q in r.pseudonym.lower()]
    return keep
