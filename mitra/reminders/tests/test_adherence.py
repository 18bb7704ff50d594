"""Adherence to reminders, worked by hand: windows, medians, streaks, the low-adherence rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mitra.reminders.adherence import (
    EMPTY,
    PromptFacts,
    Window,
    adherence,
    low_adherence,
    median_minutes,
    status,
    streak,
    window,
)

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
SHARE, MIN = Decimal("0.70"), 4


def prompt(days_ago: float, *, answered_after: float | None = None, state: str = "",
           sent: bool = True, window_hours: float = 24) -> PromptFacts:
    """A prompt fired `days_ago`, sent at once, answered `answered_after` minutes later (or
    not); the state follows unless given."""
    fire = NOW - timedelta(days=days_ago)
    sent_at = fire if sent else None
    answered_at = fire + timedelta(minutes=answered_after) if answered_after is not None \
        else None
    expires = fire + timedelta(hours=window_hours)
    if not state:
        if answered_at:
            state = "answered"
        elif not sent:
            state = "failed"
        else:
            state = "expired" if expires <= NOW else "sent"
    return PromptFacts(fire, sent_at, answered_at, state, expires)


def test_no_prompts_gives_empty_figures_and_too_few():
    figures = adherence([], NOW)
    assert figures == EMPTY
    assert (figures.last_14.sent, figures.last_14.answered, figures.streak) == (0, 0, 0)
    assert figures.last_14.share is None and figures.last_14.pct is None
    assert figures.last_30.median_minutes is None
    assert status(figures, SHARE, MIN) == "too_few"
    assert not low_adherence(figures, SHARE, MIN)


def test_the_windows_count_by_fire_time():
    # Days ago: 1 (answered), 5 (missed), 13.9 (answered), 14.1 and 20 (answered, outside 14
    # but inside 30), 29.9 (missed), 30.5 (answered: outside both).
    prompts = [prompt(1, answered_after=30), prompt(5), prompt(13.9, answered_after=90),
               prompt(14.1, answered_after=10), prompt(20, answered_after=20), prompt(29.9),
               prompt(30.5, answered_after=5)]
    figures = adherence(prompts, NOW)
    assert (figures.last_14.sent, figures.last_14.answered) == (3, 2)
    assert figures.last_14.pct == 67
    assert (figures.last_30.sent, figures.last_30.answered) == (6, 4)
    assert figures.last_30.pct == 67
    # Medians: 14 days {30, 90} -> 60; 30 days {30, 90, 10, 20} -> (20 + 30) / 2 = 25.
    assert figures.last_14.median_minutes == 60
    assert figures.last_30.median_minutes == 25


def test_a_prompt_fired_exactly_at_the_windows_start_is_outside_it():
    edge = prompt(14, answered_after=1)
    assert window([edge], NOW, 14).sent == 0
    assert window([edge], NOW, 30).sent == 1


def test_an_undelivered_prompt_counts_nowhere_even_if_answered():
    failed = prompt(2, sent=False)
    came_anyway = PromptFacts(NOW - timedelta(days=3), None, NOW - timedelta(days=3),
                              "answered", NOW)
    figures = adherence([failed, came_anyway, prompt(4, answered_after=15)], NOW)
    assert (figures.last_14.sent, figures.last_14.answered) == (1, 1)
    assert figures.streak == 1


def test_all_expired_is_zero_percent_and_no_streak():
    prompts = [prompt(d) for d in (1, 2, 3, 4, 5)]
    figures = adherence(prompts, NOW)
    assert (figures.last_14.sent, figures.last_14.answered, figures.last_14.pct) == (5, 0, 0)
    assert figures.streak == 0
    assert figures.last_14.median_minutes is None
    assert status(figures, SHARE, MIN) == "low"


def test_an_open_prompt_waits_and_does_not_break_the_streak():
    # Fired two hours ago with a day to answer: still open. Before it, three answered.
    prompts = [prompt(2 / 24), prompt(1, answered_after=5), prompt(2, answered_after=5),
               prompt(3, answered_after=5), prompt(4)]
    figures = adherence(prompts, NOW)
    assert figures.last_14.open == 1
    assert (figures.last_14.sent, figures.last_14.answered) == (4, 3)
    assert figures.streak == 3


def test_a_prompt_past_its_expiry_is_settled_even_before_the_sweep_marks_it():
    # State still "sent" (the expiry job has not run) but its window closed an hour ago.
    late = PromptFacts(NOW - timedelta(hours=25), NOW - timedelta(hours=25), None, "sent",
                       NOW - timedelta(hours=1))
    figures = adherence([late, prompt(2, answered_after=5)], NOW)
    assert figures.last_14.open == 0
    assert (figures.last_14.sent, figures.last_14.answered) == (2, 1)
    assert figures.streak == 0


def test_the_streak_counts_back_from_the_newest_settled_prompt():
    # Newest first: answered, answered, failed (skipped), answered, missed, answered.
    prompts = [prompt(1, answered_after=1), prompt(2, answered_after=1), prompt(3, sent=False),
               prompt(4, answered_after=1), prompt(5), prompt(6, answered_after=1)]
    assert streak(prompts, NOW) == 3
    assert streak(list(reversed(prompts)), NOW) == 3  # order given does not matter
    # A newest prompt that was missed ends the run at once.
    assert streak([prompt(0.5, window_hours=1), *prompts], NOW) == 0


def test_the_median_of_an_odd_count_and_a_clock_skew():
    prompts = [prompt(1, answered_after=10), prompt(2, answered_after=200),
               prompt(3, answered_after=45)]
    assert median_minutes(prompts) == 45
    skewed = PromptFacts(NOW - timedelta(days=1), NOW - timedelta(days=1),
                         NOW - timedelta(days=1, minutes=3), "answered", NOW)
    assert median_minutes([skewed]) == 0  # answered "before" it was sent: zero, not negative


@pytest.mark.parametrize(("sent", "answered", "expected"), [
    (10, 7, "ok"),        # exactly 70% is not below it
    (10, 6, "low"),
    (4, 2, "low"),        # the minimum reached
    (3, 0, "too_few"),    # three sent: not enough to call it
    (0, 0, "too_few"),
])
def test_the_low_adherence_rule(sent, answered, expected):
    win = Window(days=14, sent=sent, answered=answered)
    assert status(win, SHARE, MIN) == expected
    assert low_adherence(win, SHARE, MIN) is (expected == "low")


def test_the_threshold_and_minimum_are_the_callers():
    win = Window(days=14, sent=10, answered=8)
    assert status(win, Decimal("0.8"), MIN) == "ok"
    assert status(win, Decimal("0.9"), MIN) == "low"
    assert status(win, 0.9, 11) == "too_few"
    assert status(None, SHARE, MIN) == "too_few"
