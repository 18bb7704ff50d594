"""The safety knowledge base: versioned YAML files in `data/`, loaded and validated (no Django).

Files (each has `schema_version` and an `as_of` date; every entry cites `references.yaml`):

- `interaction_rules.yaml`: a substance (kratom, kava, 7oh) against drug classes (`classes`)
  and single generic drug ids (`drugs`);
- `condition_rules.yaml`: a substance against condition ids from `conditions.yaml`;
- `medications.yaml`: generic, alias and brand names -> one generic id (combinations are entries
  of their own, with `contains`), and the drug classes: members, the published classification
  they come from (`source`), `as_of`, and for classes defined by WHO ATC groups a check that
  every dictionary entry coded in those groups is a member or excluded with a reason;
- `legal_status.yaml`: status by ISO 3166 code, an entry for every US state, DC and territory
  (status `unknown`, with the reason, where Mitra has no researched data);
- `references.yaml`: the bibliography, read into `citations.Citation` (one model for every page
  that shows a source).

`load()` checks every field a screen or a page relies on and raises `KnowledgeBaseError` naming
the file and the field, so a bad edit stops start-up instead of silently weakening a screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import yaml

from mitra.lib.yamldata import load_yaml
from mitra.safety.citations import Citation, CitationError, parse_references

DATA_DIR = Path(__file__).resolve().parent / "data"

SUBSTANCES = ("kratom", "kava", "7oh")
SUBSTANCE_LABELS = {"kratom": "kratom", "kava": "kava", "7oh": "concentrated 7-OH products"}
# A substance is also a co-ingredient other rules name (kratom's liver rule lists kava).
SUBSTANCE_AS_DRUG = {"kratom": "kratom", "kava": "kava", "7oh": "7-hydroxymitragynine"}
SEVERITIES = ("major", "moderate", "minor")
EVIDENCE_LEVELS = ("clinical_study", "observational", "case_reports", "in_vitro", "theoretical")
DRUG_BASES = ("cited", "partly_cited", "class_membership")
PHARMACIST_CHECK = ("pending", "not_needed")
LEGAL_STATUSES = (
    "banned", "controlled", "regulated", "partial_ban", "sale_banned", "local_restrictions",
    "not_controlled", "not_authorized_for_ingestion", "scheduling_proposed", "unknown",
)
# Every one of these must have an entry (US-XX) in legal_status.yaml: a state Mitra knows
# nothing about says so (status unknown), it is never missing.
US_STATES_AND_DC = (
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL",
    "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE",
    "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VA", "VT", "WA", "WI", "WV", "WY",
)
CONFIDENCE = ("high", "medium", "low")
AS_OF_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# A full ATC code (N05AH02) on a medication; a group (N05A, N05AH, N) on a class.
ATC_CODE_RE = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")
ATC_GROUP_RE = re.compile(r"^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
US_SUB_RE = re.compile(r"^US-[A-Z]{2}$")


class KnowledgeBaseError(ValueError):
    """A data file is malformed: names the file and the field."""

    def __init__(self, file: str, where: str, message: str):
        self.file, self.where = file, where
        super().__init__(f"{file}: {where}: {message}")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # "interaction" or "condition"
    substance: str
    applies_to: str
    severity: str
    evidence_level: str
    summary: str
    mechanism: str
    monitor: tuple[str, ...]
    plain_language: str
    citations: tuple[str, ...]
    as_of: str
    drugs: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    drugs_basis: str = ""
    pharmacist_check: str = "not_needed"
    see_also_claims: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # the drug classes named; `drugs` holds their members too


@dataclass(frozen=True)
class DrugClass:
    """A class a rule names: its members and the classification they were derived from."""

    id: str
    name: str
    source: str  # the published classification: ATC group(s), FDA table, product labels
    as_of: str
    pharmacist_check: str
    members: tuple[str, ...]
    atc: tuple[str, ...] = ()  # ATC groups whose coded dictionary entries must all be members
    excluded: tuple[tuple[str, str], ...] = ()  # (generic, reason) left out of those groups
    citations: tuple[str, ...] = ()
    note: str = ""

    def describe(self) -> str:
        """One line for a finding: the class, its source and date."""
        return f"{self.name}: {' '.join(self.source.split())} (as of {self.as_of})"


@dataclass(frozen=True)
class Medication:
    generic: str
    label: str  # the drug class, for display
    names: tuple[str, ...]  # every accepted name, as written in the file
    contains: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    atc: tuple[str, ...] = ()

    @property
    def ingredients(self) -> frozenset[str]:
        """The generic ids whose rules apply: the entry itself and what it contains."""
        return frozenset((self.generic, *self.contains))


@dataclass(frozen=True)
class KnowledgeBase:
    version: str
    rules: tuple[Rule, ...]
    medications: dict[str, Medication]  # generic id -> entry
    names: dict[str, str]  # normalised name -> generic id
    display_names: dict[str, str]  # normalised name -> name as written
    conditions: dict[str, str]  # id -> label
    references: dict[str, Citation]
    legal: dict[str, dict[str, Any]]
    us_subdivisions: frozenset[str] = field(default_factory=frozenset)
    classes: dict[str, DrugClass] = field(default_factory=dict)  # class id -> class

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def normalize(name: str) -> str:
    """Case-insensitive whole-name key: spacing, slashes and typographic quotes unified."""
    text = name.strip().lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\s*[/+]\s*|\s+-\s+", "-", text)
    return re.sub(r"\s+", " ", text)


def parse_as_of(value: str) -> date | None:
    """The earliest day an `as_of` value can mean (2025-10 -> 2025-10-01); None when undated."""
    if value == "undated":
        return None
    parts = [int(p) for p in value.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _read(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    try:
        with path.open(encoding="utf-8") as fh:
            data = load_yaml(fh)
    except FileNotFoundError:
        raise KnowledgeBaseError(name, "(file)", "missing") from None
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(name, "(file)", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise KnowledgeBaseError(name, "schema_version", "must be 1")
    return data


class _Checker:
    def __init__(self, file: str):
        self.file = file

    def fail(self, where: str, message: str) -> NoReturn:
        raise KnowledgeBaseError(self.file, where, message)

    def text(self, entry: dict[str, Any], key: str, where: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}.{key}", "must be a non-empty string")
        return value.strip()

    def choice(self, entry: dict[str, Any], key: str, allowed: tuple[str, ...],
               where: str) -> str:
        value = entry.get(key)
        if value not in allowed:
            self.fail(f"{where}.{key}", f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def strings(self, entry: dict[str, Any], key: str, where: str, *,
                required: bool = True) -> tuple[str, ...]:
        value = entry.get(key, [] if not required else None)
        if not isinstance(value, list) or (required and not value):
            self.fail(f"{where}.{key}", "must be a non-empty list")
        if not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(f"{where}.{key}", "must contain only non-empty strings")
        return tuple(v.strip() for v in value)

    def as_of(self, entry: dict[str, Any], where: str, *, allow_undated: bool = False) -> str:
        value = str(entry.get("as_of", ""))
        if allow_undated and value == "undated":
            return value
        if not AS_OF_RE.match(value):
            self.fail(f"{where}.as_of", f"{value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        try:
            parse_as_of(value)
        except ValueError:
            self.fail(f"{where}.as_of", f"{value!r} is not a real date")
        return value

    def citations(self, entry: dict[str, Any], key: str, where: str,
                  references: dict[str, Any]) -> tuple[str, ...]:
        keys = self.strings(entry, key, where)
        for k in keys:
            if k not in references:
                self.fail(f"{where}.{key}", f"{k!r} is not in references.yaml")
        return keys


def _load_medications(
    directory: Path, references: dict[str, Any],
) -> tuple[dict[str, Medication], dict[str, str], dict[str, str], dict[str, DrugClass]]:
    check = _Checker("medications.yaml")
    data = _read(directory, "medications.yaml")
    meds: dict[str, Medication] = {}
    names: dict[str, str] = {}
    display: dict[str, str] = {}
    for i, entry in enumerate(data.get("medications") or []):
        where = f"medications[{i}]"
        if not isinstance(entry, dict):
            check.fail(where, "must be a mapping")
        generic = normalize(check.text(entry, "generic", where))
        if generic in meds:
            check.fail(f"{where}.generic", f"{generic!r} is listed twice")
        brands = check.strings(entry, "brands", where, required=False)
        written = (entry["generic"], *check.strings(entry, "aliases", where, required=False),
                   *brands)
        atc = check.strings(entry, "atc", where, required=False)
        for code in atc:
            if not ATC_CODE_RE.match(code):
                check.fail(f"{where}.atc",
                           f"{code!r} is not a 7-character ATC code such as N05AH02")
        for name in written:
            key = normalize(name)
            if names.get(key, generic) != generic:
                check.fail(where, f"the name {name!r} already belongs to {names[key]!r}")
            names[key] = generic
            display.setdefault(key, name)
        meds[generic] = Medication(
            generic=generic, label=check.text(entry, "class", where), names=tuple(written),
            contains=tuple(normalize(c) for c in check.strings(entry, "contains", where,
                                                                required=False)),
            brands=brands, atc=atc,
        )
    if not meds:
        check.fail("medications", "must list at least one medication")
    for med in meds.values():
        for part in med.contains:
            if part not in meds:
                check.fail(f"medications[{med.generic}].contains", f"{part!r} has no entry")
    classes = _load_classes(check, data, meds, references)
    return meds, names, display, classes


def _load_classes(check: _Checker, data: dict[str, Any], meds: dict[str, Medication],
                  references: dict[str, Any]) -> dict[str, DrugClass]:
    classes: dict[str, DrugClass] = {}
    for i, entry in enumerate(data.get("classes") or []):
        where = f"classes[{i}]"
        if not isinstance(entry, dict):
            check.fail(where, "must be a mapping")
        class_id = check.text(entry, "id", where)
        where = f"classes[{class_id}]"
        if class_id in classes:
            check.fail(f"{where}.id", f"{class_id!r} is listed twice")
        members = tuple(normalize(m) for m in check.strings(entry, "members", where))
        for m in members:
            if m not in meds:
                check.fail(f"{where}.members", f"{m!r} is not in the medications list")
        if len(set(members)) != len(members):
            dup = sorted({m for m in members if members.count(m) > 1})
            check.fail(f"{where}.members", f"listed twice: {dup}")
        groups = check.strings(entry, "atc", where, required=False)
        for g in groups:
            if not ATC_GROUP_RE.match(g):
                check.fail(f"{where}.atc", f"{g!r} is not an ATC group such as N05A")
        raw_excluded = entry.get("excluded") or {}
        if not isinstance(raw_excluded, dict):
            check.fail(f"{where}.excluded", "must map a generic id to the reason it is left out")
        excluded = []
        for generic, reason in raw_excluded.items():
            key = normalize(str(generic))
            if key not in meds:
                check.fail(f"{where}.excluded", f"{generic!r} is not in the medications list")
            if key in members:
                check.fail(f"{where}.excluded", f"{generic!r} is also a member")
            if not isinstance(reason, str) or not reason.strip():
                check.fail(f"{where}.excluded.{generic}", "must give the reason")
            excluded.append((key, reason.strip()))
        left_out = {g for g, _ in excluded}
        for med in meds.values():
            in_groups = [c for c in med.atc if any(c.startswith(g) for g in groups)]
            if in_groups and med.generic not in members and med.generic not in left_out:
                check.fail(f"{where}.members",
                           f"{med.generic!r} has ATC code {in_groups[0]} in this class's groups "
                           f"({', '.join(groups)}) but is not a member: add it, or list it "
                           "under `excluded` with the reason")
        classes[class_id] = DrugClass(
            id=class_id, name=check.text(entry, "name", where),
            source=check.text(entry, "source", where), as_of=check.as_of(entry, where),
            pharmacist_check=check.choice(entry, "pharmacist_check", PHARMACIST_CHECK, where),
            members=members, atc=groups, excluded=tuple(excluded),
            citations=(check.citations(entry, "citations", where, references)
                       if "citations" in entry else ()),
            note=" ".join(str(entry.get("note") or "").split()),
        )
    return classes


def _rule_drugs(check: _Checker, entry: dict[str, Any], where: str,
                meds: dict[str, Medication],
                classes: dict[str, DrugClass]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A rule's class ids and its drugs: every member of its classes, then its own `drugs`."""
    class_ids = check.strings(entry, "classes", where, required=False)
    own = tuple(normalize(d) for d in check.strings(entry, "drugs", where, required=False))
    if not class_ids and not own:
        check.fail(where, "must name at least one of `classes` or `drugs`")
    drugs: list[str] = []
    for c in class_ids:
        if c not in classes:
            check.fail(f"{where}.classes", f"{c!r} is not a class in medications.yaml")
        drugs += [m for m in classes[c].members if m not in drugs]
    for d in own:
        if d not in meds:
            check.fail(f"{where}.drugs", f"{d!r} is not in medications.yaml")
        if d in drugs:
            check.fail(f"{where}.drugs", f"{d!r} is already a member of one of its classes")
        drugs.append(d)
    return class_ids, tuple(drugs)


