"""In a real browser: an urgent alert for the demo patient comes first in the demo clinician's
inbox and is acknowledged; the patient's crisis page shows help and the safety plan."""

import pytest

from mitra.core.cohort import DEMO_PASSWORD
from mitra.safety.models import Alert
from mitra.safety.tests.factories import make_alert
from tests.browser import ARTIFACTS, demo_cohort, screenshot, ui_login


@pytest.mark.browser
def test_clinician_sees_the_urgent_alert_first_and_acknowledges_it(browser_page):
    ctx = demo_cohort()
    patient = ctx.patients[0].patient
    alert = make_alert(patient, key="phq9:item9:browser", reason="PHQ-9 item 9 answered 2")
    page = browser_page

    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/safety/crisis/")
    assert page.get_by_text("988 Suicide & Crisis Lifeline", exact=True).is_visible()
    assert page.get_by_role("link", name="Open my").first.is_visible()
    screenshot(page, "safety-crisis-patient")
    page.context.clear_cookies()

    ui_login(page, "clinician", DEMO_PASSWORD)
    page.get_by_role("link", name="Alerts").first.click()
    page.wait_for_load_state()
    first = page.locator(".alert-item").first
    assert first.get_attribute("data-alert") == str(alert.uuid)
    assert "Urgent" in first.inner_text() and patient.display_name in first.inner_text()
    screenshot(page, "safety-inbox")
    page.screenshot(path=str(ARTIFACTS / "safety-inbox-top.png"))  # what a phone shows first
    first.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert page.get_by_text("Acknowledged:").first.is_visible()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.acknowledged_by.username == "clinician"
    screenshot(page, "safety-inbox-acknowledged")


@pytest.mark.browser
def test_clinician_reads_the_intake_screening(browser_page):
    ctx = demo_cohort()
    patient = ctx.patients[0].patient
    page = browser_page
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto(f"/safety/patients/{patient.uuid}/intake/")
    assert page.get_by_role("heading", name="Legal status").is_visible()
    assert page.get_by_role("heading", name="Screening findings").is_visible()
    screenshot(page, "safety-intake")
