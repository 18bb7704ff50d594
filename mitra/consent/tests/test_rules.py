"""The coverage rule (plain Python) and the Part 2 data file."""

from __future__ import annotations

from typing import Any

import pytest

from mitra.consent import part2, rules

SU = frozenset({"substance_use"})
BOTH = frozenset({"substance_use", "mental_health"})


def grant(**kw) -> rules.Grant:
    base: dict[str, Any] = dict(key=1, scope="all", recipient_kind="organisation",
                                recipient_name="Riverside Pharmacy", recipient_account=None,
                                purpose="treatment")
    base.update(kw)
    return rules.Grant(**base)


def ask(**kw) -> rules.Ask:
    base: dict[str, Any] = dict(kinds=BOTH, recipient_name="Riverside Pharmacy",
                                recipient_account=None, purpose="treatment")
    base.update(kw)
    return rules.Ask(**base)


def test_a_consent_covers_its_named_recipient_without_regard_to_case_and_spacing():
    assert rules.covers(grant(), ask(recipient_name="  riverside   PHARMACY "))
    assert not rules.covers(grant(), ask(recipient_name="Riverside Pharmacy Ltd"))


def test_an_account_named_in_the_consent_decides_over_the_name():
    g = grant(recipient_account=7)
    assert rules.covers(g, ask(recipient_account=7, recipient_name="someone else"))
    assert not rules.covers(g, ask(recipient_account=8))


def test_a_revoked_or_expired_consent_covers_nothing():
    assert not rules.covers(grant(active=False), ask())


def test_scope_substance_use_does_not_cover_a_whole_record():
    g = grant(scope="substance_use")
    assert rules.covers(g, ask(kinds=SU))
    assert not rules.covers(g, ask(kinds=BOTH))
    assert not rules.covers(grant(scope="mental_health"), ask(kinds=SU))


def test_the_tpo_consent_covers_any_recipient_for_treatment_payment_and_operations_only():
    g = grant(recipient_kind="tpo", recipient_name="", purpose="tpo")
    for purpose in ("treatment", "payment", "operations"):
        assert rules.covers(g, ask(recipient_name="Any Clinic", purpose=purpose))
    assert not rules.covers(g, ask(purpose="research"))
    assert not rules.covers(g, ask(purpose="patient_request"))


def test_a_consent_for_one_purpose_does_not_cover_another():
    assert not rules.covers(grant(purpose="payment"), ask(purpose="treatment"))
    assert rules.covers(grant(purpose="tpo"), ask(purpose="payment"))


def test_covering_takes_the_first_grant_that_covers():
    grants = [grant(key=1, active=False), grant(key=2), grant(key=3)]
    found = rules.covering(grants, ask())
    assert found is not None and found.key == 2
    assert rules.covering([grant(active=False)], ask()) is None


@pytest.mark.parametrize(("grants", "words"), [
    ([], "no active consent"),
    ([grant(recipient_name="Other Clinic")], "names this recipient"),
    ([grant(purpose="payment")], "covers this purpose"),
    ([grant(scope="substance_use")], "covers these records"),
])
def test_missing_says_what_is_missing_naming_recipient_purpose_and_records(grants, words):
    message = rules.missing(grants, ask())
    assert words in message.lower()
    assert "Riverside Pharmacy" in message
    assert "treatment" in message
    assert "mental-health records and substance-use records" in message


def test_the_notice_is_the_2024_statement_with_its_unverified_parts_marked():
    notice = part2.notice()
    assert notice.text.startswith(
        "This record which has been disclosed to you is protected by Federal confidentiality "
        "rules (42 CFR part 2).")
    assert "42 CFR 2.64 or 2.65" in notice.text
    assert "\n" not in notice.text and "  " not in notice.text
    assert notice.verified == "partly" and "not re-checked" in notice.unverified


def test_consent_texts_are_looked_up_by_version_and_a_wrong_one_names_the_allowed():
    current = part2.consent_text()
    assert part2.consent_text(current.version) == current
    with pytest.raises(ValueError, match=f"text_version.*allowed: .*{current.version}"):
        part2.consent_text("1999-01")
    assert part2.load().as_of.year >= 2026
