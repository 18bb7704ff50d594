"""The instrument library: one versioned YAML data file per instrument, validated strictly.

Plain Python (no Django), so the CLI, the web app and the tests read the same definitions.
A malformed file raises `LibraryError` naming the file and the field; `MeasuresConfig.ready`
turns that into `ImproperlyConfigured`, so a bad file stops start-up instead of mis-scoring.

Any part of a file may carry `unverified: true` (or `<field>_unverified: true`): the reference
review could not confirm it against a primary source. `unverified_marks()` lists them all so
the clinician view can show each one until a human checks it.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mitra.lib.yamldata import load_yaml

DATA_DIR = Path(__file__).resolve().parent / "data" / "instruments"


class LibraryError(ValueError):
    """A data file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Marked(_Strict):
    """A value that can cite its sources and be flagged as not yet confirmed."""

    source: list[str] = Field(default_factory=list)
    unverified: bool = False
    note: str = ""


class Statement(Marked):
    text: str


class AnswerOption(_Strict):
    value: int
    text: str
    loinc_answer_code: str | None = None
    loinc_answer_text: str | None = None


class AnswerCodeOverride(_Strict):
    value: int
    loinc_answer_code: str
    loinc_answer_text: str = ""


class NumericResponse(Marked):
    min: int
    max: int
    left_anchor: str
    right_anchor: str


class MeasureBand(_Strict):
    up_to: int | None = None  # inclusive; None: everything above the previous band
    value: int


class Measurement(Marked):
    """A reading the rater measures (COWS item 1: the resting pulse); the item's answer is
    the band the reading falls in. `min`/`max` only catch typing errors."""

    label: str
    unit: str
    min: int
    max: int
    bands: list[MeasureBand]

    def value_for(self, reading: int) -> int:
        for band in self.bands:
            if band.up_to is None or reading <= band.up_to:
                return band.value
        raise ValueError(f"{self.label}: {reading} {self.unit} is above every band")


class Item(Marked):
    link_id: str
    text: str
    same_as: str | None = None
    loinc: str | None = None
    loinc_display: str | None = None
    scored: bool = True
    required: bool = True
    special: Literal["suicide_item"] | None = None
    answer_options: list[AnswerOption] | None = None
    answer_code_overrides: list[AnswerCodeOverride] = Field(default_factory=list)
    response: NumericResponse | None = None
    measurement: Measurement | None = None


class MissingItemRule(Marked):
    kind: Literal["none", "prorate_mean", "skip_when"]
    text: str
    max_missing: int = 0
    when_item: str | None = None
    when_value: int | None = None
    skipped_items: list[str] = Field(default_factory=list)


class Scoring(_Strict):
    rule: str
    min: int
    max: int
    max_note: str = ""
    missing_item_rule: MissingItemRule
    rounding: Statement | None = None


class Band(Marked):
    min: int
    max: int
    label: str
    loinc_answer_code: str | None = None
    loinc_answer_text: str | None = None


class AlertThreshold(Marked):
    """A total at or above which a withdrawal scale raises the severe-withdrawal alert, for a
    scale whose own publication gives no severity band to take it from (SOWS)."""

    at_least: int
    label: str


class Screen(Marked):
    id: str
    at_least: int
    meaning: str
    sex: Literal["male", "female"] | None = None


class PointsThreshold(Marked):
    points: int | None = None
    basis: str = ""


class Response(Marked):
    reduction: float = Field(gt=0, le=1)
    baseline_above: int | None = None  # the published rule: baseline > N (a prorated 9.5 counts)
    rule: str


class Remission(Marked):
    below: int
    baseline_above: int | None = None  # the published rule: baseline > N (a prorated 9.5 counts)
    rule: str


class Thresholds(_Strict):
    screens: list[Screen] = Field(default_factory=list)
    minimal_important_difference: PointsThreshold | None = None
    reliable_change: PointsThreshold | None = None
    response: Response | None = None
    remission: Remission | None = None


class AlertRule(Marked):
    id: str
    item: str
    when: Literal["at_least", "missing"]
    value: int | None = None
    kind: Literal["suicide_risk", "review"]
    message: str
    action: str = ""
    action_unverified: bool = False


class Licence(Marked):
    status: str
    text: str
    notes: str = ""
    recommendation: str = ""


class Loinc(Marked):
    panel: str | None = None
    panel_display: str | None = None
    total: str | None = None
    total_display: str | None = None
    fhir_questionnaire_canonical: str | None = None


