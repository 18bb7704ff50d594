from datetime import date, timedelta

import pytest

from mitra.cbt import insight

D0 = date(2026, 1, 5)


def days(n):
    return [D0 + timedelta(days=7 * i) for i in range(n)]


def test_thought_drop_says_too_few_under_the_minimum():
    rows = [(d, 80, 60) for d in days(insight.MIN_THOUGHT_RECORDS - 1)]
    finding = insight.thought_record_drop(rows)
    assert not finding.enough
    assert finding.n == insight.MIN_THOUGHT_RECORDS - 1
    assert finding.summary.startswith("Too few observations: 4 re-rated thought records")
    assert "mean_drop" not in finding.numbers


def test_thought_drop_averages_before_minus_after():
    rows = [(d, 80, 80 - drop) for d, drop in zip(days(5), [10, 20, 30, 40, 50], strict=True)]
    finding = insight.thought_record_drop(rows)
    assert finding.enough and finding.n == 5
    assert finding.numbers["mean_drop"] == 30
    assert finding.numbers["mean_before"] == 80
    assert finding.numbers["mean_after"] == 50
    # Fewer than twice the minimum: no halves compared.
    assert finding.numbers["earlier_mean_drop"] is None
    assert "30 points on average" in finding.summary and "5 re-rated" in finding.summary


def test_thought_drop_compares_earlier_and_later_halves_in_date_order():
    drops = [5, 5, 5, 5, 5, 25, 25, 25, 25, 25, 99]  # odd n: the middle record sits out
    rows = [(d, 90, 90 - x) for d, x in zip(days(11), drops, strict=True)]
    rows.reverse()  # input order must not matter
    finding = insight.thought_record_drop(rows)
    assert finding.numbers["earlier_mean_drop"] == 5
    assert finding.numbers["later_mean_drop"] == pytest.approx((25 * 4 + 99) / 5, abs=0.05)
    assert "Earlier 5 records: 5" in finding.summary


def test_activity_days_vs_mood_needs_enough_days_in_each_group():
    mood = {D0 + timedelta(days=i): 5 for i in range(20)}
    active = [D0 + timedelta(days=i) for i in range(6)]  # 6 with, 14 without
    finding = insight.activity_days_vs_mood(mood, active)
    assert not finding.enough
    assert "6 days with a completed activity and 14 without" in finding.summary
    assert "Too few observations" in finding.summary


def test_activity_days_vs_mood_reports_both_means_and_the_difference():
    mood = {}
    for i in range(16):
        mood[D0 + timedelta(days=i)] = 7 if i % 2 == 0 else 4
    active = [D0 + timedelta(days=i) for i in range(0, 16, 2)]
    finding = insight.activity_days_vs_mood(mood, active)
    assert finding.enough
    assert finding.numbers == {"days_with": 8, "days_without": 8, "mean_with": 7,
                               "mean_without": 4, "difference": 3}
    assert "not evidence that the activities caused it" in finding.summary


def test_activity_days_without_mood_are_not_counted():
    mood = {D0: 5}
    finding = insight.activity_days_vs_mood(mood, [D0 + timedelta(days=i) for i in range(30)])
    assert finding.numbers["days_with"] == 1 and finding.numbers["days_without"] == 0


def test_activity_mood_change():
    assert not insight.activity_mood_change([(3, 5)] * 4).enough
    finding = insight.activity_mood_change([(3, 5), (4, 4), (2, 6), (5, 4), (3, 6)])
    assert finding.numbers == {"mean_change": 1.6, "improved": 3}
    assert "+1.6 points" in finding.summary


def test_exposure_trend_slope_is_least_squares_per_exposure():
    logs = [(d, 40, peak, 30) for d, peak in zip(days(4), [80, 70, 60, 50], strict=True)]
    finding = insight.exposure_trend("Bus", logs)
    assert finding.enough
    assert finding.numbers["slope"] == -10
    assert finding.numbers["first_peak"] == 80 and finding.numbers["last_peak"] == 50
    assert "from 80 to 50" in finding.summary and "4 exposures" in finding.summary


def test_exposure_trend_noisy_slope():
    logs = [(d, 0, peak, 0) for d, peak in zip(days(3), [60, 70, 50], strict=True)]
    assert insight.exposure_trend("x", logs).numbers["slope"] == -5


def test_exposure_trend_too_few():
    finding = insight.exposure_trend("Bus", [(D0, 40, 80, 30), (D0, 40, 70, 30)])
    assert not finding.enough and "2 exposures logged" in finding.summary
