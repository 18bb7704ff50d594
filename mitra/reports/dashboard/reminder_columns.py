"""The caseload's reminders column: of the prompts sent over the last 14 days, how many the
patient answered, their current streak, and whether that is low adherence.

The rules are `mitra.reminders.adherence`'s (which prompts count, open ones waiting, the
threshold `MITRA_LOW_ADHERENCE` and the minimum `MITRA_LOW_ADHERENCE_MIN_PROMPTS`). As with the
diary columns, one grouped query counts them for every patient when the order or the filter
needs them (`add_reminder_counts`), and one query brings the full figures (streak, median) for
the page shown (`add_reminder_figures`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from mitra.lib import conf
from mitra.reminders import adherence

if TYPE_CHECKING:
    from mitra.reports.dashboard.rows import Row

WINDOW_DAYS = adherence.LOW_WINDOW_DAYS


def _judge(row: Row, window: adherence.Window) -> None:
    row.reminders_14 = window
    row.reminder_status = adherence.status(window, conf.low_adherence_share(),
                                           conf.low_adherence_min_prompts())


def add_reminder_counts(rows: dict[int, Row], ids: QuerySet | list[int], now: datetime) -> None:
    """Sent and answered over 14 days for these rows (one grouped query), and their status."""
    counts = adherence.settled_counts_by_patient(ids, now, WINDOW_DAYS)
    empty = adherence.Window(days=WINDOW_DAYS)
    for pk, row in rows.items():
        _judge(row, counts.get(pk, empty))


def add_reminder_figures(by_pk: dict[int, Row], now: datetime) -> None:
    """The full figures (14 and 30 days, streak, median) for the rows of the page shown."""
    figures = adherence.adherence_by_patient(list(by_pk), now)
    for pk, row in by_pk.items():
        row.reminders = figures.get(pk, adherence.EMPTY)
        _judge(row, row.reminders.last_14)


def threshold_pct() -> str:
    """The low-adherence threshold as the page says it ("70")."""
    return f"{(conf.low_adherence_share() * 100).normalize():f}"