def _load_rules(directory: Path, file: str, kind: str, references: dict[str, Any],
                meds: dict[str, Medication], conditions: dict[str, str],
                classes: dict[str, DrugClass]) -> list[Rule]:
    check = _Checker(file)
    data = _read(directory, file)
    rules = []
    for i, entry in enumerate(data.get("rules") or []):
        where = f"rules[{i}]"
        if not isinstance(entry, dict):
            check.fail(where, "must be a mapping")
        rule_id = check.text(entry, "id", where)
        where = f"rules[{rule_id}]"
        common: dict[str, Any] = dict(
            id=rule_id, kind=kind,
            substance=check.choice(entry, "substance", SUBSTANCES, where),
            applies_to=check.text(entry, "applies_to", where),
            severity=check.choice(entry, "severity", SEVERITIES, where),
            evidence_level=check.choice(entry, "evidence_level", EVIDENCE_LEVELS, where),
            summary=check.text(entry, "summary", where),
            mechanism=check.text(entry, "mechanism", where),
            monitor=check.strings(entry, "monitor", where),
            plain_language=check.text(entry, "plain_language", where),
            citations=check.citations(entry, "citations", where, references),
            as_of=check.as_of(entry, where),
            see_also_claims=check.strings(entry, "see_also_claims", where, required=False),
        )
        if kind == "interaction":
            class_ids, drugs = _rule_drugs(check, entry, where, meds, classes)
            basis = check.choice(entry, "drugs_basis", DRUG_BASES, where)
            mark = check.choice(entry, "pharmacist_check", PHARMACIST_CHECK, where)
            if basis == "class_membership" and not class_ids:
                check.fail(f"{where}.classes", "a class_membership rule must name its classes")
            unchecked = [c for c in class_ids if classes[c].pharmacist_check == "pending"]
            if unchecked and mark != "pending":
                check.fail(f"{where}.pharmacist_check",
                           f"must be pending: class {unchecked[0]!r} has not been checked by a "
                           "pharmacist")
            rule = Rule(**common, drugs=drugs, classes=class_ids, drugs_basis=basis,
                        pharmacist_check=mark)
        else:
            conds = check.strings(entry, "conditions", where)
            for c in conds:
                if c not in conditions:
                    check.fail(f"{where}.conditions", f"{c!r} is not in conditions.yaml")
            rule = Rule(**common, conditions=conds)
        rules.append(rule)
    if not rules:
        check.fail("rules", "must list at least one rule")
    return rules


