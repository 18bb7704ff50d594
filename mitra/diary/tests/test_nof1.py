"""The n-of-1 statistics (`diary/nof1.py`): hand-computed examples, the pairs and their gaps,
the minimum, the block bootstrap, the taper phases; and against scipy and statsmodels where
they compute the same thing."""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
import statsmodels.api as sm  # type: ignore[import-untyped]
from scipy import stats  # type: ignore[import-untyped]

from mitra.diary import nof1, taper
from mitra.diary.analytics import Use

D0 = date(2026, 1, 1)


def day(i: int) -> date:
    return D0 + timedelta(days=i)


# -- hand-computed ----------------------------------------------------------------------------


def test_pearson_and_spearman_of_five_pairs_computed_by_hand():
    # x = 1 2 3 4 5 (mean 3), y = 2 4 5 4 5 (mean 4).
    # dx = -2 -1 0 1 2, dy = -2 0 1 0 1: sum dx*dy = 4+0+0+0+2 = 6, sum dx² = 10, sum dy² = 6.
    # r = 6 / sqrt(10 * 6) = 6 / sqrt(60) = 0.774596669...
    # Ranks of y, ties sharing the mean rank: 2 -> 1, the two 4s -> 2.5, the two 5s -> 4.5:
    # 1 2.5 4.5 2.5 4.5 (mean 3), d = -2 -0.5 1.5 -0.5 1.5: sum dx*d = 4+0.5+0-0.5+3 = 7,
    # sum d² = 4+0.25+2.25+0.25+2.25 = 9. rho = 7 / sqrt(10 * 9) = 0.737864787...
    xs, ys = [1, 2, 3, 4, 5], [2, 4, 5, 4, 5]
    assert nof1.pearson(xs, ys) == pytest.approx(6 / math.sqrt(60), abs=1e-12)
    assert nof1.pearson(xs, ys) == pytest.approx(0.7745966692, abs=1e-10)
    assert nof1.ranks(ys) == [1, 2.5, 4.5, 2.5, 4.5]
    assert nof1.spearman(xs, ys) == pytest.approx(7 / math.sqrt(90), abs=1e-12)
    assert nof1.spearman(xs, ys) == pytest.approx(0.7378647874, abs=1e-10)


def test_a_falling_line_is_minus_one_and_no_variation_is_no_r():
    assert nof1.pearson([0, 1, 2, 3, 4], [8, 6, 4, 2, 0]) == pytest.approx(-1.0)
    # Spearman only sees order: y = x³ is a perfect 1 for rho but not for r.
    xs = [1, 2, 3, 4, 5]
    assert nof1.spearman(xs, [x**3 for x in xs]) == pytest.approx(1.0)
    assert nof1.pearson(xs, [x**3 for x in xs]) < 0.95
    assert nof1.pearson([3, 3, 3], [1, 2, 3]) is None
    assert nof1.pearson([1], [1]) is None
    with pytest.raises(ValueError, match="same length"):
        nof1.pearson([1, 2], [1])


# -- the pairs ----------------------------------------------------------------------------------


def test_pairs_come_from_consecutive_recorded_days_only():
    # Entries on days 0, 1, 2, 4, 5: day 3 is missing, so 2->3 and 3->4 are no pairs.
    days = [nof1.Day(day(i), mood=i) for i in (0, 1, 2, 4, 5)]
    amounts = {day(0): 3.0, day(2): 5.0, day(4): 1.5}  # day 1 and 5: an entry, no use: zero
    pairs = nof1.lagged_pairs(amounts, days, "mood")
    assert [(p.day, p.exposure, p.outcome) for p in pairs] == [
        (day(0), 3.0, 1.0), (day(1), 0.0, 2.0), (day(4), 1.5, 5.0)]


def test_a_rating_left_out_breaks_only_that_outcome_s_pair():
    days = [nof1.Day(day(0), mood=5, craving=2), nof1.Day(day(1), mood=None, craving=4),
            nof1.Day(day(2), mood=6, craving=None)]
    assert [p.day for p in nof1.lagged_pairs({}, days, "mood")] == [day(1)]
    assert [p.day for p in nof1.lagged_pairs({}, days, "craving")] == [day(0)]
    with pytest.raises(ValueError, match="outcome must be one of mood, anxiety"):
        nof1.lagged_pairs({}, days, "sleep")