class Instrument(_Strict):
    id: str
    short_name: str
    name: str
    version: str
    as_of: dt.date
    source_version: str
    administration: Literal["self_report", "clinician_rated"]
    citations: list[str] = Field(min_length=1)
    citations_note: str = ""
    citations_unverified: bool = False
    licence: Licence
    recall_period: str
    stem: str = ""
    stem_source: list[str] = Field(default_factory=list)
    stem_unverified: bool = False
    stem_note: str = ""
    instructions: str = ""
    instructions_source: list[str] = Field(default_factory=list)
    instructions_unverified: bool = False
    answer_options: list[AnswerOption] = Field(default_factory=list)
    answer_options_loinc_list: str | None = None
    answer_options_source: list[str] = Field(default_factory=list)
    answer_options_note: str = ""
    items: list[Item] = Field(min_length=1)
    items_source: list[str] = Field(default_factory=list)
    items_unverified: bool = False
    items_note: str = ""
    scoring: Scoring
    severity_bands: list[Band]
    severity_bands_source: list[str] = Field(default_factory=list)
    severity_bands_unverified: bool = False
    severity_bands_note: str = ""
    alert_threshold: AlertThreshold | None = None
    thresholds: Thresholds
    alerts: list[AlertRule]
    notes: list[str] = Field(default_factory=list)
    notes_source: list[str] = Field(default_factory=list)
    loinc: Loinc
    sources: dict[str, str]

    # -- derived views -------------------------------------------------------------------

    @property
    def scored_items(self) -> list[Item]:
        return [item for item in self.items if item.scored]

    def options_for(self, item: Item) -> list[AnswerOption]:
        """The answer options of a choice item (its own, else the instrument's)."""
        return item.answer_options if item.answer_options is not None else self.answer_options

    def allowed_values(self, item: Item) -> list[int]:
        """In the order the file gives them."""
        if item.response is not None:
            return list(range(item.response.min, item.response.max + 1))
        return [option.value for option in self.options_for(item)]

    def is_allowed(self, item: Item, value: int) -> bool:
        return value in self._allowed[item.link_id]

    @cached_property
    def _allowed(self) -> dict[str, frozenset[int] | range]:
        # Scoring checks every answer: look the allowed values up once per instrument.
        allowed: dict[str, frozenset[int] | range] = {}
        for item in self.items:
            if item.response is not None:
                allowed[item.link_id] = range(item.response.min, item.response.max + 1)
            else:
                allowed[item.link_id] = frozenset(self.allowed_values(item))
        return allowed

    def allowed_text(self, item: Item) -> str:
        """The allowed values of an item, for error messages."""
        if item.response is not None:
            return f"a whole number from {item.response.min} to {item.response.max}"
        return ", ".join(str(v) for v in self.allowed_values(item))

    def item_max(self, item: Item) -> int:
        return max(self.allowed_values(item))

    def item_min(self, item: Item) -> int:
        return min(self.allowed_values(item))

    def item(self, link_id: str) -> Item:
        for item in self.items:
            if item.link_id == link_id:
                return item
        raise KeyError(link_id)

    def loinc_answer_code(self, item: Item, value: int) -> str | None:
        for override in item.answer_code_overrides:
            if override.value == value:
                return override.loinc_answer_code
        for option in self.options_for(item):
            if option.value == value:
                return option.loinc_answer_code
        return None

    # -- consistency checks (a file that contradicts itself must not load) ----------------

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        ids = [item.link_id for item in self.items]
        for index, item in enumerate(self.items):
            where = f"items.{index}"
            if ids.count(item.link_id) > 1:
                raise ValueError(f"{where}.link_id: {item.link_id!r} is not unique")
            if not item.link_id.startswith(f"{self.id}."):
                raise ValueError(f"{where}.link_id: must start with '{self.id}.'")
            if item.response is None and not self.options_for(item):
                raise ValueError(f"{where}.answer_options: an item needs answer options or a"
                                 " numeric response")
            if item.response is not None and item.answer_options is not None:
                raise ValueError(f"{where}.response: give answer options or a numeric"
                                 " response, not both")
            values = self.allowed_values(item)
            if len(set(values)) != len(values):
                raise ValueError(f"{where}.answer_options: values must be unique")
            for override in item.answer_code_overrides:
                if override.value not in values:
                    raise ValueError(f"{where}.answer_code_overrides: value {override.value}"
                                     f" is not one of {values}")
        scored = self.scored_items
        if not scored:
            raise ValueError("items: at least one item must be scored")
        low = sum(self.item_min(i) for i in scored)
        high = sum(self.item_max(i) for i in scored)
        if (self.scoring.min, self.scoring.max) != (low, high):
            raise ValueError(f"scoring.max: the items add up to {low}-{high}, the file says"
                             f" {self.scoring.min}-{self.scoring.max}")
        previous = None
        for index, band in enumerate(self.severity_bands):
            if band.min > band.max or band.min < self.scoring.min or band.max > self.scoring.max:
                raise ValueError(f"severity_bands.{index}: {band.min}-{band.max} is outside"
                                 f" {self.scoring.min}-{self.scoring.max} or reversed")
            if previous is not None and band.min != previous.max + 1:
                raise ValueError(f"severity_bands.{index}.min: bands must follow each other"
                                 f" without gap or overlap ({previous.max} then {band.min})")
            previous = band
        if self.severity_bands and (self.severity_bands[0].min, self.severity_bands[-1].max) != (
                self.scoring.min, self.scoring.max):
            # A total without a band would read as "no severity" when the scheme simply
            # stops: cover the whole range, or give no bands and say why in the note.
            raise ValueError(
                f"severity_bands: the bands cover {self.severity_bands[0].min}-"
                f"{self.severity_bands[-1].max}, the scale {self.scoring.min}-"
                f"{self.scoring.max}; cover the whole range or give none")
        threshold = self.alert_threshold
        if threshold is not None and not (
                self.scoring.min < threshold.at_least <= self.scoring.max):
            raise ValueError(f"alert_threshold.at_least: {threshold.at_least} is outside "
                             f"{self.scoring.min + 1}-{self.scoring.max}")
        rule = self.scoring.missing_item_rule
        if rule.kind == "skip_when":
            for name in [rule.when_item, *rule.skipped_items]:
                if name not in ids:
                    raise ValueError(f"scoring.missing_item_rule: unknown item {name!r}")
        for index, alert in enumerate(self.alerts):
            if alert.item not in ids:
                raise ValueError(f"alerts.{index}.item: unknown item {alert.item!r}")
            if alert.when == "at_least" and alert.value is None:
                raise ValueError(f"alerts.{index}.value: required when 'when' is at_least")
        for path, keys in _source_refs(self):
            missing = [key for key in keys if key not in self.sources]
            if missing:
                raise ValueError(f"{path}: source {missing[0]!r} is not listed under sources")
        return self


