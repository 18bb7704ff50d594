"""An n-of-1 look at one patient's diary: does the day's use go with the next day's ratings?
Plain Python, no Django (the series are at most a year of days).

For each substance and each exposure (the day's amount, and the number of uses that day) and
each outcome the next day (mood, anxiety, craving, withdrawal), it gives:

* the **pairs** (day d's exposure, day d+1's rating), from consecutive recorded days only: a
  day without an entry breaks the pair on both sides, and a day with an entry but no use of
  the substance is a recorded zero, never a guess;
* **Pearson's r** and **Spearman's rho** (average ranks for ties: the ratings are whole
  numbers 0-10, so ties are the rule);
* a **moving-block bootstrap 95% interval** for r. Diary days are autocorrelated (a bad week
  is bad for several days), so resampling single days would pretend to more independent
  information than there is and give too narrow an interval. Blocks of consecutive pairs keep
  that dependence inside each block (Kuensch 1989, Ann Stat 17:1217; Lahiri 2003, *Resampling
  Methods for Dependent Data*). Block length ``round(n ** (1/3))``, at least 2: the order
  that Hall, Horowitz & Jing (1995, Biometrika 82:561) show minimises the error of a
  bootstrap variance or interval; for a year of pairs it is 7, one week. ``RESAMPLES``
  resamples, percentile interval (linear interpolation between order statistics, as numpy's
  default). The random generator is seeded from the data itself (a SHA-256 of the pairs), so
  the same diary always shows the same interval and a page reload never moves it;
* the number of paired days, and below ``MIN_PAIRS`` no numbers at all: "not enough data".

And where a taper plan exists, the **taper phases**: the days before the plan, then each step
(a change of the plan's amount) up to the next, with the mean of each rating and the number of
rated days in each phase, and the change from the phase before.

All of it is association, not cause: a day of more use may follow a worse day rather than make
the next one worse, both may follow a third thing (pain, a bad week at work), and with several
substances x 2 exposures x 4 outcomes about one interval in twenty excludes zero by chance
alone. ``CAVEAT`` says so and every page that shows these numbers prints it.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from mitra.diary import analytics, taper
from mitra.diary.units import SUBSTANCES, UNITS

# Two weeks of paired days at the least. Why 14: with fewer, even a strong correlation is
# indistinguishable from none (at n = 14 an r must exceed about 0.53 in size before a 95%
# interval, by Fisher's z, leaves zero), the block bootstrap has too few blocks to resample
# (14 pairs in blocks of 2 is 7 blocks), and fewer than two weekly cycles cannot separate a
# weekday rhythm from an effect. It is this platform's threshold, not a published cut-off.
MIN_PAIRS = 14
RESAMPLES = 1000
CONFIDENCE = 0.95
MIN_BLOCK = 2

OUTCOMES: dict[str, str] = {
    "mood": "Mood",
    "anxiety": "Anxiety",
    "craving": "Craving",
    "withdrawal": "Withdrawal symptoms",
}

CAUSE = "Association, not cause."
CAVEAT_DETAIL = ("These numbers say how the day's use and the next day's ratings moved together "
                 "in this diary; they do not say that one changed the other. A worse day may "
                 "lead to more use, or both may follow something else (pain, sleep, a hard "
                 "week). With this many comparisons, about one interval in twenty leaves out "
                 "zero by chance alone.")
CAVEAT = f"{CAUSE} {CAVEAT_DETAIL}"

OK = "ok"
NOT_ENOUGH = "not_enough_data"
NO_VARIATION = "no_variation"


@dataclass(frozen=True)
class Day:
    """One recorded diary day (its current entry): the ratings given, None where skipped."""

    date: date
    mood: int | None = None
    anxiety: int | None = None
    craving: int | None = None
    withdrawal: int | None = None

    def rating(self, outcome: str) -> int | None:
        value: int | None = getattr(self, outcome)
        return value


@dataclass(frozen=True)
class Pair:
    day: date  # the exposure's day; the outcome is the next day's
    exposure: float
    outcome: float


@dataclass(frozen=True)
class Association:
    substance: str
    exposure: str  # "amount" or "uses"
    unit: str  # the amount's unit ("g", "mL"...), "uses" for uses per day
    outcome: str
    pairs: tuple[Pair, ...]
    status: str  # OK, NOT_ENOUGH or NO_VARIATION
    pearson: float | None = None
    spearman: float | None = None
    interval: tuple[float, float] | None = None
    block_length: int | None = None
    resamples: int = 0  # resamples that gave an r (a resample without variation gives none)

    @property
    def n(self) -> int:
        return len(self.pairs)

    @property
    def needed(self) -> int:
        return MIN_PAIRS

    @property
    def substance_label(self) -> str:
        return SUBSTANCES.get(self.substance, self.substance)

    @property
    def outcome_label(self) -> str:
        return OUTCOMES[self.outcome]

    @property
    def exposure_label(self) -> str:
        if self.exposure == "amount":
            return f"{UNITS.get(self.unit, self.unit)} that day"
        return "uses that day"

    @property
    def message(self) -> str:
        if self.status == NOT_ENOUGH:
            return f"not enough data ({self.n} of {MIN_PAIRS} paired days needed)"
        if self.status == NO_VARIATION:
            return "no variation: the same value on every paired day, so no correlation"
        return ""


@dataclass(frozen=True)
class Phase:
    """Days of one step of the taper plan (or the days before it), with the mean rating."""

    start: date
    end: date
    planned: float | None  # the plan's amount in this phase; None before the plan
    n: dict[str, int]  # rated days per outcome
    mean: dict[str, float | None]
    change: dict[str, float | None] = field(default_factory=dict)  # mean minus the phase before

    @property
    def planned_text(self) -> str:
        """The plan's amount without trailing zeros ("10", "8.1"); "" before the plan."""
        return "" if self.planned is None else f"{self.planned:g}"

    @property
    def cells(self) -> list[dict[str, object]]:
        """Per outcome, in the order of OUTCOMES: its mean, n and change (for a table row)."""
        return [{"outcome": o, "mean": self.mean[o], "n": self.n[o], "change": self.change.get(o)}
                for o in OUTCOMES]


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    days_recorded: int
    associations: list[Association]
    phases: list[Phase]
    caveat: str = CAVEAT
    cause: str = CAUSE
    caveat_detail: str = CAVEAT_DETAIL
    min_pairs: int = MIN_PAIRS

    @property
    def with_result(self) -> list[Association]:
        return [a for a in self.associations if a.status == OK]