def _diary(n_days: int, *, rng: random.Random, skip=()):
    """A diary of `n_days` days (none on the days in `skip`): kratom powder in grams, one or two
    uses a day, mood falling with the day before's amount."""
    days, uses = [], []
    previous = 0.0
    for i in range(n_days):
        amount = round(rng.uniform(2, 8), 1)
        if i not in skip:
            days.append(nof1.Day(day(i), mood=max(0, min(10, round(8 - 0.6 * previous
                                                                   + rng.gauss(0, 1)))),
                                 anxiety=rng.randint(0, 10), craving=rng.randint(0, 10),
                                 withdrawal=rng.randint(0, 10)))
            for _ in range(1 + i % 2):
                g = Decimal(str(amount)) / (1 + i % 2)
                uses.append(Use(day(i), "kratom_powder", g, "g", g))
        previous = amount if i not in skip else 0.0
    return days, uses


def test_not_enough_data_below_the_minimum_and_numbers_from_it():
    # 14 days in a row give 13 pairs; 15 give 14.
    rng = random.Random(3)
    days, uses = _diary(14, rng=rng)
    short = nof1.report(days, uses, day(0), day(13), resamples=200)
    cell = next(a for a in short.associations if a.exposure == "amount" and a.outcome == "mood")
    assert (cell.n, cell.status, cell.pearson, cell.interval) == (13, nof1.NOT_ENOUGH, None,
                                                                  None)
    assert cell.message == "not enough data (13 of 14 paired days needed)"
    days, uses = _diary(15, rng=random.Random(3))
    enough = nof1.report(days, uses, day(0), day(14), resamples=200)
    cell = next(a for a in enough.associations if a.exposure == "amount" and a.outcome == "mood")
    assert (cell.n, cell.status, cell.message) == (14, nof1.OK, "")
    assert cell.pearson is not None and cell.interval is not None
    assert cell.block_length == 2
    assert nof1.MIN_PAIRS == 14


def test_the_report_has_every_substance_exposure_and_outcome_and_says_association_not_cause():
    days, uses = _diary(40, rng=random.Random(5), skip={10, 11, 25})
    uses.append(Use(day(3), "kava", Decimal(250), "mL", None))
    uses.append(Use(day(4), "kava", Decimal(2), "capsules", None))  # mixed: no amount series
    result = nof1.report(days, uses, day(0), day(39), resamples=200)
    cells = {(a.substance, a.exposure, a.outcome) for a in result.associations}
    assert cells == ({("kratom_powder", e, o) for e in ("amount", "uses") for o in nof1.OUTCOMES}
                     | {("kava", "uses", o) for o in nof1.OUTCOMES})
    # 37 diary days with day 10, 11 and 25 missing: 39 consecutive pairs less 3 + 2.
    assert {a.n for a in result.associations if a.substance == "kratom_powder"} == {34}
    kava = next(a for a in result.associations if a.substance == "kava")
    assert kava.status == nof1.OK and kava.exposure_label == "uses that day"
    mood = next(a for a in result.associations
                if a.substance == "kratom_powder" and a.exposure == "amount"
                and a.outcome == "mood")
    assert mood.exposure_label == "g that day" and mood.pearson is not None
    assert mood.pearson < -0.5  # built in: mood falls with the day before's amount
    assert result.days_recorded == 37
    assert result.cause == "Association, not cause."
    assert result.caveat.startswith("Association, not cause.")


def test_a_substance_used_the_same_way_every_day_has_no_variation():
    days = [nof1.Day(day(i), mood=i % 5) for i in range(20)]
    uses = [Use(day(i), "kratom_powder", Decimal(3), "g", Decimal(3)) for i in range(20)]
    result = nof1.report(days, uses, day(0), day(19), resamples=100)
    assert {a.status for a in result.associations if a.outcome == "mood"} == {nof1.NO_VARIATION}


