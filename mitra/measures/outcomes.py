"""Outcomes of care for a population: response, remission, reliable improvement and reliable
deterioration, judged per patient from their questionnaire totals, counted over patients.

Each patient counts once per instrument, judged on their latest scored total against their
baseline (the first scored total), by the published rules of `scoring.change_over_time`:
the definitions and their sources come from the instrument's data file, never from here, so
that what the page says a figure means is what was computed.

- **With a baseline**: patients with a scored total.
- **Measured again**: of those, patients with a second scored total.
- **Reliable improvement / deterioration**: of those measured again, patients whose latest
  total differs from the baseline by the reliable-change points or more (only where the
  instrument has a published threshold).
- **Response / remission**: of those measured again for whom the rule is defined (PHQ-9: a
  baseline above 9), patients meeting it at their latest total.

By month: for each month, the patients with a scored total in that month after their
baseline, judged on their last total of that month. Plain Python, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from mitra.measures.library import Instrument
from mitra.measures.scoring import ChangePoint, Total, change_over_time

# The measures an outcome row reports, in display order.
MEASURES = ("reliable_improvement", "reliable_deterioration", "response", "remission")


@dataclass(frozen=True)
class Judged:
    """One patient's latest total against their baseline (None: not defined or not applicable)."""

    reliable: str | None
    response: bool | None
    remission: bool | None


def judge(point: ChangePoint) -> Judged:
    return Judged(point.reliable, point.response, point.remission)


@dataclass
class Tally:
    """Counts of patients for one instrument: each measure as (met, judged)."""

    baseline: int = 0
    repeated: int = 0
    met: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))
    judged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))

    def add(self, judged: Judged) -> None:
        for name, value in _measures(judged).items():
            if value is None:
                continue
            self.judged[name] += 1
            self.met[name] += int(value)


def _measures(judged: Judged) -> dict[str, bool | None]:
    reliable = judged.reliable
    return {
        "reliable_improvement": None if reliable is None else reliable == "improved",
        "reliable_deterioration": None if reliable is None else reliable == "deteriorated",
        "response": judged.response,
        "remission": judged.remission,
    }


@dataclass
class Outcomes:
    """One instrument's outcomes over a group of patients: overall and by month."""

    overall: Tally = field(default_factory=Tally)
    by_month: dict[date, Tally] = field(default_factory=dict)


def month_of(day: date) -> date:
    return day.replace(day=1)


def outcomes(instrument: Instrument, series: Iterable[Sequence[tuple[date, Total]]],
             months: Sequence[date]) -> Outcomes:
    """The outcomes of these patients' series (each a patient's scored totals in time order,
    as (day, total)); `months` are the first days of the months to report by month."""
    wanted = set(months)
    out = Outcomes(by_month={m: Tally() for m in months})
    for one in series:
        if not one:
            continue
        points = change_over_time(instrument, [total for _day, total in one])
        out.overall.baseline += 1
        if len(one) < 2:
            continue
        out.overall.repeated += 1
        out.overall.add(judge(points[-1]))
        # The last total of each month after the baseline.
        last_in_month: dict[date, ChangePoint] = {}
        for (day, _total), point in zip(one[1:], points[1:], strict=True):
            month = month_of(day)
            if month in wanted:
                last_in_month[month] = point
        for month, point in last_in_month.items():
            tally = out.by_month[month]
            tally.repeated += 1
            tally.add(judge(point))
    return out
