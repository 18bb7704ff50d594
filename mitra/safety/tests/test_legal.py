from datetime import date

import pytest

from mitra.safety.kb import LEGAL_STATUSES, US_STATES_AND_DC, knowledge_base
from mitra.safety.legal import (
    STATUS_LABELS,
    UnknownJurisdiction,
    jurisdictions,
    legal_status,
    possibly_out_of_date,
)

TODAY = date(2026, 11, 22)
RESEARCHED = date(2026, 12, 3)  # the day the 2025-2026 leads were researched


def test_a_us_state_entry_has_status_dates_and_sources():
    al = legal_status("US-AL", TODAY)
    assert al["status"] == "banned"
    assert al["effective"] == "2016-05" and al["as_of"] == "2025-10"
    assert al["sources"] and al["confidence"] == "medium"
    # The reference's unverified item on these bans stays visible on the entry.
    assert "statute text was not read" in al["unverified"]


def test_codes_are_case_insensitive():
    assert legal_status("th", TODAY)["jurisdiction"] == "TH"


def test_a_country_entry():
    assert legal_status("AU", TODAY)["status"] == "controlled"
    assert legal_status("TH", TODAY)["status"] == "regulated"


def test_a_7oh_rule_is_shown_beside_the_leaf_status():
    ohio = legal_status("US-OH", TODAY)
    assert ohio["status"] == "partial_ban"
    assert ohio["products"][0]["substance"] == "7oh"
    assert ohio["products"][0]["status"] == "banned"
    assert ohio["products"][0]["substance_label"] == "concentrated 7-OH products"


@pytest.mark.parametrize("state", US_STATES_AND_DC)
def test_every_state_and_dc_is_an_entry_never_missing_never_legal_by_default(state):
    entry = legal_status(f"US-{state}", RESEARCHED)
    assert entry["status"] in LEGAL_STATUSES and entry["as_of"] and entry["name"]
    assert entry["federal"]["jurisdiction"] == "US"  # federal law applies in every state
    if entry["status"] == "unknown":
        assert entry["summary"].startswith(
            f"No entry for {entry['name']}: Mitra has no information; check local law.")
        assert entry["reason"] and entry["confidence"] == "none"
        assert entry["possibly_out_of_date"] is False  # nothing to go stale: it says so
    else:
        assert entry["sources"] and entry["reason"] is None


def test_states_without_researched_data_say_unknown_with_a_reason():
    ny = legal_status("US-NY", RESEARCHED)
    assert ny["status"] == "unknown" and ny["status_label"].startswith("Unknown")
    assert ny["as_of"] == "2026-12-03" and ny["sources"] == []
    assert "do not cover this state's law" in ny["reason"]
    unknown = [r for r in jurisdictions(RESEARCHED) if r["status"] == "unknown"]
    assert len([r for r in unknown if r["group"] == "US-STATE"]) == 30


def test_a_territory_has_an_entry_too():
    pr = legal_status("US-PR", RESEARCHED)
    assert pr["name"] == "Puerto Rico" and pr["status"] == "unknown"


def test_an_unknown_code_raises():
    for code in ("XX", "US-ZZ", "Thailand"):
        with pytest.raises(UnknownJurisdiction):
            legal_status(code, TODAY)


def test_entries_older_than_twelve_months_are_marked():
    assert legal_status("US-AL", TODAY)["possibly_out_of_date"] is True  # as of 2025-10
    assert legal_status("US-AL", date(2026, 6, 1))["possibly_out_of_date"] is False
    assert legal_status("US", TODAY)["possibly_out_of_date"] is False  # as of 2026-07


@pytest.mark.parametrize("as_of, stale", [
    ("2025-11-22", False), ("2025-11-21", True), ("2025-11", True), ("2026", False),
    ("undated", True),
])
def test_staleness_boundary(as_of, stale):
    assert possibly_out_of_date(as_of, TODAY) is stale


def test_the_2026_updates_are_current_on_the_day_they_were_researched():
    for code in ("US", "US-CA", "US-UT", "US-OH", "US-MO"):
        assert legal_status(code, RESEARCHED)["possibly_out_of_date"] is False, code
    rows = jurisdictions(RESEARCHED)
    stale = [r for r in rows if r["possibly_out_of_date"]]
    assert len(stale) < len(rows) / 2  # 78 of 81 before the update


def test_california_bans_making_and_selling_from_the_cdph_notice():
    ca = legal_status("US-CA", RESEARCHED)
    assert ca["status"] == "sale_banned"
    assert ca["effective"].startswith("2025-10-24") and ca["as_of"] == "2026-02-18"
    cdph = next(s for s in ca["source_details"] if s["key"] == "cdph2025_kratom_7oh")
    assert cdph["date"] == "2025-10-24" and cdph["type_label"] == "Government publication"
    assert "Sherman" in ca["summary"] and "reproduction" in ca["unverified"]


def test_utah_sells_only_pure_leaf_and_the_unread_statute_is_marked():
    ut = legal_status("US-UT", RESEARCHED)
    assert ut["status"] == "regulated" and "pure-leaf kratom" in ut["summary"]
    assert ut["as_of"].startswith("2026") and "not confirmed" in ut["effective"]
    assert "third-party site" in ut["unverified"]


def test_the_federal_7oh_action_is_proposed_and_its_force_unconfirmed():
    us = legal_status("US", RESEARCHED)
    rule = us["products"][0]
    assert rule["status"] == "scheduling_proposed" and "DEA-1570" in rule["summary"]
    assert "not found" in rule["unverified"] and "secondary sources" in rule["unverified"]
    assert "not found" in us["unverified"]


def test_service_members_are_banned_with_source_and_date():
    navy = legal_status("US", RESEARCHED)["populations"][0]
    assert navy["status"] == "banned" and navy["effective"].startswith("2026-01-14")
    assert navy["as_of"] == "2026-01" and "Article 92" in navy["summary"]
    assert {s["type"] for s in navy["source_details"]} == {"news"}
    # ... and it is shown for every state, through the federal entry.
    assert legal_status("US-TX", RESEARCHED)["federal"]["populations"][0]["group"].startswith(
        "US service members")


def test_statements_resting_on_the_leads_secondary_or_vendor_sources_are_marked():
    leads = {"krakenkratom2026_dea", "filtermag2026_dea", "superspeciosa_tx2025",
             "kratomscience2026_tracker", "hhs2026_rfi_7oh"}
    kb = knowledge_base()
    checked = 0
    for code, entry in kb.legal.items():
        for item in (entry, *entry["products"], *entry["populations"]):
            if leads & set(item["sources"]):
                checked += 1
                assert item["unverified"], f"{code}: {item['summary'][:60]}"
    assert checked >= 8


def test_no_status_reads_as_permission():
    assert not any(s.startswith("legal") for s in LEGAL_STATUSES)
    assert not any(label.lower().startswith("legal") for label in STATUS_LABELS.values())
    assert set(STATUS_LABELS) == set(LEGAL_STATUSES)
