"""On a phone-sized Chromium: the patient gives a consent, sees it in My consents, revokes it
(after a confirmation), and the disclosure gate refuses at once. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from mitra.consent import disclosure
from mitra.consent.models import Consent
from mitra.testing import TEST_PASSWORD, make_cast
from tests.browser import screenshot, ui_login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_give_see_and_revoke_a_consent_on_a_phone(browser_page):
    cast = make_cast()
    page = browser_page
    page.set_viewport_size(PHONE)
    ui_login(page, "pat", TEST_PASSWORD)
    page.goto("/consent/")
    page.get_by_role("link", name="Give a consent").click()
    page.get_by_role("heading", name="Give a consent").wait_for()
    assert "consent-2026-12" in page.inner_text("main")
    # Sent without a signature: refused, naming the field.
    page.get_by_role("button", name="Sign this consent").click()
    page.locator("#error-summary").wait_for()
    assert "Type your full name to sign is required." in page.inner_text("#error-summary")
    screenshot(page, "consent-give-errors-phone")
    page.get_by_label("Substance-use records").check()
    page.get_by_label("A named organisation").check()
    page.get_by_label("Name of the person or organisation").fill("Riverside Pharmacy")
    page.get_by_label("Purpose").select_option("treatment")
    page.get_by_label("Or until an event").fill("the end of my care")
    page.get_by_label("Type your full name to sign").fill("Pat Example")
    screenshot(page, "consent-give-phone")
    page.get_by_role("button", name="Sign this consent").click()
    page.get_by_role("heading", name="My consents").wait_for()
    assert "Your consent is saved" in page.inner_text("main")
    screenshot(page, "consent-mine-phone")
    consent = Consent.objects.get(patient=cast.patient)
    assert consent.is_active() and consent.scope == "substance_use"
    page.get_by_role("link", name="Revoke: Substance-use records to Riverside Pharmacy").click()
    page.get_by_role("heading", name="Revoke this consent?").wait_for()
    screenshot(page, "consent-revoke-confirm-phone")
    page.get_by_role("button", name="Yes, revoke it").click()
    page.get_by_role("heading", name="My consents").wait_for()
    screenshot(page, "consent-revoked-phone")
    assert "Consent revoked" in page.inner_text("main")
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    with pytest.raises(disclosure.ConsentMissing):
        disclosure.require_consent(cast.patient, kinds=frozenset({"substance_use"}),
                                   recipient_name="Riverside Pharmacy", purpose="treatment")
