"""The CBT knowledge files: the thinking-traps catalogue and the psychoeducation modules.

Both live in versioned YAML under `mitra/cbt/data/`, each entry citing its sources. They are
loaded and validated once at start-up (`CbtConfig.ready`); a malformed file raises
`CatalogueError` naming the file and the field, so a bad edit never reaches a patient.
Plain Python: no Django import.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mitra.lib.yamldata import load_yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
DISTORTIONS_FILE = DATA_DIR / "distortions.yaml"
MODULES_FILE = DATA_DIR / "modules.yaml"

# The exercises a module can point to (and a clinician can assign as homework).
TOOLS = ("thought_record", "activation", "exposure", "relapse_plan")

# A module must never read as dosing advice: an amount with a unit is refused at start-up.
DOSE_PATTERN = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|g|grams?|milligrams?|capsules?|teaspoons?|tsp|shells?|cups?)\b",
    re.IGNORECASE,
)


class CatalogueError(ValueError):
    """A knowledge file is malformed; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distortion(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str = Field(min_length=3)
    also_known_as: str = ""
    definition: str = Field(min_length=10)
    example: str = Field(min_length=10)
    ask_yourself: str = Field(min_length=5)
    sources: list[str] = Field(min_length=1)


class Section(_Strict):
    heading: str = Field(min_length=2)
    paragraphs: list[str] = Field(min_length=1)
    bullets: list[str] = []


class Module(_Strict):
    slug: str = Field(pattern=r"^[a-z][a-z0-9-]{1,39}$")
    title: str = Field(min_length=3)
    summary: str = Field(min_length=10)
    minutes: int = Field(ge=1, le=60)
    tool: Literal["thought_record", "activation", "exposure", "relapse_plan"] | None = None
    evidence_library: bool = False
    sections: list[Section] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)

    def text(self) -> str:
        parts = [self.title, self.summary]
        for section in self.sections:
            parts += [section.heading, *section.paragraphs, *section.bullets]
        return "\n".join(parts)


class _File(_Strict):
    version: int = Field(ge=1)
    as_of: date
    references: dict[str, str] = Field(min_length=1)

    def _check_sources(self, entries: Sequence[Distortion | Module], what: str) -> None:
        for index, entry in enumerate(entries):
            for source in entry.sources:
                if source not in self.references:
                    raise ValueError(
                        f"{what}[{index}].sources: unknown reference {source!r}; "
                        f"known: {', '.join(sorted(self.references))}"
                    )


class DistortionsFile(_File):
    distortions: list[Distortion] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> DistortionsFile:
        keys = [d.key for d in self.distortions]
        if len(keys) != len(set(keys)):
            raise ValueError(f"distortions.key: duplicate keys {sorted(_dupes(keys))}")
        self._check_sources(self.distortions, "distortions")
        return self

    def by_key(self) -> dict[str, Distortion]:
        return {d.key: d for d in self.distortions}


class ModulesFile(_File):
    modules: list[Module] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ModulesFile:
        slugs = [m.slug for m in self.modules]
        if len(slugs) != len(set(slugs)):
            raise ValueError(f"modules.slug: duplicate slugs {sorted(_dupes(slugs))}")
        self._check_sources(self.modules, "modules")
        for index, module in enumerate(self.modules):
            found = DOSE_PATTERN.search(module.text())
            if found:
                raise ValueError(
                    f"modules[{index}] ({module.slug}): reads like an amount to take "
                    f"({found.group(0)!r}); modules never give a dose"
                )
        return self

    def by_slug(self) -> dict[str, Module]:
        return {m.slug: m for m in self.modules}


def _dupes(values: list[str]) -> set[str]:
    return {v for v in values if values.count(v) > 1}


def _parse(path: Path, schema: type[_File]) -> _File:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path.name}: cannot be read: {exc}") from None
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise CatalogueError(f"{path.name}: {field}: {first['msg']}") from None


def parse_distortions(path: Path) -> DistortionsFile:
    return _parse(path, DistortionsFile)  # type: ignore[return-value]


def parse_modules(path: Path) -> ModulesFile:
    return _parse(path, ModulesFile)  # type: ignore[return-value]


@cache
def distortions() -> DistortionsFile:
    return parse_distortions(DISTORTIONS_FILE)


@cache
def modules() -> ModulesFile:
    return parse_modules(MODULES_FILE)
