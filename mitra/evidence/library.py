"""The evidence library: claims about kratom and kava, with verdict, grade and citations.

Plain Python (no Django).

Claims live in `data/claims.yaml`; their citation keys resolve in the safety knowledge base's
`references.yaml`, so a finding and a claim cite the same bibliography.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from mitra.safety.kb import knowledge_base

DATA = Path(__file__).resolve().parent / "data" / "claims.yaml"
VERDICTS = {
    "supported": "Supported",
    "partly_supported": "Partly supported",
    "unsupported": "Unsupported",
    "false": "False",
}
GRADES = {
    "clinical_study": "Controlled human studies",
    "observational": "Surveys and observational data",
    "case_reports": "Case reports",
    "in_vitro": "Laboratory studies",
    "theoretical": "No direct evidence",
    "regulatory": "Regulator statements and law",
    "established_fact": "Established fact",
}


class ClaimsError(ValueError):
    pass


@dataclass(frozen=True)
class Claim:
    id: str
    number: int
    claim: str
    verdict: str
    grade: str
    explanation: str
    citations: tuple[str, ...]

    @property
    def verdict_label(self) -> str:
        return VERDICTS[self.verdict]

    @property
    def grade_label(self) -> str:
        return GRADES[self.grade]


def load(path: Path = DATA) -> tuple[str, list[Claim]]:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ClaimsError(f"{name}: (file): {exc}") from None
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise ClaimsError(f"{name}: schema_version: must be 1")
    refs = knowledge_base().references
    claims, seen = [], set()
    for i, c in enumerate(data.get("claims") or []):
        where = f"{name}: claims[{c.get('id', i) if isinstance(c, dict) else i}]"
        if not isinstance(c, dict):
            raise ClaimsError(f"{where}: must be a mapping")
        for key in ("id", "claim", "explanation"):
            if not isinstance(c.get(key), str) or not c[key].strip():
                raise ClaimsError(f"{where}.{key}: must be a non-empty string")
        if c["id"] in seen:
            raise ClaimsError(f"{where}.id: used twice")
        seen.add(c["id"])
        if c.get("verdict") not in VERDICTS:
            raise ClaimsError(f"{where}.verdict: {c.get('verdict')!r} is not one of "
                              f"{', '.join(VERDICTS)}")
        if c.get("grade") not in GRADES:
            raise ClaimsError(f"{where}.grade: {c.get('grade')!r} is not one of "
                              f"{', '.join(GRADES)}")
        cites = c.get("citations") or []
        if not cites:
            raise ClaimsError(f"{where}.citations: must be a non-empty list")
        for k in cites:
            if k not in refs:
                raise ClaimsError(f"{where}.citations: {k!r} is not in references.yaml")
        if not isinstance(c.get("number"), int):
            raise ClaimsError(f"{where}.number: must be a whole number")
        claims.append(Claim(c["id"], c["number"], c["claim"].strip(), c["verdict"], c["grade"],
                            c["explanation"].strip(), tuple(cites)))
    if not claims:
        raise ClaimsError(f"{name}: claims: must list at least one claim")
    return str(data.get("as_of", "")), sorted(claims, key=lambda c: c.number)


@cache
def library() -> tuple[str, list[Claim]]:
    return load()


def claim(claim_id: str) -> Claim | None:
    return next((c for c in library()[1] if c.id == claim_id), None)
