"""On a phone (390x844): the clinician enrols a patient from the caseload and shows the QR code
and short code; the patient opens the invitation link, signs up (terms, password, reminders) and
lands on their home page. Screenshots go to test-artifacts/enrolment-*.png."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from mitra.accounts.models import Membership
from mitra.enrolment.models import Acceptance
from mitra.patients.models import Patient
from mitra.testing import TEST_PASSWORD, make_cast
from tests.browser import axe_violations, screenshot, ui_login

PHONE = {"width": 390, "height": 844}
PASSWORD = "a phrase only nina knows 31"  # noqa: S105


@pytest.mark.browser
def test_a_clinician_enrols_a_patient_who_signs_up_on_their_phone(browser_page, axe_source,
                                                                  settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cast = make_cast()
    Membership.objects.create(team=cast.team_b, user=cast.clinician)  # a choice of teams
    page = browser_page
    page.set_viewport_size(PHONE)
    # The inline SVG QR code must run under the Content-Security-Policy without a violation.
    csp_problems: list[str] = []
    page.on("console", lambda m: csp_problems.append(m.text)
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None)
    ui_login(page, "alice", TEST_PASSWORD)
    page.goto("/caseload/")
    page.get_by_role("link", name="Add patient").click()
    page.get_by_label("Name", exact=True).fill("Nina Newcomer")
    page.get_by_label("Date of birth").fill("1990-04-05")
    page.get_by_label("E-mail address").fill("nina@example.org")
    page.get_by_label("Mobile phone (optional)").fill("+1 415 555 0100")
    page.get_by_label("Where they live").select_option("US-CA")
    page.get_by_label("Time zone").fill("Mars/Base")
    page.get_by_label("Care team").select_option(label="Team A")
    page.get_by_role("button", name="Enrol and send the invitation").click()
    # The server names the field and keeps the answers.
    assert "time_zone: unknown time zone 'Mars/Base'" in page.locator(".errorlist").inner_text()
    assert page.get_by_label("Name", exact=True).input_value() == "Nina Newcomer"
    screenshot(page, "enrolment-add-error-phone")
    page.get_by_label("Time zone").fill("America/Los_Angeles")
    page.get_by_role("button", name="Enrol and send the invitation").click()
    page.get_by_role("heading", name=re.compile("Invitation and sign-up")).wait_for()
    assert page.get_by_text("is enrolled and an invitation was sent").is_visible()
    screenshot(page, "enrolment-invitation-phone")
    page.get_by_role("button", name="Show QR code and short code").click()
    qr = page.get_by_role("img", name="QR code of the invitation link")
    qr.wait_for()
    box = qr.bounding_box()
    # Big enough to scan from a phone held near the screen, and inside the viewport.
    assert box["width"] >= 200 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    code = page.locator(".short-code").inner_text()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code), code
    screenshot(page, "enrolment-qr-phone")
    assert csp_problems == []
    failing = [v for v in axe_violations(page, axe_source) if v["impact"] in ("serious",
                                                                             "critical")]
    assert not failing, failing

    # The patient's phone: a fresh browser. The mailed link was replaced by the shown one;
    # resend it, as a clinician would when the patient prefers the e-mail.
    page.get_by_role("button", name=re.compile("Resend by e-mail")).click()
    page.get_by_text("A new invitation was sent").wait_for()
    link = re.search(r"https?://\S+/accounts/invitation/[\w-]+/", mail.outbox[-1].body).group(0)
    phone = page.context.browser.new_context(viewport=PHONE)
    try:
        patient_page = phone.new_page()
        patient_page.goto(link)
        patient_page.get_by_role("heading", name=re.compile("Welcome to")).wait_for()
        assert patient_page.url.endswith("/join/welcome/")
        screenshot(patient_page, "enrolment-signup-phone")
        assert not [v for v in axe_violations(patient_page, axe_source)
                    if v["impact"] in ("serious", "critical")]
        patient_page.get_by_label("New password", exact=True).fill(PASSWORD)
        patient_page.get_by_label("New password confirmation").fill(PASSWORD)
        patient_page.get_by_role("button", name="Accept and set my password").click()
        # Not accepted yet: said, naming the box.
        assert "accept_terms" in patient_page.locator(".errorlist").first.inner_text()
        patient_page.get_by_label("I have read the terms").check()
        patient_page.get_by_label("New password", exact=True).fill(PASSWORD)
        patient_page.get_by_label("New password confirmation").fill(PASSWORD)
        patient_page.get_by_role("button", name="Accept and set my password").click()
        # The consent step is optional: "Not now" goes on.
        patient_page.get_by_role(
            "heading", name="May your care team share your records?").wait_for()
        patient_page.get_by_role("link", name="Not now").click()
        patient_page.get_by_role("heading", name="When may we remind you?").wait_for()
        screenshot(patient_page, "enrolment-reminders-phone")
        patient_page.get_by_label("Quiet hours from").fill("22:00")
        patient_page.get_by_label("Quiet hours until").fill("07:00")
        patient_page.get_by_role("button", name="Save and continue").click()
        patient_page.get_by_role("heading", name="Hello, Nina Newcomer").wait_for()
        assert patient_page.url.endswith("/me/")
        screenshot(patient_page, "enrolment-home-phone")
    finally:
        phone.close()
    patient = Patient.objects.get(display_name="Nina Newcomer")
    assert patient.user.check_password(PASSWORD)
    assert Acceptance.objects.filter(user=patient.user).exists()