# -- the bootstrap ------------------------------------------------------------------------------


def test_block_length_is_the_cube_root_of_n_at_least_two():
    assert [nof1.block_length(n) for n in (2, 14, 27, 100, 364, 1000)] == [2, 2, 3, 5, 7, 10]
    assert nof1.block_length(1) == 1


def test_the_interval_is_the_same_for_the_same_data_and_moves_with_other_data():
    rng = random.Random(11)
    xs = [rng.uniform(0, 10) for _ in range(120)]
    ys = [x * 0.3 + rng.gauss(0, 2) for x in xs]
    first = nof1.block_bootstrap_interval(xs, ys)
    assert nof1.block_bootstrap_interval(list(xs), list(ys)) == first
    ys2 = ys[:-1] + [ys[-1] + 1]
    assert nof1.block_bootstrap_interval(xs, ys2) != first
    assert nof1.seed_for(zip(xs, ys, strict=True)) == nof1.seed_for(zip(xs, ys, strict=True))
    low, high = first[0]
    assert -1 <= low < nof1.pearson(xs, ys) < high <= 1
    assert first[1] == nof1.RESAMPLES


def test_one_block_as_long_as_the_series_resamples_the_series_itself():
    xs, ys = [1, 2, 3, 4, 5], [2, 4, 5, 4, 5]
    (low, high), kept = nof1.block_bootstrap_interval(xs, ys, length=5, resamples=50)
    assert low == pytest.approx(6 / math.sqrt(60)) and high == pytest.approx(6 / math.sqrt(60))
    assert kept == 50
    with pytest.raises(ValueError, match="length must be from 1 to 5, not 6"):
        nof1.block_bootstrap_interval(xs, ys, length=6)


def test_every_resample_is_a_join_of_moving_blocks():
    # n = 4 in blocks of 2: each resample is two of the blocks starting at pair 0, 1 or 2,
    # so its r is one of the r's of these 9 joins (those that vary) and nothing else.
    xs, ys = [1.0, 4.0, 2.0, 7.0], [3.0, 1.0, 6.0, 2.0]
    possible = set()
    for a, b in itertools.product(range(3), repeat=2):
        idx = [a, a + 1, b, b + 1]
        r = nof1.pearson([xs[i] for i in idx], [ys[i] for i in idx])
        if r is not None:
            possible.add(round(r, 9))
    (low, high), kept = nof1.block_bootstrap_interval(xs, ys, length=2, resamples=400, seed=1)
    assert kept > 200
    assert round(low, 9) in possible and round(high, 9) in possible


def _ar1(n: int, phi: float, rng: random.Random) -> list[float]:
    out, value = [], 0.0
    for _ in range(n):
        value = phi * value + rng.gauss(0, 1)
        out.append(value)
    return out


def test_blocks_widen_the_interval_when_days_are_autocorrelated():
    # Two unrelated, strongly autocorrelated series (AR(1), phi 0.9): resampling single days
    # treats each day as new information and gives a narrower interval than week-long blocks.
    rng = random.Random(2026)
    xs, ys = _ar1(365, 0.9, rng), _ar1(365, 0.9, rng)
    (lo1, hi1), _ = nof1.block_bootstrap_interval(xs, ys, length=1, seed=4)
    (lo7, hi7), _ = nof1.block_bootstrap_interval(xs, ys, length=7, seed=4)
    assert hi7 - lo7 > 1.3 * (hi1 - lo1)
    # Here the day-by-day interval leaves out zero for two unrelated series; the blocks do not.
    assert lo1 > 0 > lo7


def test_the_percentile_matches_numpy_s_linear_method():
    rng = random.Random(8)
    values = sorted(rng.uniform(-1, 1) for _ in range(997))
    for q in (0.025, 0.5, 0.975):
        assert nof1._quantile(values, q) == pytest.approx(float(np.quantile(values, q)))


