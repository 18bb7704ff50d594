"""Risk screening: `screen(substances, medications, conditions)` -> findings (no Django).

A finding is one rule that fired, with every input name that triggered it (de-duplicated: Xanax
and alprazolam together give one finding). A medication name the dictionary does not know is
never passed as safe: it is returned in `unrecognized` with close matches, so the page and the
CLI can say "not recognized — not screened". A finding of a rule that names drug classes says
which of them the matched drugs belong to, with the classification each list comes from.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from mitra.safety.kb import (
    SEVERITIES,
    SUBSTANCE_AS_DRUG,
    SUBSTANCES,
    KnowledgeBase,
    Rule,
    knowledge_base,
    normalize,
)

SUBSTANCE_ALIASES = {"kratom": "kratom", "kava": "kava", "7oh": "7oh", "7-oh": "7oh"}


@dataclass
class Finding:
    rule: str
    kind: str
    substance: str
    severity: str
    evidence_level: str
    matched: list[str]
    summary: str
    citations: list[str]
    applies_to: str
    mechanism: str
    monitor: list[str]
    plain_language: str
    pharmacist_check: str
    see_also_claims: list[str]
    as_of: str
    # The rule's classes that hold a matched drug: "name: source (as of date)".
    class_sources: list[str] = field(default_factory=list)


@dataclass
class Unrecognized:
    name: str
    suggestions: list[str]
    kind: str = "medication"


@dataclass
class Screened:
    name: str
    generic: str
    label: str


@dataclass
class ScreeningResult:
    substances: list[str]
    findings: list[Finding] = field(default_factory=list)
    unrecognized: list[Unrecognized] = field(default_factory=list)
    screened: list[Screened] = field(default_factory=list)
    kb_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize_substance(name: str) -> str:
    key = SUBSTANCE_ALIASES.get(name.strip().lower())
    if key is None:
        raise ValueError(
            f"substance {name!r} is not one of: {', '.join(SUBSTANCES)}"
        )
    return key


def _suggest(key: str, choices: Iterable[str], display: dict[str, str]) -> list[str]:
    close = difflib.get_close_matches(key, list(choices), n=3, cutoff=0.75)
    return [display.get(c, c) for c in close]


def screen(
    substances: Iterable[str],
    medications: Iterable[str] = (),
    conditions: Iterable[str] = (),
    *,
    kb: KnowledgeBase | None = None,
) -> ScreeningResult:
    """Screen the substances a person uses against their medications and conditions.

    `substances`: kratom, kava, 7oh (7-oh accepted). Raises ValueError for another substance.
    `medications`: names as typed (generic or brand, any case). `conditions`: condition ids
    (any case, spaces around them ignored).
    """
    kb = kb or knowledge_base()
    subs = list(dict.fromkeys(normalize_substance(s) for s in substances if s.strip()))
    result = ScreeningResult(substances=subs, kb_version=kb.version)

    # generic id -> the input names that brought it in (a combination brings its parts)
    present: dict[str, list[str]] = {}
    for name in medications:
        name = name.strip()
        if not name:
            continue
        generic = kb.names.get(normalize(name))
        if generic is None:
            result.unrecognized.append(
                Unrecognized(name, _suggest(normalize(name), kb.names, kb.display_names))
            )
            continue
        med = kb.medications[generic]
        result.screened.append(Screened(name, generic, med.label))
        for ingredient in med.ingredients:
            present.setdefault(ingredient, [])
            if name not in present[ingredient]:
                present[ingredient].append(name)
    # Using one substance is itself a co-ingredient for another's rules (kratom with kava).
    for sub in subs:
        present.setdefault(SUBSTANCE_AS_DRUG[sub], []).append(sub)

    # Condition ids match in any case ("Pregnancy" is pregnancy); `matched` keeps the name
    # as given. Each item is (the name as given, the condition id).
    condition_ids = {c.lower(): c for c in kb.conditions}
    given_conditions: list[tuple[str, str]] = []
    for cond in conditions:
        cond = cond.strip()
        if not cond:
            continue
        key = condition_ids.get(cond.lower())
        if key is not None:
            given_conditions.append((cond, key))
        else:
            result.unrecognized.append(
                Unrecognized(cond, _suggest(cond.lower(), kb.conditions, {}), kind="condition")
            )

    for rule in kb.rules:
        if rule.substance not in subs:
            continue
        matched, generics = _matched(rule, present, given_conditions)
        if matched:
            sources = [kb.classes[c].describe() for c in rule.classes
                       if generics & set(kb.classes[c].members)]
            result.findings.append(_finding(rule, matched, sources))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    result.findings.sort(key=lambda f: (order[f.severity], f.rule))
    return result


def _matched(
    rule: Rule, present: dict[str, list[str]], conditions: list[tuple[str, str]]
) -> tuple[list[str], set[str]]:
    """The input names that fire the rule, and the rule's generic ids they brought in."""
    matched: list[str] = []
    generics: set[str] = set()
    if rule.kind == "interaction":
        for drug in rule.drugs:
            for name in present.get(drug, []):
                # A substance never matches a rule about itself (kava's rules do not list kava).
                if name == rule.substance:
                    continue
                generics.add(drug)
                if name not in matched:
                    matched.append(name)
    else:
        for given, key in conditions:
            if key in rule.conditions and given not in matched:
                matched.append(given)
    return matched, generics


def _finding(rule: Rule, matched: list[str], class_sources: list[str]) -> Finding:
    return Finding(
        rule=rule.id, kind=rule.kind, substance=rule.substance, severity=rule.severity,
        evidence_level=rule.evidence_level, matched=matched, summary=rule.summary,
        citations=list(rule.citations), applies_to=rule.applies_to, mechanism=rule.mechanism,
        monitor=list(rule.monitor), plain_language=rule.plain_language,
        pharmacist_check=rule.pharmacist_check, see_also_claims=list(rule.see_also_claims),
        as_of=rule.as_of, class_sources=class_sources,
    )
