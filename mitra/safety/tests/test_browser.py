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


@pytest.mark.browser
def test_the_clinician_filters_groups_and_pages_the_inbox(browser_page):
    """Issue 18, item 8: the inbox is a page of open alerts, new first, with filters by
    state, priority, kind and patient, grouping by patient and pages; cards name the kind once."""
    from mitra.safety import inbox

    ctx = demo_cohort()
    page = browser_page
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.get_by_role("link", name="Alerts").first.click()
    page.wait_for_load_state()
    cards = page.locator(".alert-item")
    assert 0 < cards.count() <= inbox.PAGE_SIZE
    # New before acknowledged, never a resolved one by default.
    states = [c.get_attribute("class").split()[-1] for c in cards.all()]
    assert "s-resolved" not in states
    assert states == sorted(states, key=lambda s: s != "s-open")
    # The demo's suicide-risk card: its kind once, the reason without the repeated labels.
    risk = page.locator(".alert-item", has_text="Suicide risk").first
    text = risk.inner_text()
    assert text.count("Suicide risk") == 1 and "Possible suicide risk" not in text
    assert "PHQ-9 item 9" in text and "PHQ-9: " not in text
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "inbox-desktop")
    page.set_viewport_size({"width": 412, "height": 915})
    screenshot(page, "inbox-phone")
    page.screenshot(path=str(ARTIFACTS / "inbox-phone-top.png"))

    # Filter: acknowledged, high priority. Every card says so.
    page.get_by_label("State").select_option("acknowledged")
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert "state=acknowledged" in page.url and "priority=high" in page.url
    for card in page.locator(".alert-item").all():
        assert "High" in card.inner_text() and "Acknowledged" in card.inner_text()
    expected = Alert.objects.filter(patient__in=[dp.patient for dp in ctx.patients],
                                    status=Alert.Status.ACKNOWLEDGED,
                                    priority=Alert.Priority.HIGH).count()
    assert expected and page.locator("#inbox-total").inner_text().startswith(
        f"{expected} alert")
    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_load_state()

    # Grouped by patient: a heading a patient, then only that patient's alerts.
    page.get_by_label("Show").select_option("patient")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    groups = page.locator(".alert-group")
    assert 0 < groups.count() <= inbox.GROUPS_PER_PAGE
    first = groups.first
    name = first.get_by_role("heading", level=2).inner_text()
    assert first.locator(".alert-item").count() <= inbox.ALERTS_PER_GROUP
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "inbox-grouped-desktop")
    page.set_viewport_size({"width": 412, "height": 915})
    screenshot(page, "inbox-grouped-phone")
    first.get_by_role("link", name="Only this patient").click()
    page.wait_for_load_state()
    assert page.get_by_text("Only the alerts of").is_visible()
    shown = page.locator(".alert-item")
    assert shown.count() > 0
    patient = next(dp.patient for dp in ctx.patients if dp.patient.display_name in name)
    uuids = {c.get_attribute("data-alert") for c in shown.all()}
    assert uuids <= {str(u) for u in Alert.objects.filter(patient=patient)
                     .values_list("uuid", flat=True)}

    # Acknowledging from a filtered page comes back to it.
    url = page.url
    new = page.locator(".alert-item.s-open")
    if new.count():
        new.first.get_by_role("button", name="Acknowledge").click()
        page.wait_for_load_state()
        assert page.url == url and page.get_by_text("Acknowledged:").first.is_visible()

    # Every resolved alert is there too, in pages.
    page.goto(f"{reverse('safety:inbox')}?state=all")
    resolved = Alert.objects.filter(patient__in=[dp.patient for dp in ctx.patients]).count()
    if resolved > inbox.PAGE_SIZE:
        page.get_by_role("link", name="Next").click()
        page.wait_for_load_state()
        assert "page=2" in page.url and page.get_by_text("Page 2 of").first.is_visible()

    # A value the inbox does not know: a message naming the allowed ones, not an error page.
    answer = page.goto(f"{reverse('safety:inbox')}?priority=very")
    assert answer.status == 400
    assert page.get_by_role("alert").inner_text().startswith(
        "priority: 'very' is not allowed; allowed values: urgent, high, normal, low")
