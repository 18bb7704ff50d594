"""The demo patient completes a PHQ-9 on a phone; the demo clinician sees it in the history."""

import pytest
from django.urls import reverse

from mitra.measures.models import Response
from mitra.patients.cohort import DEMO_PASSWORD
from tests.browser import demo_cohort, open_due_questionnaire, screenshot, ui_login, ui_logout


@pytest.mark.browser
def test_the_demo_patient_completes_a_phq9_and_the_clinician_sees_the_score(browser_page):
    ctx = demo_cohort()
    page = browser_page
    patient = ctx.patients[0].patient
    ui_login(page, "patient", DEMO_PASSWORD)
    fieldsets = open_due_questionnaire(page, "PHQ-9")
    # First a submission with item 9 left out: the error names it and the answers stay.
    for index in range(8):
        fieldsets.nth(index).get_by_label("Several days").check()
    page.get_by_role("button", name="Save answers").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").get_by_text("Item 9 needs an answer").is_visible()
    assert fieldsets.nth(7).get_by_label("Several days").is_checked()
    screenshot(page, "measures-phq9-error")
    fieldsets.nth(8).get_by_label("Not at all").check()
    fieldsets.nth(9).get_by_label("Somewhat difficult").check()
    screenshot(page, "measures-phq9-form")
    page.get_by_role("button", name="Save answers").click()
    page.wait_for_load_state()
    # The next page says the answers are stored, with the total and its band (issue 18, 16).
    assert page.get_by_role("heading", name="Your PHQ-9 answers are saved").is_visible()
    latest = Response.objects.filter(patient=patient, instrument="phq9").latest("submitted_at")
    assert latest.total == 8 and latest.severity == "Mild"
    assert page.url.endswith(reverse("measures:saved", args=[latest.uuid]))
    score = " ".join(page.locator(".score-total").inner_text().split())
    assert score == "8 out of 27: Mild"
    assert page.locator(".score-bands li.current").inner_text().startswith("5-9: Mild")
    screenshot(page, "measures-phq9-saved")

    ui_logout(page)
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto(reverse("core:patient", args=[patient.uuid]))
    page.get_by_role("link", name="Questionnaires and scores").click()
    page.wait_for_load_state()
    history = page.locator("article.history").filter(has=page.get_by_role("heading",
                                                                           name="PHQ-9"))
    assert history.locator("p.latest").inner_text().startswith("Latest: 8 of 27 · Mild")
    first_row = history.locator("table tbody tr").first
    assert "8 / 27" in first_row.inner_text()
    page.wait_for_selector("[data-chart=phq9] .main-svg")  # plotly drew the chart
    path = screenshot(page, "measures-clinician-history")
    assert path.stat().st_size > 20_000
