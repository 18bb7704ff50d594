"""Scoring questionnaires exactly as their data files publish it. Plain Python, no Django.

    inst = get_instrument("phq9")
    result = score(inst, [2, 2, 2, 2, 1, 1, 2, 0, 0])   # the HL7 US Core example
    result.total, result.severity                         # 12, "Moderate"

Answers are the scored items' values in item order, `None` for a missing item. Rules:
- the total is the sum of the item values (COWS: the printed point values, not option indexes);
- a missing item is never counted as 0. The instrument's published missing-item rule decides:
  PHQ-9 prorates one or two missing items (NHS Data Dictionary) and keeps the unrounded value,
  flagged `prorated`; where no rule is published, an incomplete form has no total;
- alerts come from the data file (PHQ-9 item 9 > 0: suicide risk, whatever the total; item 9
  missing: "not assessed", never 0);
- change over time: baseline (first scored total), reliable change, response and remission,
  each only where the instrument's file defines it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mitra.measures.library import Band, Instrument

Answer = int | None
Total = int | float


class AnswerError(ValueError):
    """Answers that do not fit the instrument; the message names the item and allowed values."""


# -- parsing and validation ---------------------------------------------------------------


def _item_label(instrument: Instrument, index: int) -> str:
    item = instrument.scored_items[index]
    return f"item {index + 1} ({item.link_id})"


def parse_answers(instrument: Instrument, text: str) -> list[Answer]:
    """Parse "2,2,-,1": integers in scored-item order, '-' (or empty) for a missing item."""
    parts = [part.strip() for part in text.split(",")]
    expected = len(instrument.scored_items)
    if len(parts) != expected:
        raise AnswerError(
            f"--answers: {instrument.short_name} takes {expected} answers (items 1-{expected},"
            f" comma-separated, '-' for a missing item), got {len(parts)}"
        )
    answers: list[Answer] = []
    for index, part in enumerate(parts):
        if part in ("-", ""):
            answers.append(None)
            continue
        try:
            answers.append(int(part))
        except ValueError:
            item = instrument.scored_items[index]
            raise AnswerError(
                f"{_item_label(instrument, index)}: {part!r} is not allowed; allowed values:"
                f" {instrument.allowed_text(item)}, or - for missing"
            ) from None
    return validate_answers(instrument, answers)


def validate_answers(instrument: Instrument, answers: Sequence[Answer]) -> list[Answer]:
    """Check the count and every value; returns the answers as a list."""
    items = instrument.scored_items
    if len(answers) != len(items):
        raise AnswerError(
            f"answers: {instrument.short_name} takes {len(items)} answers, got {len(answers)}"
        )
    for index, (item, value) in enumerate(zip(items, answers, strict=True)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(f"{_item_label(instrument, index)}: {value!r} is not a whole number;"
                              f" allowed values: {instrument.allowed_text(item)}")
        if not instrument.is_allowed(item, value):
            raise AnswerError(f"{_item_label(instrument, index)}: {value} is not allowed;"
                              f" allowed values: {instrument.allowed_text(item)}")
    return list(answers)


def normalize_answer_map(instrument: Instrument, mapping: Mapping[str, object]
                         ) -> dict[str, Answer]:
    """Every item's answer, {link_id: int or None}, checked against its allowed values."""
    known = {item.link_id for item in instrument.items}
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise AnswerError(f"{unknown[0]}: not an item of {instrument.short_name}; items:"
                          f" {', '.join(item.link_id for item in instrument.items)}")
    result: dict[str, Answer] = {}
    for number, item in enumerate(instrument.items, start=1):
        value = mapping.get(item.link_id)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not instrument.is_allowed(item, value)):
            raise AnswerError(f"item {number} ({item.link_id}): {value!r} is not allowed;"
                              f" allowed values: {instrument.allowed_text(item)}")
        result[item.link_id] = value
    return result


def answers_from_mapping(instrument: Instrument, mapping: Mapping[str, Answer]) -> list[Answer]:
    """Scored-item answers in item order from a {link_id: value} mapping (missing -> None)."""
    return [mapping.get(item.link_id) for item in instrument.scored_items]


# -- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertHit:
    id: str
    kind: str  # "suicide_risk" or "review"
    message: str
    unverified: bool = False


@dataclass(frozen=True)
class ScreenHit:
    id: str
    at_least: int
    meaning: str
    sex: str | None
    positive: bool | None  # None when the form has no total
    unverified: bool = False


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    version: str
    total: Total | None
    min: int
    max: int
    band: Band | None
    complete: bool
    answered: int
    missing_items: tuple[int, ...]  # 1-based positions among the scored items
    method: Literal["sum", "prorated", "skip_rule", "not_scored"]
    method_text: str
    alerts: tuple[AlertHit, ...] = ()
    screens: tuple[ScreenHit, ...] = field(default=())

    @property
    def severity(self) -> str | None:
        return self.band.label if self.band else None

    @property
    def prorated(self) -> bool:
        return self.method == "prorated"

    @property
    def scorable(self) -> bool:
        return self.total is not None

    def alert_messages(self) -> list[str]:
        return [alert.message for alert in self.alerts]

    def as_json(self) -> dict[str, Any]:
        """The CLI contract's object (plus a few more keys)."""
        return {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "max": self.max,
            "severity": self.severity.lower() if self.severity else None,
            "complete": self.complete,
            "alerts": self.alert_messages(),
            "prorated": self.prorated,
            "method": self.method,
            "answered": self.answered,
            "missing_items": list(self.missing_items),
            "screens": [
                {"id": s.id, "positive": s.positive, "at_least": s.at_least, "sex": s.sex,
                 "meaning": s.meaning, "unverified": s.unverified}
                for s in self.screens
            ],
        }


