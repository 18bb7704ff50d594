from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mitra.diary import analytics
from mitra.diary.analytics import Use

D0 = date(2026, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def grams(n: int, g, substance="kratom_powder") -> Use:
    g = Decimal(str(g))
    return Use(day(n), substance, g, "g", g)


def steady(days: range, g=4, per_day=1) -> list[Use]:
    return [grams(n, Decimal(str(g)) / per_day) for n in days for _ in range(per_day)]


def test_daily_totals_sum_per_day_substance_and_unit():
    uses = [grams(0, 2), grams(0, "1.5"), Use(day(0), "kratom_capsule", Decimal(4), "capsules",
                                              None), Use(day(1), "alcohol", Decimal(2),
                                                         "standard_drinks", None)]
    rows = analytics.daily_totals(uses)
    powder = next(r for r in rows if r.substance == "kratom_powder")
    assert (powder.amount, powder.total_g, powder.uses) == (Decimal("3.5"), Decimal("3.5"), 2)
    capsules = next(r for r in rows if r.substance == "kratom_capsule")
    assert capsules.total_g is None  # fill unknown: no gram total
    assert [r.date for r in rows] == [day(0), day(0), day(1)]


def test_rolling_mean_counts_days_without_use_as_zero():
    series = {day(0): Decimal(7), day(6): Decimal(7)}
    means = analytics.rolling_mean(series, [day(6), day(7)])
    assert means[day(6)] == 2
    assert means[day(7)] == 1


def test_rolling_mean_with_gaps_uses_recorded_days_and_needs_half_the_window():
    series = {day(6): Decimal(6)}
    assert analytics.rolling_mean(series, [day(6)], observed={day(5), day(6), day(4),
                                                              day(3)})[day(6)] == Decimal("1.5")
    assert analytics.rolling_mean(series, [day(6)], observed={day(6), day(5), day(4)})[
        day(6)] is None


# Escalation: recent window D-6..D, baseline D-34..D-7, share 25% by default.

def test_first_possible_escalation_is_on_the_35th_day_of_the_record():
    uses = steady(range(0, 28), 4) + steady(range(28, 35), 8)
    flags = analytics.escalation_flags(uses)
    assert [(f.date, f.measure) for f in flags] == [(day(34), "amount")]
    # One day less of record: no full baseline, no flag.
    assert analytics.escalation_flags(uses, start=day(1)) == []


def test_exactly_25_percent_above_flags_and_just_below_does_not():
    base = steady(range(0, 28), 4)
    exactly = base + steady(range(28, 35), 5)
    below = base + steady(range(28, 35), "4.99")
    assert [f.date for f in analytics.escalation_flags(exactly)] == [day(34)]
    assert analytics.escalation_flags(below) == []


def test_share_is_configurable():
    uses = steady(range(0, 28), 4) + steady(range(28, 35), 5)
    assert analytics.escalation_flags(uses, share="0.3") == []
    assert len(analytics.escalation_flags(uses, share="0.2")) == 1


def test_use_just_before_the_baseline_window_does_not_count():
    # A big day at D-35 sits outside the baseline D-34..D-7 of D = day 35.
    uses = [grams(0, 100)] + steady(range(1, 29), 4) + steady(range(29, 36), 5)
    flags = analytics.escalation_flags(uses, start=day(0), end=day(35))
    assert [f.date for f in flags] == [day(35)]


def test_the_baseline_window_edge_day_counts():
    # As the exactly-25% case, but 1 g more on D-34 (the baseline's first day) of D = day 34:
    # counted, it lifts the baseline just enough that day 34 is no longer flagged.
    uses = [grams(0, 5)] + steady(range(1, 28), 4) + steady(range(28, 35), 5)
    assert analytics.escalation_flags(uses) == []


def test_rising_uses_per_day_flags_even_when_the_amount_is_flat():
    uses = steady(range(0, 28), 4, per_day=2) + steady(range(28, 35), 4, per_day=3)
    flags = analytics.escalation_flags(uses)
    assert [(f.date, f.measure) for f in flags] == [(day(34), "uses")]
    assert flags[0].detail["change_pct"] == Decimal("50.0")


def test_an_escalation_episode_flags_once_on_its_first_day():
    uses = steady(range(0, 28), 4) + steady(range(28, 50), 8)
    flags = analytics.escalation_flags(uses)
    assert [f.date for f in flags] == [day(34)]


def test_no_baseline_use_is_not_called_escalation():
    uses = steady(range(28, 35), 8)
    assert analytics.escalation_flags(uses, start=day(0)) == []


def test_occasional_use_is_not_compared():
    # A drink on 13 of 28 baseline days, then daily: the baseline is not regular use.
    drinks = [Use(day(n), "alcohol", Decimal(1), "standard_drinks") for n in range(0, 28, 2)
              if n != 26] + [Use(day(n), "alcohol", Decimal(2), "standard_drinks")
                             for n in range(28, 35)]
    assert analytics.escalation_flags(drinks) == []
    # On 14 of 28 days it is regular enough, and the rise is flagged.
    drinks.append(Use(day(26), "alcohol", Decimal(1), "standard_drinks"))
    assert [f.date for f in analytics.escalation_flags(drinks)][:1] == [day(34)]


def test_with_diary_gaps_only_recorded_days_count():
    uses = steady(range(0, 28), 4) + steady(range(28, 35), 5)
    observed = {day(n) for n in range(35)}
    assert len(analytics.escalation_flags(uses, observed=observed)) == 1
    # Only 3 of the last 7 days recorded: too few to compare.
    sparse = observed - {day(28), day(29), day(30), day(31)}
    assert analytics.escalation_flags(
        [u for u in uses if u.day in sparse], observed=sparse) == []


def test_co_use_with_alcohol_opioids_or_benzodiazepines_on_the_same_day():
    uses = [grams(0, 3), Use(day(0), "alcohol", Decimal(2), "standard_drinks"),
            grams(1, 3), Use(day(2), "benzodiazepine", Decimal(1), "tablets"),
            Use(day(3), "7oh_product", Decimal(1), "tablets"),
            Use(day(3), "opioid", Decimal(10), "mg"),
            Use(day(4), "kava", Decimal(200), "mL"),
            Use(day(4), "alcohol", Decimal(1), "standard_drinks"),
            grams(5, 3), Use(day(5), "cannabis", Decimal(1), "g")]
    flags = analytics.co_use_flags(uses)
    assert [(f.date, f.detail["substances"]) for f in flags] == [
        (day(0), ["alcohol", "kratom_powder"]),
        (day(3), ["7oh_product", "opioid"]),
        (day(4), ["alcohol", "kava"]),
    ]


def test_first_concentrated_7oh_use_flags_its_first_day_only():
    uses = [grams(0, 3), Use(day(2), "7oh_product", Decimal(1), "tablets"),
            Use(day(5), "7oh_product", Decimal(2), "tablets")]
    assert [(f.date, f.kind) for f in analytics.first_7oh_flag(uses)] == [
        (day(2), "concentrated_7oh")]
    assert analytics.first_7oh_flag(uses, used_before=True) == []
    assert analytics.first_7oh_flag([grams(0, 3)]) == []


def test_adherence_is_days_with_an_entry_over_days_enrolled():
    result = analytics.adherence({day(0), day(1), day(1), day(9), day(20)}, day(0), day(9))
    assert result == {"days_with_entry": 3, "days_enrolled": 10, "share": Decimal("0.300")}
    assert analytics.adherence([], day(5), day(4))["share"] is None


def test_analyze_report_shape():
    report = analytics.analyze([grams(0, 2), Use(day(0), "alcohol", Decimal(1),
                                                 "standard_drinks")])
    assert report["days"][1] == {"date": "2026-01-01", "substance": "kratom_powder",
                                 "total_g": 2, "amount": 2, "unit": "g", "uses": 1}
    assert report["flags"] == [{"date": "2026-01-01", "kind": "co_use",
                                "substances": ["alcohol", "kratom_powder"]}]


# `since` computes only the last days; it must find exactly the flags the whole record finds
# on those days (an episode that began before `since` is not raised again).
_amounts = st.lists(st.sampled_from([None, 0, 2, 3, 4, 5, 8, 12]), min_size=40, max_size=90)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(amounts=_amounts, per_day=st.lists(st.integers(1, 3), min_size=90, max_size=90),
       back=st.integers(0, 20))
def test_escalation_since_finds_the_same_flags_as_the_whole_record(amounts, per_day, back):
    uses, observed = [], set()
    for n, g in enumerate(amounts):
        if g is None:  # no entry that day
            continue
        observed.add(day(n))
        uses += [grams(n, g) for _ in range(per_day[n] if g else 0)]
    end = day(len(amounts) - 1)
    since = end - timedelta(days=back)
    for seen in (None, observed):
        whole = analytics.escalation_flags(uses, start=day(0), end=end, observed=seen)
        expected = [f for f in whole if f.date >= since]
        assert analytics.escalation_flags(uses, start=day(0), end=end, observed=seen,
                                          since=since) == expected


def test_escalation_since_does_not_raise_an_episode_that_began_before():
    uses = steady(range(28)) + steady(range(28, 45), g=8)  # rising from day 34 on
    assert [f.date for f in analytics.escalation_flags(uses)] == [day(34)]
    assert analytics.escalation_flags(uses, since=day(40)) == []
    assert [f.date for f in analytics.escalation_flags(uses, since=day(34))] == [day(34)]


# `mitra diary analyze` sums the events per day, substance and unit as it reads them
# (DailySums); the report on the sums must be the report on the events, flags included.
_event = st.tuples(
    st.integers(0, 80),
    st.sampled_from([("kratom_powder", "g"), ("kratom_powder", "g"), ("kratom_powder", "mg"),
                     ("kratom_capsule", "capsules"), ("kratom_extract", "mL"),
                     ("7oh_product", "tablets"), ("alcohol", "standard_drinks"), ("kava", "mL"),
                     ("benzodiazepine", "mg")]),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal(500), places=3),
    st.sampled_from([None, Decimal("0.5"), Decimal("0.75")]),
)


