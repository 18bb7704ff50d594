"""The de-identification rules (plain Python)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from mitra.research import deidentify as d

KEY, OTHER = "k" * 40, "z" * 40


def test_a_pseudonym_is_stable_under_one_key_and_differs_under_another():
    a = d.pseudonym(KEY, "3f1c-uuid")
    assert a == d.pseudonym(KEY, "3f1c-uuid") and a.startswith("R-") and len(a) == 18
    assert a != d.pseudonym(OTHER, "3f1c-uuid") and a != d.pseudonym(KEY, "another")
    assert "3f1c" not in a


def test_every_date_of_one_patient_moves_by_the_same_1_to_365_days():
    shifts = {d.shift_days(KEY, f"patient-{n}") for n in range(500)}
    assert min(shifts) >= 1 and max(shifts) <= 365 and len(shifts) > 200
    s = d.subject(KEY, "patient-1", date(2026, 3, 1))
    first, later = s.day(date(2026, 3, 1)), s.day(date(2026, 3, 15))
    assert first is not None and later is not None
    assert (later - first).days == 14 and first != date(2026, 3, 1)
    at = datetime(2026, 3, 1, 9, 30)
    assert at - s.moment(at) == s.shift == timedelta(days=d.shift_days(KEY, "patient-1"))
    assert s.day_in_care(date(2026, 3, 15)) == 14 and s.day(None) is None


def test_ages_over_89_are_one_group_and_birthdays_count():
    on = date(2026, 6, 15)
    assert d.age_group(date(1980, 6, 16), on) == "45"  # the birthday is tomorrow
    assert d.age_group(date(1980, 6, 15), on) == "46"
    assert d.age_group(date(1937, 1, 1), on) == "89"
    assert d.age_group(date(1936, 1, 1), on) == "90+"
    assert d.age_group(date(1920, 1, 1), on) == "90+"
    assert d.age_group(None, on) == ""


def test_jurisdiction_is_the_country_or_a_us_state():
    assert d.jurisdiction("us-ca") == "US-CA"
    assert d.jurisdiction("TH") == "TH"
    assert d.jurisdiction("DE-BY") == "DE"  # finer than a country outside the US: cut
    assert d.jurisdiction("") == ""
