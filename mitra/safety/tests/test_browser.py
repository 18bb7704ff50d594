"""In a real browser: the demo patient answers PHQ-9 item 9 above zero through the form and lands
on the crisis resources; the demo clinician sees that urgent alert first in the inbox and
acknowledges it. Also: the clinician reads the intake screening."""

import pytest
from django.urls import reverse

from mitra.measures.models import Response
from mitra.patients.cohort import DEMO_PASSWORD
from mitra.safety.models import Alert
from tests.browser import (
    ARTIFACTS,
    demo_cohort,
    open_due_questionnaire,
    screenshot,
    ui_login,
    ui_logout,
)


@pytest.mark.browser
def test_item_9_shows_crisis_help_and_the_clinician_acknowledges_the_urgent_alert_first(
    browser_page,
):
    ctx = demo_cohort()
    patient = ctx.patients[0].patient
    page = browser_page

    # The demo patient answers the PHQ-9 on the phone, item 9 above "Not at all".
    ui_login(page, "patient", DEMO_PASSWORD)
    fieldsets = open_due_questionnaire(page, "PHQ-9")
    for index in range(8):
        fieldsets.nth(index).get_by_label("Not at all").check()
    fieldsets.nth(8).get_by_label("Several days").check()  # item 9
    screenshot(page, "safety-phq9-item9")
    page.get_by_role("button", name="Save answers").click()
    page.wait_for_load_state()

    # The very next page: crisis lines, the care team alerted, the way to the safety plan.
    assert page.url.endswith(reverse("safety:crisis"))
    assert page.get_by_text("988 Suicide & Crisis Lifeline", exact=True).is_visible()
    assert page.get_by_text("Your care team has been told").is_visible()
    assert page.get_by_role("link", name="Open my").first.is_visible()
    screenshot(page, "safety-crisis-patient")
    response = Response.objects.filter(patient=patient, instrument="phq9").latest(
        "submitted_at")
    assert response.answers["phq9.q9"] == 1
    alert = Alert.objects.get(patient=patient, source_uuid=response.uuid,
                              kind=Alert.Kind.SUICIDE_RISK)
    assert alert.priority == Alert.Priority.URGENT and alert.status == Alert.Status.OPEN

    ui_logout(page)

    # The demo clinician: that alert is the first in the inbox; acknowledge it.
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
    screenshot(page, "safety-inbox-acknowledged")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED and alert.acknowledged_at
    assert alert.acknowledged_by.username == "clinician"


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
