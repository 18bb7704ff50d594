from datetime import date, timedelta
from decimal import Decimal

import pytest

from mitra.diary.taper import Pause, Plan

START = date(2026, 3, 1)


def plan(**kw) -> Plan:
    base = dict(start_date=START, start_amount=Decimal(10), target_amount=Decimal(4),
                step_kind="percent", step_size=Decimal(10), interval_days=7)
    base.update(kw)
    return Plan(**base)


def test_before_the_start_there_is_no_planned_amount():
    assert plan().planned_amount(START - timedelta(days=1)) is None


def test_percent_steps_every_interval():
    p = plan()
    assert p.planned_amount(START) == Decimal("10.00")
    assert p.planned_amount(START + timedelta(days=6)) == Decimal("10.00")
    assert p.planned_amount(START + timedelta(days=7)) == Decimal("9.00")
    assert p.planned_amount(START + timedelta(days=14)) == Decimal("8.10")


def test_fixed_steps_stop_at_the_target():
    p = plan(step_kind="amount", step_size=Decimal("2.5"))
    assert p.planned_amount(START + timedelta(days=7)) == Decimal("7.50")
    assert p.planned_amount(START + timedelta(days=21)) == Decimal("4.00")
    assert p.planned_amount(START + timedelta(days=400)) == Decimal("4.00")


def test_a_pause_holds_the_amount_and_stops_the_step_clock():
    p = plan(pauses=(Pause(START + timedelta(days=3), START + timedelta(days=9), "flu"),))
    # 7 pause days: the first step moves from day 7 to day 14.
    assert p.planned_amount(START + timedelta(days=13)) == Decimal("10.00")
    assert p.planned_amount(START + timedelta(days=14)) == Decimal("9.00")
    assert p.paused_on(START + timedelta(days=5)).reason == "flu"


def test_an_open_ended_pause_holds_until_it_is_ended():
    p = plan(pauses=(Pause(START + timedelta(days=7), None, "relapse review"),))
    assert p.planned_amount(START + timedelta(days=100)) == Decimal("9.00")


@pytest.mark.parametrize("kw", [
    {"step_kind": "percent", "step_size": Decimal(100)},
    {"interval_days": 0},
    {"target_amount": Decimal(11)},
    {"step_kind": "guess"},
])
def test_impossible_plans_are_refused(kw):
    with pytest.raises(ValueError):
        plan(**kw)


def test_active_days_counts_as_day_by_day_with_overlapping_and_open_pauses():
    import random

    rng = random.Random(7)
    start = date(2026, 1, 1)
    for _ in range(200):
        pauses = []
        for _ in range(rng.randint(0, 4)):
            p_start = start + timedelta(days=rng.randint(-10, 60))
            end = None if rng.random() < 0.2 else p_start + timedelta(days=rng.randint(0, 20))
            pauses.append(Pause(p_start, end))
        plan = Plan(start, Decimal(10), Decimal(0), "percent", Decimal(10), 7, tuple(pauses))
        day = start + timedelta(days=rng.randint(-5, 90))
        by_day = sum(1 for n in range(max(0, (day - start).days))
                     if not any(p.covers(start + timedelta(days=n)) for p in pauses))
        assert plan.active_days(day) == by_day, (pauses, day)


def test_active_days_does_not_walk_a_plan_two_centuries_wide():
    import time

    plan = Plan(date(1826, 1, 1), Decimal(10), Decimal(0), "percent", Decimal(10), 7)
    started = time.monotonic()
    for n in range(365):
        plan.planned_amount(date(2026, 1, 1) + timedelta(days=n))
    assert time.monotonic() - started < 1