def _legal_item(check: _Checker, entry: Any, where: str, references: dict[str, Any],
                *, name: bool) -> dict[str, Any]:
    """One legal-status statement: an entry, a product rule or a rule for a group of people."""
    if not isinstance(entry, dict):
        check.fail(where, "must be a mapping")
    status = check.choice(entry, "status", LEGAL_STATUSES, where)
    item: dict[str, Any] = {}
    if name:
        item["name"] = check.text(entry, "name", where)
    item.update({
        "status": status,
        "summary": check.text(entry, "summary", where),
        "effective": check.text(entry, "effective", where),
        "as_of": check.as_of(entry, where, allow_undated=True),
        "confidence": check.choice(entry, "confidence", (*CONFIDENCE, "none"), where),
        "sources": [],
        # What the sources could not confirm, in words: shown beside the entry, never hidden.
        "unverified": None,
        # Why Mitra has no data (status unknown only).
        "reason": None,
    })
    if status == "unknown":
        item["reason"] = check.text(entry, "reason", where)
        if entry.get("sources"):
            item["sources"] = list(check.citations(entry, "sources", where, references))
    else:
        if item["confidence"] == "none":
            check.fail(f"{where}.confidence", "'none' is only for status unknown")
        item["sources"] = list(check.citations(entry, "sources", where, references))
    if entry.get("unverified") is not None:
        item["unverified"] = check.text(entry, "unverified", where)
    return item