def _use(n: int, kind: tuple[str, str], amount: Decimal, fill: Decimal | None) -> Use:
    substance, unit = kind
    grams_of = {"g": amount, "mg": amount / 1000,
                "capsules": None if fill is None else amount * fill}
    converts = substance in ("kratom_powder", "kratom_capsule")
    return Use(day(n), substance, amount, unit, grams_of.get(unit) if converts else None)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(per_day=st.lists(st.integers(0, 3), min_size=40, max_size=60),
       events=st.lists(_event, max_size=300))
def test_the_report_on_daily_sums_is_the_report_on_the_events(per_day, events):
    # Regular powder use (so that escalation can flag) and events of every kind around it.
    uses = [grams(n, 2) for n, k in enumerate(per_day) for _ in range(k)]
    uses += [_use(*e) for e in events]
    sums = analytics.DailySums()
    for u in uses:
        sums.add(u.day, u.substance, u.unit, u.amount, u.grams)
    summed = sums.uses()
    assert len(summed) == len({(u.day, u.substance, u.unit) for u in uses})
    assert sum(u.events for u in summed) == len(uses)
    assert analytics.analyze(summed) == analytics.analyze(uses)
    assert analytics.analyze(summed, share="0.1") == analytics.analyze(uses, share="0.1")


def test_a_daily_sum_has_grams_only_when_every_event_had_them():
    sums = analytics.DailySums()
    sums.add(day(0), "kratom_capsule", "capsules", Decimal(2), Decimal(1))
    sums.add(day(0), "kratom_capsule", "capsules", Decimal(4), None)  # fill unknown
    sums.add(day(1), "kratom_capsule", "capsules", Decimal(2), Decimal(1))
    sums.add(day(1), "kratom_capsule", "capsules", Decimal(4), Decimal(2), events=3)
    first, second = sums.uses()
    assert (first.amount, first.grams, first.events) == (Decimal(6), None, 2)
    assert (second.amount, second.grams, second.events) == (Decimal(6), Decimal(3), 4)
    rows = analytics.daily_totals(sums.uses())
    assert [(r.total_g, r.uses) for r in rows] == [(None, 2), (Decimal(3), 4)]