# -- against scipy and statsmodels ----------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 14, 60, 365])
def test_pearson_and_spearman_match_scipy_and_the_ols_slope_of_standardised_data(n):
    rng = random.Random(n)
    xs = [float(rng.choice([0, 0, 1, 2, 3.5, 4, 6])) for _ in range(n)]  # ties, zeros
    ys = [float(max(0, min(10, round(5 + 0.4 * x + rng.gauss(0, 2))))) for x in xs]
    if len(set(xs)) < 2 or len(set(ys)) < 2:
        pytest.skip("no variation drawn")
    r = nof1.pearson(xs, ys)
    assert r == pytest.approx(stats.pearsonr(xs, ys).statistic, abs=1e-12)
    assert nof1.spearman(xs, ys) == pytest.approx(stats.spearmanr(xs, ys).statistic, abs=1e-12)
    assert nof1.ranks(xs) == pytest.approx(list(stats.rankdata(xs)))
    # On standardised data the least-squares slope is r.
    zx, zy = stats.zscore(np.array(xs)), stats.zscore(np.array(ys))
    fit = sm.OLS(zy, sm.add_constant(zx)).fit()
    assert fit.params[1] == pytest.approx(r, abs=1e-10)


# -- taper phases -------------------------------------------------------------------------------


def test_taper_phases_give_the_mean_and_n_before_and_after_each_step():
    # Plan from day 10: 10 g, 10% less every 7 days, never below 8: 10 (days 10-16),
    # 9 (17-23), then 8.1 would be 8.10 > 8: 8.10 (24-30), 8 from day 31 (7.29 -> target 8).
    plan = taper.Plan(start_date=day(10), start_amount=Decimal(10), target_amount=Decimal(8),
                      step_kind=taper.PERCENT, step_size=Decimal(10), interval_days=7)
    # Mood 6 before the plan, 5 in the first step, 4 after; day 12 left blank, day 20 missing.
    days = []
    for i in range(28):
        if i == 20:
            continue
        mood = 6 if i < 10 else 5 if i < 17 else 4
        days.append(nof1.Day(day(i), mood=None if i == 12 else mood, craving=i % 3))
    phases = nof1.taper_phases(plan, days, day(0), day(27))
    assert [(p.start, p.end, p.planned) for p in phases] == [
        (day(0), day(9), None), (day(10), day(16), 10.0), (day(17), day(23), 9.0),
        (day(24), day(27), 8.1)]
    assert [p.n["mood"] for p in phases] == [10, 6, 6, 4]
    assert [p.mean["mood"] for p in phases] == [6, 5, 4, 4]
    assert [p.change.get("mood") for p in phases] == [None, -1, -1, 0]
    # craving: days 10-16 are 1,2,0,1,2,0,1 -> 7/7 = 1.0; days 0-9 -> 0+1+2+0+1+2+0+1+2+0 = 9
    assert phases[0].mean["craving"] == pytest.approx(0.9)
    assert phases[1].mean["craving"] == pytest.approx(1.0)
    assert phases[1].change["craving"] == pytest.approx(0.1)
    assert phases[0].n["anxiety"] == 0 and phases[0].mean["anxiety"] is None
    assert [c["outcome"] for c in phases[1].cells] == list(nof1.OUTCOMES)


def test_a_pause_holds_the_phase_and_the_report_includes_the_phases():
    plan = taper.Plan(start_date=day(0), start_amount=Decimal(10), target_amount=Decimal(0),
                      step_kind=taper.AMOUNT, step_size=Decimal(1), interval_days=5,
                      pauses=(taper.Pause(day(3), day(7)),))
    days = [nof1.Day(day(i), mood=5) for i in range(20)]
    phases = nof1.taper_phases(plan, days, day(0), day(19))
    # Active days: 0-2, then 8 on (the pause covers 3-7): the step falls on day 10.
    assert [(p.start, p.planned) for p in phases] == [(day(0), 10.0), (day(10), 9.0),
                                                       (day(15), 8.0)]
    result = nof1.report(days, [], day(0), day(19), plan)
    assert result.phases == phases and result.associations == []
    with pytest.raises(ValueError, match="end must not be before start"):
        nof1.taper_phases(plan, days, day(5), day(4))