def _load_legal(
    directory: Path, references: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], frozenset[str]]:
    check = _Checker("legal_status.yaml")
    data = _read(directory, "legal_status.yaml")
    legal = {}
    for code, entry in (data.get("jurisdictions") or {}).items():
        where = f"jurisdictions.{code}"
        if not (COUNTRY_RE.match(str(code)) or US_SUB_RE.match(str(code))):
            check.fail(where, "the key must be an ISO 3166 code such as TH or US-AL")
        item = _legal_item(check, entry, where, references, name=True)
        item["products"] = []
        for j, product in enumerate(entry.get("products") or []):
            pwhere = f"{where}.products[{j}]"
            item["products"].append({
                "substance": check.choice(product, "substance", SUBSTANCES, pwhere),
                **_legal_item(check, product, pwhere, references, name=False),
            })
        item["populations"] = []
        for j, group in enumerate(entry.get("populations") or []):
            gwhere = f"{where}.populations[{j}]"
            item["populations"].append({
                "group": check.text(group, "group", gwhere),
                **_legal_item(check, group, gwhere, references, name=False),
            })
        legal[str(code)] = item
    subs = data.get("us_subdivisions") or []
    if not subs or not all(isinstance(s, str) and re.match(r"^[A-Z]{2}$", s) for s in subs):
        check.fail("us_subdivisions", "must be a list of two-letter codes")
    for state in US_STATES_AND_DC:
        if state not in subs:
            check.fail("us_subdivisions", f"{state} is missing (every state and DC is listed)")
    for sub in subs:
        if f"US-{sub}" not in legal:
            check.fail(f"jurisdictions.US-{sub}",
                       "missing: every US state, DC and territory has an entry (status "
                       "unknown, with the reason, where Mitra has no data)")
    return legal, frozenset(subs)