def band_for(instrument: Instrument, total: Total | None) -> Band | None:
    """The published band holding this total; none when there is no total or no band.

    Bands are whole-number ranges; an unrounded prorated total belongs to the band whose range
    it has reached (14.5 is still below the "15 or more" band), so thresholds stay ">=".
    """
    if total is None:
        return None
    for band in instrument.severity_bands:
        if band.min <= total < band.max + 1:
            return band
    return None


def score(instrument: Instrument, answers: Sequence[Answer], *, sex: str | None = None
          ) -> ScoreResult:
    """Score one completed (or partly completed) form. `sex` picks sex-specific screens."""
    answers = validate_answers(instrument, answers)
    items = instrument.scored_items
    missing = tuple(i + 1 for i, value in enumerate(answers) if value is None)
    answered_values = [v for v in answers if v is not None]
    rule = instrument.scoring.missing_item_rule
    total: Total | None
    if not missing:
        total, method, text = sum(answered_values), "sum", instrument.scoring.rule
    elif rule.kind == "prorate_mean" and len(missing) <= rule.max_missing and answered_values:
        # Each missing item takes the mean of the answered ones: total = sum * n / answered.
        # Kept unrounded (no published rounding rule) and flagged as prorated.
        raw = sum(answered_values) * len(items) / len(answered_values)
        total = int(raw) if raw == int(raw) else raw
        method, text = "prorated", rule.text
    elif rule.kind == "skip_when" and _skip_applies(instrument, answers):
        total, method, text = sum(answered_values), "skip_rule", rule.text
    else:
        total, method, text = None, "not_scored", rule.text
    complete = not missing or method == "skip_rule"
    return ScoreResult(
        instrument=instrument.id,
        version=instrument.version,
        total=total,
        min=instrument.scoring.min,
        max=instrument.scoring.max,
        band=band_for(instrument, total),
        complete=complete,
        answered=len(answered_values),
        missing_items=missing,
        method=method,  # type: ignore[arg-type]
        method_text=text,
        alerts=tuple(_alerts(instrument, answers)),
        screens=tuple(_screens(instrument, total, sex)),
    )


def _skip_applies(instrument: Instrument, answers: Sequence[Answer]) -> bool:
    rule = instrument.scoring.missing_item_rule
    ids = [item.link_id for item in instrument.scored_items]
    values = dict(zip(ids, answers, strict=True))
    # when_item is an item of the form (checked when the file loads), never None here.
    if rule.when_item is None or values.get(rule.when_item) != rule.when_value:
        return False
    # Only the named items may be skipped; any other gap still leaves the form unscored.
    return all(values[i] is not None for i in ids if i not in rule.skipped_items)


def _alerts(instrument: Instrument, answers: Sequence[Answer]) -> list[AlertHit]:
    ids = [item.link_id for item in instrument.scored_items]
    values = dict(zip(ids, answers, strict=True))
    hits = []
    for rule in instrument.alerts:
        value = values.get(rule.item)
        fired = (value is None) if rule.when == "missing" else (
            value is not None and rule.value is not None and value >= rule.value
        )
        if fired:
            hits.append(AlertHit(rule.id, rule.kind, rule.message,
                                 rule.unverified or rule.action_unverified))
    return hits


def _screens(instrument: Instrument, total: Total | None, sex: str | None) -> list[ScreenHit]:
    hits = []
    for screen in instrument.thresholds.screens:
        if sex and screen.sex and screen.sex != sex:
            continue
        positive = None if total is None else total >= screen.at_least
        hits.append(ScreenHit(screen.id, screen.at_least, screen.meaning, screen.sex, positive,
                              screen.unverified))
    return hits


# -- change over time ---------------------------------------------------------------------

Reliable = Literal["improved", "deteriorated", "no reliable change"]


@dataclass(frozen=True)
class ChangePoint:
    total: Total | None
    baseline: Total | None
    is_baseline: bool
    change: Total | None  # total - baseline; negative is improvement on every Mitra scale
    reliable: Reliable | None  # None: no total, or no published threshold
    response: bool | None  # None: not defined for this instrument or not applicable
    remission: bool | None


def reliable_change_points(instrument: Instrument) -> int | None:
    threshold = instrument.thresholds.reliable_change
    return threshold.points if threshold else None


def change_over_time(instrument: Instrument, totals: Sequence[Total | None]) -> list[ChangePoint]:
    """Baseline, change, reliable change, response and remission for totals in time order.

    The baseline is the first scored total. Response: a reduction of at least the published
    fraction (PHQ-9: 50%, from a baseline > 9); remission: a total below the published cut-off
    (PHQ-9: < 5, for a baseline > 9). Neither is judged at the baseline itself.
    """
    thresholds = instrument.thresholds
    points = reliable_change_points(instrument)
    baseline: Total | None = None
    result: list[ChangePoint] = []
    for total in totals:
        is_baseline = baseline is None and total is not None
        if is_baseline:
            baseline = total
        if total is None or baseline is None:
            result.append(ChangePoint(total, baseline, False, None, None, None, None))
            continue
        change = total - baseline
        reliable: Reliable | None = None
        if points is not None:
            if change <= -points:
                reliable = "improved"
            elif change >= points:
                reliable = "deteriorated"
            else:
                reliable = "no reliable change"
        response = remission = None
        if not is_baseline and thresholds.response is not None:
            r = thresholds.response
            if r.baseline_above is None or baseline > r.baseline_above:
                response = baseline > 0 and (baseline - total) >= r.reduction * baseline
        if not is_baseline and thresholds.remission is not None:
            m = thresholds.remission
            if m.baseline_above is None or baseline > m.baseline_above:
                remission = total < m.below
        result.append(
            ChangePoint(total, baseline, is_baseline, change, reliable, response, remission)
        )
    return result
