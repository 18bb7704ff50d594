from datetime import date

import pytest

from mitra.safety.legal import UnknownJurisdiction, legal_status, possibly_out_of_date

TODAY = date(2026, 11, 22)


def test_a_us_state_entry_has_status_dates_and_sources():
    al = legal_status("US-AL", TODAY)
    assert al["status"] == "banned"
    assert al["effective"] == "2016-05" and al["as_of"] == "2025-10"
    assert al["sources"] and al["confidence"] == "medium"


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


def test_a_state_without_an_entry_shows_the_federal_position_not_legal():
    ny = legal_status("US-NY", TODAY)
    assert ny["status"] == "no_state_entry"
    assert ny["federal"]["jurisdiction"] == "US"
    assert ny["possibly_out_of_date"] is True


def test_an_unknown_code_raises():
    for code in ("XX", "US-ZZ", "Thailand"):
        with pytest.raises(UnknownJurisdiction):
            legal_status(code, TODAY)


def test_entries_older_than_twelve_months_are_marked():
    assert legal_status("US-AL", TODAY)["possibly_out_of_date"] is True  # as of 2025-10
    assert legal_status("US-AL", date(2026, 6, 1))["possibly_out_of_date"] is False
    assert legal_status("US", TODAY)["possibly_out_of_date"] is False  # as of 2026-07-01


@pytest.mark.parametrize("as_of, stale", [
    ("2025-11-22", False), ("2025-11-21", True), ("2025-11", True), ("2026", False),
    ("undated", True),
])
def test_staleness_boundary(as_of, stale):
    assert possibly_out_of_date(as_of, TODAY) is stale
