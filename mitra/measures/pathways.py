"""Care pathways: the versioned data file of schedule sets a clinician assigns in one step.

Plain Python (no Django), validated strictly like the instrument library: a malformed file
raises `PathwayError` naming the file and the field, and `MeasuresConfig.ready` turns that into
`ImproperlyConfigured`, so a bad pathway stops start-up instead of failing in front of a
clinician. Every schedule is checked by the recurrence rule itself (`recurrence.validate`) and
every instrument id against the library.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mitra.lib.yamldata import load_yaml
from mitra.measures import recurrence
from mitra.measures.library import LibraryError, library

DATA_FILE = Path(__file__).resolve().parent / "data" / "pathways.yaml"

# The anchor "the day the pathway is applied": stored on the schedule as its start date.
APPLIED: Final = "applied"
ANCHORS = (APPLIED, "enrolment", "taper_start")


class PathwayError(ValueError):
    """A pathways file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathwaySchedule(_Strict):
    form: Literal["questionnaire", "diary"] = "questionnaire"
    instrument: str = ""
    cadence: Literal["once", "interval", "weekdays"] | None = None
    every_days: int | None = None
    weekdays: str = ""
    anchor: Literal["applied", "enrolment", "taper_start"] = APPLIED
    offset_days: int = Field(0, ge=-365, le=365)
    time_of_day: dt.time = dt.time(9, 0)
    window_minutes: int = 3 * 24 * 60
    random_minutes: int = 0

    @field_validator("time_of_day", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        # YAML reads 20:00 unquoted as a number of minutes (sexagesimal): ask for "20:00".
        if not isinstance(value, str):
            raise ValueError(f"{value!r}: write the local time quoted, as \"HH:MM\"")
        return value

    @model_validator(mode="after")
    def _works(self) -> PathwaySchedule:
        if self.form == "diary" and self.instrument:
            raise ValueError("instrument: a diary schedule has no instrument")
        if self.form == "questionnaire" and self.instrument not in library():
            raise ValueError(f"instrument: {self.instrument!r} is not an instrument; choose "
                             f"one of {', '.join(sorted(library()))}")
        rule = self.rule(dt.date(2026, 1, 1))
        try:
            recurrence.validate(rule)
        except recurrence.RuleError as exc:
            raise ValueError(str(exc)) from None
        return self

    @property
    def resolved_cadence(self) -> str:
        if self.cadence is not None:
            return self.cadence
        if self.weekdays:
            return recurrence.WEEKDAYS
        return recurrence.INTERVAL if self.every_days is not None else recurrence.ONCE

    def rule(self, start: dt.date) -> recurrence.Rule:
        """The entry's rule from `start` (RuleError naming a bad field)."""
        cadence = self.resolved_cadence
        if cadence != recurrence.INTERVAL and self.every_days is not None:
            raise recurrence.RuleError("every_days", f"only with the cadence interval (this "
                                       f"one is {cadence})")
        if cadence != recurrence.WEEKDAYS and self.weekdays:
            raise recurrence.RuleError("weekdays", f"only with the cadence weekdays (this one "
                                       f"is {cadence})")
        return recurrence.Rule(
            cadence=cadence, start=start, time_of_day=self.time_of_day,
            window=dt.timedelta(minutes=self.window_minutes), every_days=self.every_days,
            weekdays=recurrence.parse_weekdays(self.weekdays) if self.weekdays else frozenset(),
            random_minutes=self.random_minutes,
        )

    @property
    def label(self) -> str:
        """ "GAD-7 every 2 weeks at 09:00", "Diary daily at 20:00"."""
        what = "Diary" if self.form == "diary" else library()[self.instrument].short_name
        words = recurrence.describe(self.rule(dt.date(2026, 1, 1)))
        if self.anchor == "enrolment":
            words += " from enrolment"
        elif self.anchor == "taper_start":
            words += " from the start of the taper plan"
        if self.offset_days:
            words += f" (+{self.offset_days} days)" if self.offset_days > 0 else (
                f" ({self.offset_days} days)")
        return f"{what} {words}"


class Pathway(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")
    title: str
    description: str
    rationale: str = ""
    schedules: list[PathwaySchedule] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_each(self) -> Pathway:
        # A pathway's schedules are told apart by what they ask (re-applying keeps them).
        asked = [(s.form, s.instrument) for s in self.schedules]
        if len(asked) != len(set(asked)):
            raise ValueError("schedules: each instrument (and the diary) at most once")
        return self


class PathwayFile(_Strict):
    version: str
    as_of: dt.date
    pathways: list[Pathway] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PathwayFile:
        ids = [p.id for p in self.pathways]
        if len(ids) != len(set(ids)):
            raise ValueError("pathways: each id once")
        return self


def _format_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"field {loc}: {message}" if loc else f"field {message}"


def load_pathways(path: Path | None = None) -> PathwayFile:
    path = DATA_FILE if path is None else path
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PathwayError(f"{path.name}: cannot read YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise PathwayError(f"{path.name}: field (top level): expected a mapping")
    try:
        return PathwayFile.model_validate(raw)
    except LibraryError as exc:
        raise PathwayError(f"{path.name}: the instrument library: {exc}") from None
    except ValidationError as exc:
        raise PathwayError(f"{path.name}: {_format_error(exc)}") from None


@cache
def pathways_file() -> PathwayFile:
    """The packaged pathways, loaded once per process."""
    return load_pathways()


def pathways() -> list[Pathway]:
    return list(pathways_file().pathways)


def pathways_version() -> str:
    return pathways_file().version


def pathway_ids() -> list[str]:
    return [p.id for p in pathways_file().pathways]


def get_pathway(pathway_id: str) -> Pathway:
    """The pathway with this id; KeyError naming the allowed ids otherwise."""
    for p in pathways_file().pathways:
        if p.id == pathway_id:
            return p
    raise KeyError(f"unknown pathway {pathway_id!r}; choose one of {', '.join(pathway_ids())}")