# -- the statistics ---------------------------------------------------------------------------


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None when either series has no variation (or fewer than 2 values)."""
    n = len(xs)
    if n != len(ys):
        raise ValueError("xs and ys must have the same length")
    if n < 2:
        return None
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return None
    return _clip(sxy / math.sqrt(sxx * syy))


def ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, tied values sharing the mean of their ranks (as scipy's "average")."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson's r of the ranks."""
    return pearson(ranks(xs), ranks(ys))


def block_length(n: int) -> int:
    """round(n ** (1/3)), at least 2 (a block of 1 is the ordinary bootstrap), at most n."""
    return max(1, min(n, max(MIN_BLOCK, round(n ** (1 / 3)))))


def seed_for(pairs: Iterable[tuple[float, float]]) -> int:
    """A seed made from the data: the same pairs always give the same interval."""
    digest = hashlib.sha256(repr([(float(x), float(y)) for x, y in pairs]).encode())
    return int.from_bytes(digest.digest()[:8], "big")


def block_bootstrap_interval(
    xs: Sequence[float], ys: Sequence[float], *, resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE, length: int | None = None, seed: int | None = None,
) -> tuple[tuple[float, float] | None, int]:
    """(percentile interval for Pearson's r, resamples that gave an r).

    Moving blocks: each resample joins ceil(n / L) blocks of L consecutive pairs, each starting
    anywhere from the first pair to the (n - L + 1)th, the last one cut short so there are n
    pairs. A resample's r needs only the sums of x, y, x², y² and xy over its pairs, and each
    block's sums are computed once (from prefix sums), so a resample adds n / L numbers five
    times rather than going through n pairs (a year of pairs, for every substance, exposure and
    outcome, in a fraction of a second). A resample whose x or y does
    not vary gives no r and is left out; fewer than half the resamples with an r gives no
    interval.
    """
    n = len(xs)
    if n != len(ys):
        raise ValueError("xs and ys must have the same length")
    if n < 2:
        return None, 0
    length = length or block_length(n)
    if not 1 <= length <= n:
        raise ValueError(f"length must be from 1 to {n}, not {length}")
    # Resampling, not secrecy: a seeded generator is the point (the page is stable).
    rng = random.Random(  # noqa: S311
        seed_for(zip(xs, ys, strict=True)) if seed is None else seed)
    # Centred on the means, so the sums of squares do not lose digits to cancellation.
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    cx = [x - mx for x in xs]
    cy = [y - my for y in ys]
    sums = [_prefix(cx), _prefix(cy), _prefix([x * x for x in cx]), _prefix([y * y for y in cy]),
            _prefix([x * y for x, y in zip(cx, cy, strict=True)])]
    starts = range(n - length + 1)
    blocks, tail = divmod(n, length)
    # Each block's five sums, by its first pair: full blocks, and the shorter last block.
    full = [[p[lo + length] - p[lo] for lo in starts] for p in sums]
    short = [[p[lo + tail] - p[lo] for lo in starts] for p in sums]
    values: list[float] = []
    for _ in range(resamples):
        picked = rng.choices(starts, k=blocks)
        last = rng.choice(starts) if tail else None
        sx, sy, sxx, syy, sxy = (
            sum(map(f.__getitem__, picked)) + (s[last] if last is not None else 0.0)
            for f, s in zip(full, short, strict=True))
        vxx, vyy = sxx - sx * sx / n, syy - sy * sy / n
        if vxx <= 1e-12 * max(sxx, 1.0) or vyy <= 1e-12 * max(syy, 1.0):
            continue
        values.append(_clip((sxy - sx * sy / n) / math.sqrt(vxx * vyy)))
    if len(values) * 2 < resamples:
        return None, len(values)
    values.sort()
    tail_share = (1 - confidence) / 2
    return (_quantile(values, tail_share), _quantile(values, 1 - tail_share)), len(values)


