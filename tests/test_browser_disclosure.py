"""In a browser: the clinician's "For whom?" step, the refusal without a consent, the consented
PDF with its §2.32 notice, and an outside recipient's home; axe-core on each page, on a phone
(the pages are saved under test-artifacts/ as disclosure-*.png)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mitra.consent import part2
from mitra.consent.models import Consent, Disclosure, Purpose, Scope
from mitra.testing import TEST_PASSWORD, make_cast, make_recipient
from tests.browser import AXE_FAILING, axe_violations, screenshot, ui_login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _serious(page, axe_source) -> list[str]:
    return [f"{v['impact']} {v['id']}: {v['help']}" for v in axe_violations(page, axe_source)
            if v["impact"] in AXE_FAILING]


def _consent(patient) -> Consent:
    return Consent.objects.create(
        patient=patient, scope=Scope.ALL, recipient_kind=Consent.RecipientKind.ORGANISATION,
        recipient_name="Riverside Pharmacy", purpose=Purpose.TREATMENT,
        expiry_event="the end of my care", text_version=part2.consent_text().version,
        signed_name=patient.display_name, signed_at=timezone.now() - timedelta(minutes=1))


def _fill_for_whom(page) -> None:
    page.get_by_label("Recipient's name").fill("Riverside Pharmacy")
    page.get_by_label("An organisation").check()
    page.get_by_label("Purpose").select_option("treatment")


def test_a_report_is_refused_without_consent_and_carries_the_notice_with_one(browser_page,
                                                                             axe_source):
    cast = make_cast()
    page = browser_page
    page.set_viewport_size(PHONE)
    ui_login(page, cast.clinician.username, TEST_PASSWORD)
    page.goto(reverse("reports:timeline", args=[cast.patient.uuid]))
    page.get_by_role("link", name="PDF report for this period").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="For someone outside the care team").is_visible()
    screenshot(page, "disclosure-for-whom-phone")
    problems = _serious(page, axe_source)

    _fill_for_whom(page)
    page.get_by_role("button", name="Disclose the report").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Disclosure refused").is_visible()
    assert "Riverside Pharmacy" in page.get_by_role("alert").inner_text()
    link = page.get_by_role("link", name=f"Consents of {cast.patient.display_name}")
    assert link.get_attribute("href") == reverse("consent:patient", args=[cast.patient.uuid])
    screenshot(page, "disclosure-refused-phone")
    problems += _serious(page, axe_source)
    assert not Disclosure.objects.exists()

    _consent(cast.patient)
    page.go_back()
    page.reload()  # a fresh submission id
    _fill_for_whom(page)
    with page.expect_response(lambda r: "/report/disclose/" in r.url) as answer:
        page.get_by_role("button", name="Disclose the report").click()
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    # The browser's PDF viewer holds the body; the notice in the PDF's text is checked in
    # tests/test_authorization_consent.py. Here: the same submission made one disclosure.
    row = Disclosure.objects.get()
    assert row.recipient_name == "Riverside Pharmacy" and row.notice_version
    assert not problems, "\n".join(problems)


def test_an_outside_recipient_sees_the_patients_who_consented_to_them(browser_page,
                                                                      axe_source):
    cast = make_cast()
    recipient = make_recipient(cast)
    _consent(cast.patient)
    page = browser_page
    page.set_viewport_size(PHONE)
    ui_login(page, recipient.username, TEST_PASSWORD)
    page.goto(reverse("core:home"))
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Records shared with you").is_visible()
    assert page.get_by_role("cell", name=cast.patient.display_name, exact=True).is_visible()
    screenshot(page, "disclosure-recipient-home-phone")
    problems = _serious(page, axe_source)
    assert not problems, "\n".join(problems)
