"""Legal status lookups by ISO 3166 code, with staleness (no Django)."""

from __future__ import annotations

from datetime import date
from typing import Any

from mitra.safety.kb import KnowledgeBase, knowledge_base, parse_as_of

STALE_AFTER_MONTHS = 12  # law moves fast: an entry older than a year may be out of date


class UnknownJurisdiction(LookupError):
    pass


def possibly_out_of_date(as_of: str, today: date) -> bool:
    """True when `as_of` is undated or its earliest possible day is over 12 months before today."""
    when = parse_as_of(as_of)
    if when is None:
        return True
    try:
        cutoff = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - 1, day=28)
    return when < cutoff


def known_codes(kb: KnowledgeBase | None = None) -> list[str]:
    kb = kb or knowledge_base()
    return sorted(set(kb.legal) | {f"US-{s}" for s in kb.us_subdivisions})


def legal_status(code: str, today: date, kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """The entry for `code` (US-AL, TH, ...) as the CLI contract shapes it.

    A US state without an entry answers status "no_state_entry" with the federal entry beside
    it: never "legal" by default. Any other unknown code raises UnknownJurisdiction.
    """
    kb = kb or knowledge_base()
    code = code.strip().upper()
    entry = kb.legal.get(code)
    if entry is None:
        if code.startswith("US-") and code[3:] in kb.us_subdivisions:
            federal = legal_status("US", today, kb)
            return {
                "jurisdiction": code, "name": code, "status": "no_state_entry",
                "summary": "No state-level entry in Mitra's data; the federal position is "
                           "shown. Check state and local law before relying on this.",
                "effective": None, "as_of": None, "sources": [], "confidence": "none",
                "possibly_out_of_date": True, "products": [], "federal": federal,
            }
        raise UnknownJurisdiction(code)
    out = {
        "jurisdiction": code, **{k: v for k, v in entry.items() if k != "products"},
        "possibly_out_of_date": possibly_out_of_date(entry["as_of"], today),
        "products": [
            {**p, "possibly_out_of_date": possibly_out_of_date(p["as_of"], today)}
            for p in entry["products"]
        ],
    }
    return out