def _prefix(values: Sequence[float]) -> list[float]:
    out = [0.0]
    for v in values:
        out.append(out[-1] + v)
    return out


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default method)."""
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _clip(r: float) -> float:
    return max(-1.0, min(1.0, r))


# -- the pairs --------------------------------------------------------------------------------


def lagged_pairs(exposure: dict[date, float], days: Iterable[Day], outcome: str,
                 ) -> list[Pair]:
    """(day d's exposure, day d+1's `outcome`) for every d with an entry whose next day has
    one rating `outcome`. `exposure` holds the days with use; a recorded day missing from it
    is a zero."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    by_day = {d.date: d for d in days}
    pairs = []
    for day in sorted(by_day):
        following = by_day.get(day + timedelta(days=1))
        if following is None:
            continue
        rating = following.rating(outcome)
        if rating is None:
            continue
        pairs.append(Pair(day, float(exposure.get(day, 0.0)), float(rating)))
    return pairs


def associate(substance: str, exposure: str, unit: str, outcome: str,
              pairs: Sequence[Pair], *, resamples: int = RESAMPLES) -> Association:
    """The correlations and their interval for one set of pairs, or why there are none."""
    kept_pairs = tuple(pairs)
    if len(pairs) < MIN_PAIRS:
        return Association(substance, exposure, unit, outcome, kept_pairs, NOT_ENOUGH)
    xs = [p.exposure for p in pairs]
    ys = [p.outcome for p in pairs]
    r = pearson(xs, ys)
    if r is None:
        return Association(substance, exposure, unit, outcome, kept_pairs, NO_VARIATION)
    interval, kept = block_bootstrap_interval(xs, ys, resamples=resamples)
    return Association(substance, exposure, unit, outcome, kept_pairs, OK, pearson=r,
                       spearman=spearman(xs, ys), interval=interval,
                       block_length=block_length(len(pairs)), resamples=kept)


# -- taper phases -----------------------------------------------------------------------------


def taper_phases(plan: taper.Plan, days: Iterable[Day], start: date, end: date) -> list[Phase]:
    """The days before the plan (when any are in `start`..`end`), then one phase per step of
    the plan's amount, each to the day before the next step; with the mean of each rating over
    the phase's rated days, their number, and the change from the phase before."""
    if end < start:
        raise ValueError("end must not be before start")
    bounds: list[tuple[date, float | None]] = []
    previous: object = object()
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        amount = plan.planned_amount(day)
        value = None if amount is None else float(amount)
        if value != previous:
            bounds.append((day, value))
            previous = value
    recorded = sorted(days, key=lambda d: d.date)
    phases: list[Phase] = []
    for k, (first, planned_value) in enumerate(bounds):
        last = bounds[k + 1][0] - timedelta(days=1) if k + 1 < len(bounds) else end
        inside = [d for d in recorded if first <= d.date <= last]
        n = {o: sum(1 for d in inside if d.rating(o) is not None) for o in OUTCOMES}
        mean = {o: (math.fsum(float(r) for d in inside if (r := d.rating(o)) is not None) / n[o]
                    if n[o] else None) for o in OUTCOMES}
        change: dict[str, float | None] = {}
        if phases:
            before = phases[-1].mean
            change = {o: (m - b if (m := mean[o]) is not None and (b := before[o]) is not None
                          else None) for o in OUTCOMES}
        phases.append(Phase(first, last, planned_value, n, mean, change))
    return phases


# -- the whole report -------------------------------------------------------------------------


def report(days: Sequence[Day], uses: Sequence[analytics.Use], start: date, end: date,
           plan: taper.Plan | None = None, *, resamples: int = RESAMPLES) -> Report:
    """Every substance used in `start`..`end` x both exposures x every outcome, and the taper
    phases when there is a plan. `days` are the recorded days (entries), `uses` their uses."""
    days = [d for d in days if start <= d.date <= end]
    uses = [u for u in uses if start <= u.day <= end]
    associations = []
    for substance in sorted({u.substance for u in uses}):
        unit, amounts, counts = analytics.substance_series(list(uses), substance)
        series: list[tuple[str, str, dict[date, float]]] = []
        if unit is not None:  # mixed units that do not convert: uses per day only
            series.append(("amount", unit, {d: float(a) for d, a in amounts.items()}))
        series.append(("uses", "uses", {d: float(c) for d, c in counts.items()}))
        for exposure, label, values in series:
            for outcome in OUTCOMES:
                associations.append(associate(substance, exposure, label, outcome,
                                              lagged_pairs(values, days, outcome),
                                              resamples=resamples))
    phases = taper_phases(plan, days, start, end) if plan is not None else []
    return Report(start, end, len(days), associations, phases)
