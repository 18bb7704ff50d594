"""The 42 CFR Part 2 texts Mitra shows: the §2.32 notice that goes with each disclosure and
the consent text a patient signs, by version, from `data/part2.yaml`. No Django.

A version in use is never edited: each `Disclosure` names the notice it carried and each
`Consent` the text its patient read. What the data file could not verify is kept as its
`verified`/`unverified` marks, and shown with the notice on the compliance page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from mitra.lib.yamldata import load_yaml

DATA = Path(__file__).parent / "data" / "part2.yaml"


@dataclass(frozen=True)
class Notice:
    version: str
    text: str
    short: str
    verified: str
    unverified: str


@dataclass(frozen=True)
class ConsentText:
    version: str
    as_of: date
    title: str
    text: str


@dataclass(frozen=True)
class Part2:
    as_of: date
    rule: str
    citations: tuple[str, ...]
    notices: tuple[Notice, ...]
    consent_texts: tuple[ConsentText, ...]


def _as_date(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    raise ValueError(f"{DATA.name}: {field} must be a date (YYYY-MM-DD), not {value!r}")


@cache
def load() -> Part2:
    raw = load_yaml(DATA.read_text(encoding="utf-8"))
    notices = tuple(Notice(version=str(n["version"]), text=" ".join(str(n["text"]).split()),
                           short=str(n["short"]), verified=str(n.get("verified", "")),
                           unverified=str(n.get("unverified", "")))
                    for n in raw["notices"])
    texts = tuple(ConsentText(version=str(t["version"]),
                              as_of=_as_date(t["as_of"], f"consent_texts.{t['version']}.as_of"),
                              title=str(t["title"]), text=" ".join(str(t["text"]).split()))
                  for t in raw["consent_texts"])
    if not notices or not texts:
        raise ValueError(f"{DATA.name}: at least one notice and one consent text are needed")
    for kind, versions in (("notices", [n.version for n in notices]),
                           ("consent_texts", [t.version for t in texts])):
        if len(set(versions)) != len(versions):
            raise ValueError(f"{DATA.name}: {kind}: a version appears twice")
    return Part2(as_of=_as_date(raw["as_of"], "as_of"), rule=str(raw["rule"]),
                 citations=tuple(str(c) for c in raw["citations"]), notices=notices,
                 consent_texts=texts)


def notice() -> Notice:
    """The notice to put on a disclosure now: the last version in the file."""
    return load().notices[-1]


def consent_text(version: str | None = None) -> ConsentText:
    """The consent text of `version` (the current one, the last, when None); ValueError
    naming the allowed versions for any other."""
    texts = load().consent_texts
    if version is None:
        return texts[-1]
    for text in texts:
        if text.version == version:
            return text
    raise ValueError(f"text_version: {version!r} is not a consent text; "
                     f"allowed: {', '.join(t.version for t in texts)}")
