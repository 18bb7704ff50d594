"""The amount a clinician's taper plan sets for a given day. Plain Python, no Django.

Mitra never proposes a plan: the clinician sets the start amount, the target, the step (a
percentage of the current amount, or a fixed amount) and how many days each step lasts, and may
pause the plan (the amount holds during a pause, and the step clock stops). This module only
does the arithmetic so the patient and the clinician see the same number, and says how the
recorded amount is put in the plan's terms (`plan_terms`, `recorded_in_terms`) so that the
diary page, the timeline and the PDF compare planned and recorded amounts in the same unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from mitra.diary.units import SUBSTANCES, UNITS

PERCENT = "percent"
AMOUNT = "amount"


@dataclass(frozen=True)
class Pause:
    start: date
    end: date | None  # None: paused until further notice
    reason: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Plan:
    start_date: date
    start_amount: Decimal
    target_amount: Decimal
    step_kind: str  # PERCENT or AMOUNT
    step_size: Decimal  # percent of the current amount, or an amount in the plan's unit
    interval_days: int
    pauses: tuple[Pause, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.step_kind not in (PERCENT, AMOUNT):
            raise ValueError(f"step_kind must be {PERCENT!r} or {AMOUNT!r}")
        if self.interval_days < 1:
            raise ValueError("interval_days must be at least 1")
        if self.step_size <= 0 or (self.step_kind == PERCENT and self.step_size >= 100):
            raise ValueError("step_size must be above 0 (and below 100 for a percentage)")
        if self.target_amount < 0 or self.target_amount > self.start_amount:
            raise ValueError("target_amount must be between 0 and start_amount")

    def active_days(self, day: date) -> int:
        """Days of the plan that have run up to (not including) `day`, pauses left out."""
        if day <= self.start_date:
            return 0
        n = 0
        d = self.start_date
        while d < day:
            if not any(p.covers(d) for p in self.pauses):
                n += 1
            d += timedelta(days=1)
        return n

    def steps_taken(self, day: date) -> int:
        return self.active_days(day) // self.interval_days

    def planned_amount(self, day: date) -> Decimal | None:
        """The plan's amount for `day` (None before the plan starts), never below the target."""
        if day < self.start_date:
            return None
        steps = self.steps_taken(day)
        if self.step_kind == PERCENT:
            factor = (Decimal(100) - self.step_size) / Decimal(100)
            amount = self.start_amount * factor**steps
        else:
            amount = self.start_amount - self.step_size * steps
        amount = max(amount, self.target_amount)
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def paused_on(self, day: date) -> Pause | None:
        return next((p for p in self.pauses if p.covers(day)), None)


# -- the recorded amount in the plan's terms ------------------------------------------------
#
# A plan is set in one substance and one unit (g of kratom leaf powder, capsules of kratom,
# mL of kava, ...). The recorded amount it is compared with, drawn next to it and counted for
# "days at or below the plan", must be in the same terms; this is the one place that says how.

PLANT_MATERIAL = frozenset({"kratom_powder", "kratom_capsule"})
_MASS = {"g": Decimal(1), "mg": Decimal("0.001")}


@dataclass(frozen=True)
class Terms:
    """What the recorded amount is counted in: a unit, and either grams of kratom plant
    material (leaf powder and capsules with a known fill, `units.to_grams`) or one substance."""

    unit: str
    substance: str | None  # None: kratom plant material (powder and filled capsules)
    label: str  # e.g. "g of kratom plant material", "capsules of kratom capsules"

    @property
    def plant_material(self) -> bool:
        return self.substance is None


def plan_terms(substance: str | None, unit: str | None) -> Terms:
    """The terms a plan of `unit` of `substance` is compared in; without a plan (None for
    either), grams of kratom plant material.

    A plan in g or mg of kratom leaf powder or capsules counts the plant material of every
    powder and filled-capsule use (a capsule plan in g means grams inside the capsules); any
    other plan counts only the plan's own substance in the plan's unit (g and mg convert into
    each other, being masses of the same thing).
    """
    if substance is None or unit is None or (substance in PLANT_MATERIAL and unit in _MASS):
        unit = unit or "g"
        return Terms(unit, None, f"{UNITS[unit]} of kratom plant material")
    return Terms(unit, substance, f"{UNITS.get(unit, unit)} of "
                                  f"{SUBSTANCES.get(substance, substance).lower()}")


# A recorded use: (day, substance, amount, unit, grams of kratom plant material or None).
RecordedUse = tuple[date, str, Decimal, str, Decimal | None]


def recorded_in_terms(
    terms: Terms, uses: Iterable[RecordedUse],
) -> tuple[dict[date, Decimal], set[date]]:
    """(amount per day, days that cannot be compared) for `uses`, an iterable of
    (day, substance, amount, unit, grams) with grams of kratom plant material or None.

    A day gets an amount only from uses in the plan's terms; a day with a use of what the plan
    counts that cannot be put in its terms (capsules without a known fill for a gram plan,
    tablets for a plan in mL) is returned in the second set, never counted as zero: comparing
    part of a day's use with the plan would read as keeping to it. Days without a matching use
    have no key (a recorded day without one is a recorded zero for the caller to fill in).
    """
    totals: dict[date, Decimal] = {}
    unknown: set[date] = set()
    for day, substance, amount, unit, grams in uses:
        if terms.plant_material:
            if substance not in PLANT_MATERIAL:
                continue
            if grams is None:
                unknown.add(day)
                continue
            value = Decimal(grams) / _MASS[terms.unit]
        else:
            if substance != terms.substance:
                continue
            if unit == terms.unit:
                value = Decimal(amount)
            elif unit in _MASS and terms.unit in _MASS:
                value = Decimal(amount) * _MASS[unit] / _MASS[terms.unit]
            else:
                unknown.add(day)
                continue
        totals[day] = totals.get(day, Decimal(0)) + value
    for day in unknown:
        totals.pop(day, None)
    return totals, unknown