def load(directory: Path = DATA_DIR) -> KnowledgeBase:
    """Read and validate every data file; raises KnowledgeBaseError naming file and field."""
    refs_data = _read(directory, "references.yaml")
    try:
        references = parse_references(refs_data.get("references"), "references.yaml")
    except CitationError as exc:
        raise KnowledgeBaseError(exc.file, exc.where, exc.message) from None
    cond_data = _read(directory, "conditions.yaml")
    ccheck = _Checker("conditions.yaml")
    conditions = {}
    for i, c in enumerate(cond_data.get("conditions") or []):
        conditions[ccheck.text(c, "id", f"conditions[{i}]")] = ccheck.text(
            c, "label", f"conditions[{i}]")
    meds, names, display, classes = _load_medications(directory, references)
    rules = _load_rules(directory, "interaction_rules.yaml", "interaction", references, meds,
                        conditions, classes)
    rules += _load_rules(directory, "condition_rules.yaml", "condition", references, meds,
                         conditions, classes)
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise KnowledgeBaseError("interaction_rules.yaml/condition_rules.yaml", "id",
                                 f"rule ids used twice: {dup}")
    legal, subs = _load_legal(directory, references)
    version = str(_read(directory, "interaction_rules.yaml").get("kb_version", "unversioned"))
    return KnowledgeBase(version=version, rules=tuple(rules), medications=meds, names=names,
                         display_names=display, conditions=conditions, references=references,
                         legal=legal, us_subdivisions=subs, classes=classes)


@cache
def knowledge_base() -> KnowledgeBase:
    return load()


def format_reference(references: dict[str, Citation], key: str) -> str:
    """One line for a citation: [type, date] authors. title. container. identifier. Note."""
    citation = references.get(key)
    return citation.text() if citation else key


def condition_label(name: str) -> str:
    """A condition id as its conditions.yaml label ("anxiety-depression" is "Anxiety or
    depressive disorder"; ids match in any case); any other name (a drug a rule matched) as
    it is."""
    return knowledge_base().conditions.get(name.lower(), name)
