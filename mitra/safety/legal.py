"""Legal status lookups by ISO 3166 code, with staleness (no Django).

Every entry states the law as its sources report it, with their dates; nothing here is legal
advice or a recommendation. A jurisdiction Mitra has no researched data for is an entry with
status "unknown" and the reason, never a default such as "legal".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mitra.safety.kb import SUBSTANCE_LABELS, KnowledgeBase, knowledge_base, parse_as_of

STALE_AFTER_MONTHS = 12  # law moves fast: an entry older than a year may be out of date

STATUS_LABELS = {
    "banned": "Banned",
    "controlled": "Controlled substance",
    "regulated": "Regulated: sold under rules set by law",
    "partial_ban": "Partly banned",
    "sale_banned": "Making and selling banned",
    "local_restrictions": "Local restrictions; no statewide law in the sources seen",
    "not_controlled": "Not controlled, per the sources seen",
    "not_authorized_for_ingestion": "Not authorised for human consumption",
    "scheduling_proposed": "Scheduling proposed, not confirmed in force",
    "unknown": "Unknown: Mitra has no information",
}
CONFIDENCE_LABELS = {
    "high": "high", "medium": "medium",
    "low": "low (news, vendor or advocacy pages only)", "none": "none (no data)",
}
NOT_LEGAL_ADVICE = (
    "This states the law as Mitra's sources report it, with their dates. It is not legal "
    "advice and not a recommendation to use kratom, 7-OH products or kava. Laws change: check "
    "the current law with the local authority or a lawyer."
)
GROUPS = (("US", "United States: federal"), ("US-STATE", "United States: states and DC"),
          ("US-TERRITORY", "United States: territories"), ("COUNTRY", "Other countries"))
US_TERRITORIES = frozenset({"AS", "GU", "MP", "PR", "UM", "VI"})


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


def group_of(code: str) -> str:
    if code == "US":
        return "US"
    if code.startswith("US-"):
        return "US-TERRITORY" if code[3:] in US_TERRITORIES else "US-STATE"
    return "COUNTRY"


def _statement(item: dict[str, Any], today: date, kb: KnowledgeBase) -> dict[str, Any]:
    """An entry, product or group rule with its labels, staleness and source details."""
    return {
        **item,
        "status_label": STATUS_LABELS[item["status"]],
        "confidence_label": CONFIDENCE_LABELS[item["confidence"]],
        # An unknown entry has nothing to go stale: it says plainly that there is no data.
        "possibly_out_of_date": (item["status"] != "unknown"
                                 and possibly_out_of_date(item["as_of"], today)),
        "source_details": [kb.references[k].as_dict() for k in item["sources"]],
    }


def legal_status(code: str, today: date, kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """The entry for `code` (US-AL, TH, ...) as the CLI contract shapes it.

    Keys: jurisdiction, name, status, status_label, summary, effective, as_of, confidence,
    sources (citation keys), source_details, unverified, reason, possibly_out_of_date,
    products, populations, notice; a US state, DC or territory also has `federal` (the
    federal entry, whose rules apply there too). Unknown codes raise UnknownJurisdiction.
    """
    kb = kb or knowledge_base()
    code = code.strip().upper()
    entry = kb.legal.get(code)
    if entry is None:
        raise UnknownJurisdiction(code)
    out: dict[str, Any] = {
        "jurisdiction": code,
        **_statement({k: v for k, v in entry.items() if k not in ("products", "populations")},
                     today, kb),
        "products": [
            {**_statement(p, today, kb), "substance_label": SUBSTANCE_LABELS[p["substance"]]}
            for p in entry["products"]
        ],
        "populations": [_statement(p, today, kb) for p in entry["populations"]],
        "notice": NOT_LEGAL_ADVICE,
    }
    if code.startswith("US-") and "US" in kb.legal:
        federal = legal_status("US", today, kb)
        out["federal"] = {k: federal[k] for k in (
            "jurisdiction", "name", "status", "status_label", "summary", "effective", "as_of",
            "confidence", "confidence_label", "sources", "source_details", "unverified",
            "possibly_out_of_date", "products", "populations")}
    return out


def jurisdictions(today: date, kb: KnowledgeBase | None = None) -> list[dict[str, Any]]:
    """Every jurisdiction, grouped (federal, states, territories, countries), for the list page."""
    kb = kb or knowledge_base()
    order = {g: i for i, (g, _label) in enumerate(GROUPS)}
    rows = []
    for code, entry in kb.legal.items():
        rows.append({
            "jurisdiction": code, "name": entry["name"], "group": group_of(code),
            "status": entry["status"], "status_label": STATUS_LABELS[entry["status"]],
            "as_of": entry["as_of"], "confidence": entry["confidence"],
            "unverified": bool(entry["unverified"] or any(
                p["unverified"] for p in (*entry["products"], *entry["populations"]))),
            "possibly_out_of_date": (entry["status"] != "unknown"
                                     and possibly_out_of_date(entry["as_of"], today)),
            "has_7oh_rule": bool(entry["products"]),
        })
    return sorted(rows, key=lambda r: (order[r["group"]], r["name"]))


def group_labels() -> dict[str, str]:
    return dict(GROUPS)
