"""The amount a clinician's taper plan sets for a given day. Plain Python, no Django.

Mitra never proposes a plan: the clinician sets the start amount, the target, the step (a
percentage of the current amount, or a fixed amount) and how many days each step lasts, and may
pause the plan (the amount holds during a pause, and the step clock stops). This module only
does the arithmetic so the patient and the clinician see the same number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

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

    def __post_init__(self):
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
