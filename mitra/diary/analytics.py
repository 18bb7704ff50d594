"""Diary analytics in plain Python (no Django): daily totals, rolling means, and the flags.

Every flag is for the care team to look at, never advice to the patient. Sources (ids resolve
in shared/reference/kratom-kava-safety.yaml, `references:`):

* **escalation** — for regular use (see `escalation_flags`), the 7-day mean of the daily
  amount, *or* of uses per day, is at least `share` (default 25%) above the mean of the 28 days
  before those 7. Uses per day is watched as well as the amount because how often a person
  doses tracked physical dependence and use-disorder severity more closely than how much
  (rogers2024, smith2024_jamanetopen;
  `dose_facts.kratom.amounts_associated_with_dependence_or_harm`, flag hint "rising number of
  dosing occasions per day"), and self-reported dose increases went with addiction and
  withdrawal themes (smith2021_reddit, smith2022_frontiers). The 25% share and the 7/28-day
  windows are this platform's choice, not a published cut-off: a week smooths day-to-day noise
  and four weeks before it is a stable personal baseline. The knowledge base asks to "flag any
  escalation of either agent" (rule kratom-opioid-agonists).
* **concentrated_7oh** — the first day a concentrated 7-OH product appears: rule
  kratom-opioid-agonists asks to flag "new extract/7-OH product use"; 7-OH is an efficacious
  mu-opioid agonist with dose-dependent respiratory depression (rule
  7oh-opioids-and-cns-depressants; hill2022_bjp, huestis2024).
* **co_use** — kratom (any form) with alcohol, another opioid or a benzodiazepine on the same
  day (rules kratom-alcohol, kratom-opioid-agonists, kratom-benzodiazepines,
  7oh-opioids-and-cns-depressants: additive CNS and respiratory depression; polysubstance use in
  87% of kratom-associated deaths, corkery2019), and kava with alcohol or a benzodiazepine
  (rules kava-alcohol, kava-benzodiazepines).
* **adherence** — days with a diary entry / days enrolled, the usual EMA compliance measure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from mitra.diary.units import DEPRESSANTS, KRATOM

RECENT_DAYS = 7
BASELINE_DAYS = 28
DEFAULT_ESCALATION_SHARE = Decimal("0.25")
# With gaps in the diary, a mean is only computed from enough recorded days: at least half
# of each window (4 of 7, 14 of 28). Fewer recorded days and the comparison is not made.
MIN_RECENT_OBSERVED = 4
MIN_BASELINE_OBSERVED = 14

KAVA_DEPRESSANTS = frozenset({"alcohol", "benzodiazepine"})
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Use:
    day: date
    substance: str
    amount: Decimal
    unit: str
    grams: Decimal | None = None
    # How many use events this stands for: 1, or more for a day's sum (`DailySums`), whose
    # amount and grams are then the sums; every function here counts it as that many.
    events: int = 1


class DailySums:
    """Use events summed per day, substance and unit as they are read (`add`), so that a long
    record (`mitra diary analyze` on a CSV of millions of rows) takes memory that follows its
    distinct days x substances x units, never its rows.

    `uses()` gives one Use per sum, `events` its count and `grams` None when any event had
    none; every function here gives the same totals, series and flags for them as for the
    events themselves (Decimal sums of amounts of at most 10 digits are exact in any order).
    """

    def __init__(self) -> None:
        self._sums: dict[tuple[date, str, str], list[Any]] = {}

    def add(self, day: date, substance: str, unit: str, amount: Decimal,
            grams: Decimal | None, events: int = 1) -> None:
        """Count `events` use events of `amount` (and `grams`, None when not defined)."""
        key = (day, substance, unit)
        sums = self._sums.get(key)
        if sums is None:
            self._sums[key] = [amount, grams, events]
            return
        sums[0] += amount
        sums[1] = None if sums[1] is None or grams is None else sums[1] + grams
        sums[2] += events

    def __len__(self) -> int:
        return len(self._sums)

    def uses(self) -> list[Use]:
        return [Use(day, substance, amount, unit, grams, events)
                for (day, substance, unit), (amount, grams, events) in sorted(self._sums.items())]


@dataclass(frozen=True)
class DayTotal:
    date: date
    substance: str
    unit: str
    amount: Decimal
    total_g: Decimal | None  # None unless every use that day and unit converts to grams
    uses: int


@dataclass(frozen=True)
class Flag:
    date: date
    kind: str  # "escalation", "co_use", "concentrated_7oh"
    substance: str = ""
    measure: str = ""  # for escalation: "amount" or "uses"
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"date": self.date.isoformat(), "kind": self.kind}
        if self.substance:
            out["substance"] = self.substance
        if self.measure:
            out["measure"] = self.measure
        out.update(self.detail)
        return out


def daily_totals(uses: Iterable[Use]) -> list[DayTotal]:
    """One row per day, substance and unit: summed amount, grams where defined, use count."""
    groups: dict[tuple[date, str, str], list[Use]] = defaultdict(list)
    for use in uses:
        groups[(use.day, use.substance, use.unit)].append(use)
    rows = []
    for (day, substance, unit), items in sorted(groups.items()):
        grams = [u.grams for u in items if u.grams is not None]
        total_g = sum(grams, Decimal(0)) if len(grams) == len(items) else None
        rows.append(DayTotal(day, substance, unit, sum((u.amount for u in items), Decimal(0)),
                             total_g, sum(u.events for u in items)))
    return rows


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def substance_series(uses: list[Use], substance: str) -> tuple[str | None, dict[date, Decimal],
                                                               dict[date, int]]:
    """(amount unit, daily amount, uses per day) for one substance.

    The amount series is in grams when every use converts, else in the one unit used; with
    mixed unconvertible units there is no amount series (unit None), only uses per day.
    """
    mine = [u for u in uses if u.substance == substance]
    counts: dict[date, int] = defaultdict(int)
    for u in mine:
        counts[u.day] += u.events
    amounts: dict[date, Decimal] = defaultdict(Decimal)
    if mine and all(u.grams is not None for u in mine):
        for u in mine:
            amounts[u.day] += u.grams  # type: ignore[operator]
        return "g", dict(amounts), dict(counts)
    units = {u.unit for u in mine}
    if len(units) == 1:
        for u in mine:
            amounts[u.day] += u.amount
        return units.pop(), dict(amounts), dict(counts)
    return None, {}, dict(counts)


def rolling_mean(
    series: dict[date, Decimal] | dict[date, int], days: list[date], window: int = RECENT_DAYS,
    observed: set[date] | None = None,
) -> dict[date, Decimal | None]:
    """Mean over the `window` days ending on each day (missing days count as 0).

    With `observed`, only recorded days count, and a day gets None when fewer than half of
    its window was recorded.
    """
    out: dict[date, Decimal | None] = {}
    for day in days:
        window_days = [day - timedelta(days=i) for i in range(window)]
        counted = [d for d in window_days if observed is None or d in observed]
        if observed is not None and len(counted) * 2 < window:
            out[day] = None
            continue
        out[day] = sum((Decimal(series.get(d, 0)) for d in counted), Decimal(0)) / len(counted)
    return out


class _Sums:
    """Prefix sums over a day range, so each window sum costs O(1) (the demo checks a year
    of diary for a thousand patients, and every diary submission checks ten weeks)."""

    def __init__(self, series: dict[date, Decimal] | dict[date, int], days: list[date],
                 observed: set[date] | None):
        self.start = days[0] if days else date.min
        counted = [observed is None or d in observed for d in days]
        values = [Decimal(series.get(d, 0)) if c else _ZERO
                  for d, c in zip(days, counted, strict=True)]
        self.values = list(accumulate(values, initial=_ZERO))
        self.counts = list(accumulate(counted, initial=0))
        self.used = list(accumulate((v > 0 for v in values), initial=0))

    def window(self, end: date, length: int) -> tuple[Decimal, int, int]:
        """(sum, counted days, days with use) over the `length` days ending on `end`."""
        hi = (end - self.start).days + 1
        lo = max(hi - length, 0)
        return (self.values[hi] - self.values[lo], self.counts[hi] - self.counts[lo],
                self.used[hi] - self.used[lo])


def escalation_flags(
    uses: list[Use],
    *,
    share: Decimal | float | str = DEFAULT_ESCALATION_SHARE,
    start: date | None = None,
    end: date | None = None,
    observed: set[date] | None = None,
    since: date | None = None,
) -> list[Flag]:
    """Escalation episodes: one flag on the first day the 7-day mean of the daily amount (or of
    uses per day) is at least `share` above the previous 28-day mean.

    With `since`, only the flags from that day on. An episode starts on a day that is rising
    after a day that was not, so they are computed from the day before `since` (a diary
    submission checks its own week, not the whole record loaded for the windows).

    For a day D the recent window is D-6..D and the baseline D-34..D-7, so the first day that
    can be flagged is the 35th day of the record. A zero baseline never flags (no use to
    compare with). Without `observed`, every day from `start` to `end` counts, days without a
    use as 0; with it, only recorded days count (see MIN_*_OBSERVED).

    Only regular use is compared: the baseline must show use on at least half of its days.
    The frequency-dependence link comes from people using at least 3 days a week
    (smith2024_jamanetopen, rogers2024); for occasional use (a drink every other week) a
    percentage change is noise, and same-day co-use is flagged on its own.
    """
    if not uses:
        return []
    share = Decimal(str(share))
    start = start or min(u.day for u in uses)
    end = end or max(u.day for u in uses)
    first_day = start + timedelta(days=RECENT_DAYS + BASELINE_DAYS - 1)
    if since is not None:
        first_day = max(first_day, since - timedelta(days=1))
    flags: list[Flag] = []
    days = days_between(start, end)
    for substance in sorted({u.substance for u in uses}):
        unit, amounts, counts = substance_series(uses, substance)
        measures: list[tuple[str, dict[date, Decimal] | dict[date, int], str]] = [
            ("uses", counts, "uses/day")]
        if unit is not None:
            measures.insert(0, ("amount", amounts, unit))
        for measure, series, label in measures:
            in_episode = False
            sums = _Sums(series, days, observed)
            for day in days_between(first_day, end) if first_day <= end else []:
                recent_sum, n_recent, _ = sums.window(day, RECENT_DAYS)
                base_end = day - timedelta(days=RECENT_DAYS)
                base_sum, n_base, base_used = sums.window(base_end, BASELINE_DAYS)
                if n_recent < (MIN_RECENT_OBSERVED if observed is not None else RECENT_DAYS) or (
                    n_base < (MIN_BASELINE_OBSERVED if observed is not None else BASELINE_DAYS)
                ):
                    in_episode = False
                    continue
                # Compare recent/n_recent >= base/n_base * (1 + share) without division, so the
                # edge (exactly 25% above) is exact.
                rising = (base_used * 2 >= n_base
                          and recent_sum * n_base >= base_sum * n_recent * (1 + share))
                if rising and not in_episode and (since is None or day >= since):
                    recent_mean = recent_sum / n_recent
                    base_mean = base_sum / n_base
                    flags.append(Flag(day, "escalation", substance, measure, {
                        "unit": label,
                        "recent_mean": _round(recent_mean),
                        "baseline_mean": _round(base_mean),
                        "change_pct": _round((recent_mean / base_mean - 1) * 100, 1),
                    }))
                in_episode = rising
    return sorted(flags, key=lambda f: (f.date, f.substance, f.measure))


def co_use_flags(uses: Iterable[Use]) -> list[Flag]:
    """Days with kratom (any form) and alcohol, an opioid or a benzodiazepine; or kava with
    alcohol or a benzodiazepine."""
    by_day: dict[date, set[str]] = defaultdict(set)
    for u in uses:
        by_day[u.day].add(u.substance)
    flags = []
    for day, substances in sorted(by_day.items()):
        involved: set[str] = set()
        if substances & KRATOM and substances & DEPRESSANTS:
            involved |= (substances & KRATOM) | (substances & DEPRESSANTS)
        if "kava" in substances and substances & KAVA_DEPRESSANTS:
            involved |= {"kava"} | (substances & KAVA_DEPRESSANTS)
        if involved:
            flags.append(Flag(day, "co_use", detail={"substances": sorted(involved)}))
    return flags


def first_7oh_flag(uses: Iterable[Use], *, used_before: bool = False) -> list[Flag]:
    """The first day a concentrated 7-OH product appears (none if it was used before these)."""
    if used_before:
        return []
    days = [u.day for u in uses if u.substance == "7oh_product"]
    return [Flag(min(days), "concentrated_7oh", "7oh_product")] if days else []


def adherence(entry_days: Iterable[date], start: date, end: date) -> dict[str, Any]:
    """Days with a diary entry / days enrolled, counting start..end inclusive."""
    enrolled = (end - start).days + 1
    if enrolled <= 0:
        return {"days_with_entry": 0, "days_enrolled": 0, "share": None}
    with_entry = len({d for d in entry_days if start <= d <= end})
    return {"days_with_entry": with_entry, "days_enrolled": enrolled,
            "share": _round(Decimal(with_entry) / enrolled, 3)}


def all_flags(
    uses: list[Use], *, share: Decimal | float | str = DEFAULT_ESCALATION_SHARE,
    observed: set[date] | None = None, used_7oh_before: bool = False,
    start: date | None = None, end: date | None = None,
) -> list[Flag]:
    flags = (escalation_flags(uses, share=share, observed=observed, start=start, end=end)
             + co_use_flags(uses) + first_7oh_flag(uses, used_before=used_7oh_before))
    return sorted(flags, key=lambda f: (f.date, f.kind, f.substance, f.measure))


def analyze(
    uses: list[Use], *, share: Decimal | float | str = DEFAULT_ESCALATION_SHARE,
) -> dict[str, Any]:
    """The `mitra diary analyze` report: days, flags, and 7-day rolling means per substance."""
    days_out = [
        {"date": r.date.isoformat(), "substance": r.substance,
         "total_g": _num(r.total_g), "amount": _num(r.amount), "unit": r.unit, "uses": r.uses}
        for r in daily_totals(uses)
    ]
    rolling = []
    if uses:
        span = days_between(min(u.day for u in uses), max(u.day for u in uses))
        for substance in sorted({u.substance for u in uses}):
            unit, amounts, counts = substance_series(uses, substance)
            mean_amount = rolling_mean(amounts, span) if unit else {}
            mean_uses = rolling_mean(counts, span)
            for day in span:
                rolling.append({
                    "date": day.isoformat(), "substance": substance, "unit": unit,
                    "mean_amount_7d": _num(_round(mean_amount[day])) if unit else None,
                    "mean_uses_7d": _num(_round(mean_uses[day])),
                })
    return {
        "days": days_out,
        "flags": [_jsonable(f.as_dict()) for f in all_flags(uses, share=share)],
        "rolling_7d": rolling,
    }


def _round(value: Decimal | None, places: int = 3) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places))


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _num(v) if isinstance(v, Decimal) else v for k, v in d.items()}
