"""The demo cohort's stories in a real browser: caseload, timelines, the patient's own view."""

from __future__ import annotations

import pytest

from mitra.patients.cohort import DEMO_PASSWORD, SUICIDE_RISK
from tests.browser import demo_cohort, screenshot, ui_login


def _story(ctx, trajectory: str):
    # Team B holds every tenth patient; the demo clinician sees Team A.
    return next(p.patient for p in ctx.patients
                if p.trajectory == trajectory and p.index % 10 != 9)


@pytest.mark.browser
def test_the_clinician_sees_the_stories_at_a_glance(browser_page):
    ctx = demo_cohort(patients=12, days=90)
    page = browser_page
    ui_login(page, "clinician", DEMO_PASSWORD)
    assert page.url.endswith("/caseload/"), page.url
    # One row per patient of the demo clinician's team (Team B holds every tenth).
    team_a = [p for p in ctx.patients if p.index % 10 != 9]
    assert page.locator("table.dashboard tbody tr").count() == len(team_a)
    screenshot(page, "reports-caseload-phone")
    page.set_viewport_size({"width": 1024, "height": 768})
    screenshot(page, "reports-caseload-tablet")

    # The suicide-risk story: its weeks-old urgent alert was acknowledged by the team within
    # minutes (mitra.safety.demo.finish) and is still followed, so the inbox shows it.
    suicide = _story(ctx, SUICIDE_RISK)
    page.goto("/safety/alerts/")
    item = page.locator("li.alert-item", has_text=suicide.display_name).filter(
        has_text="Suicide risk").first
    assert "Urgent" in item.inner_text() and "Acknowledged by" in item.inner_text()
    page.goto("/caseload/")

    # CBT homework: most overdue first; the demo leaves some homework overdue.
    page.goto("/caseload/?sort=homework")
    first_row = page.locator("table.dashboard tbody tr").first
    assert "overdue" in first_row.locator("td.dash-homework").inner_text()
    page.locator(".table-wrap").evaluate("el => el.scrollLeft = el.scrollWidth")
    screenshot(page, "reports-caseload-homework")

    page.select_option("#f-show", "taper")
    page.click(".dash-apply button")
    page.wait_for_load_state()
    assert "show=taper" in page.url
    assert "Stepping down" in page.locator("table.dashboard").inner_text() or \
        "Paused" in page.locator("table.dashboard").inner_text()

    for story in ("tapering", "escalating", SUICIDE_RISK):
        patient = _story(ctx, story)
        page.goto(f"/reports/patients/{patient.uuid}/timeline/?start={ctx.start}")
        page.wait_for_selector("#timeline .main-svg")
        text = page.locator("#timeline").inner_text()
        assert "PHQ-9" in text and "Daily amount" in text
        if story == "tapering":
            assert "Taper plan" in text
        screenshot(page, f"reports-timeline-{story}")
    page.set_viewport_size({"width": 412, "height": 915})
    page.reload()
    page.wait_for_selector("#timeline .main-svg")
    screenshot(page, "reports-timeline-phone")


@pytest.mark.browser
def test_the_patient_sees_how_they_have_been(browser_page):
    ctx = demo_cohort(patients=12, days=90)
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/reports/me/?start=" + ctx.start.isoformat())
    page.wait_for_selector("#timeline .main-svg")
    assert page.get_by_role("heading", name="How I have been").is_visible()
    body = page.locator("main").inner_text()
    assert "Mood questionnaire (PHQ-9)" in body
    assert "real improvement" in body  # the demo patient's story: improving to remission
    screenshot(page, "reports-my-trends")