def _source_refs(model: BaseModel, path: str = "") -> list[tuple[str, list[str]]]:
    """Every list of source keys anywhere in the model, with its field path."""
    found: list[tuple[str, list[str]]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if name == "source" or name.endswith("_source"):
            found.append((here, list(value)))
        elif isinstance(value, BaseModel):
            found.extend(_source_refs(value, here))
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, BaseModel):
                    found.extend(_source_refs(entry, f"{here}.{i}"))
    return found


def unverified_marks(model: BaseModel, path: str = "") -> list[tuple[str, str]]:
    """(field path, note) for every value marked unverified in an instrument definition."""
    marks: list[tuple[str, str]] = []
    fields = type(model).model_fields
    if getattr(model, "unverified", False):
        note = getattr(model, "note", "") or getattr(model, "text", "")
        marks.append((path or "instrument", note))
    for name in fields:
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if name.endswith("_unverified") and value is True:
            base = name.removesuffix("_unverified")
            note = getattr(model, f"{base}_note", "") if f"{base}_note" in fields else ""
            marks.append((f"{path}.{base}" if path else base, note))
        elif isinstance(value, BaseModel):
            marks.extend(unverified_marks(value, here))
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, BaseModel):
                    marks.extend(unverified_marks(entry, f"{here}.{i}"))
    return marks


def _format_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if not loc:
        # A model-level check names its own field at the start of the message.
        return f"field {message}"
    return f"field {loc}: {message}"


def load_instrument(path: Path) -> Instrument:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LibraryError(f"{path.name}: cannot read YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise LibraryError(f"{path.name}: field (top level): expected a mapping")
    try:
        instrument = Instrument.model_validate(raw)
    except ValidationError as exc:
        raise LibraryError(f"{path.name}: {_format_error(exc)}") from None
    if instrument.id != path.stem:
        raise LibraryError(f"{path.name}: field id: {instrument.id!r} must match the file name")
    return instrument


def load_library(directory: Path | None = None) -> dict[str, Instrument]:
    """All instruments in a directory (default: the packaged files), keyed by id."""
    directory = DATA_DIR if directory is None else directory
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise LibraryError(f"{directory}: no instrument files")
    return {inst.id: inst for inst in (load_instrument(path) for path in files)}


@cache
def library() -> dict[str, Instrument]:
    """The packaged library, loaded once per process."""
    return load_library()


# Display order: what clinicians look for first.
ORDER = ("phq9", "gad7", "phq2", "gad2", "sows", "cows", "auditc", "craving")


def instruments() -> list[Instrument]:
    lib = library()
    return [lib[i] for i in ORDER if i in lib] + [v for k, v in lib.items() if k not in ORDER]


def get_instrument(instrument_id: str) -> Instrument:
    """The instrument with this id; `KeyError` naming the allowed ids otherwise."""
    lib = library()
    if instrument_id not in lib:
        raise KeyError(
            f"unknown instrument {instrument_id!r}; choose one of: {', '.join(sorted(lib))}"
        )
    return lib[instrument_id]

