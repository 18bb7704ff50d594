"""Reminders answered in a real browser: the caseload's column with the compact desktop layout
kept, the low-adherence filter, the timeline's panel and the clinic page (screenshots under
test-artifacts/)."""

from __future__ import annotations

import pytest

from mitra.patients.cohort import DEMO_PASSWORD
from mitra.reminders.models import Delivery, Prompt
from mitra.reports.tests.helpers import add_prompts
from mitra.reports.tests.test_browser import _rows_in_view
from tests.browser import ARTIFACTS, demo_cohort, screenshot, ui_login

STORIES = ("aaaaaaaaaaaaaao", "amammmammaammmo", "aamaaaamaaaaaaa", "mmm", "afaamaaafaaamao")


def _cohort_with_reminders():
    ctx = demo_cohort(patients=30, days=60)
    # The demo's own reminder history is replaced by these hand-written stories.
    Delivery.objects.all().delete()
    Prompt.objects.all().delete()
    for p in ctx.patients:
        add_prompts(p.patient, STORIES[p.index % len(STORIES)])
    return ctx


@pytest.mark.browser
def test_the_caseload_shows_reminders_and_still_fits_15_patients(browser_page):
    ctx = _cohort_with_reminders()
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto("/caseload/")
    shown = _rows_in_view(page)
    page.screenshot(path=str(ARTIFACTS / "reports-caseload-reminders-desktop-screen.png"))
    assert shown >= 15, f"{shown} patients on a 1280x800 screen"
    wrap = page.locator(".table-wrap").evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert wrap[0] <= wrap[1], wrap
    cells = page.locator("td.dash-remind").all_inner_texts()
    # "aamaaaamaaaaaaa": the last 14 days hold 12 answered of 14, the last 7 in a row.
    assert any(c.split() == ["12/14", "·", "86%", "streak", "7"] for c in cells), cells
    assert any("low" in c for c in cells) and any("too few yet" in c for c in cells), cells
    # The filter, as a person uses it.
    page.select_option("#f-show", "low_adherence")
    page.click(".dash-apply button")
    page.wait_for_load_state()
    assert "show=low_adherence" in page.url
    low = page.locator("td.dash-remind").all_inner_texts()
    team_a = [p for p in ctx.patients if p.index % 10 != 9]
    assert len(low) == sum(STORIES[p.index % 5] == "amammmammaammmo" for p in team_a), low
    assert all("low" in c for c in low), low
    screenshot(page, "reports-caseload-low-adherence")
    # The patient's own panel on the timeline.
    page.locator("table.dashboard tbody tr th a").first.click()
    page.wait_for_load_state()
    panel = page.locator("section.reminders-panel")
    assert "low adherence" in panel.inner_text()
    panel.screenshot(path=str(ARTIFACTS / "reports-timeline-reminders-panel.png"))


@pytest.mark.browser
def test_the_clinic_page_on_a_desktop_and_a_phone(browser_page):
    _cohort_with_reminders()
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto("/reports/clinic/")
    assert page.get_by_role("heading", name="Team A", exact=True).is_visible()
    # Team A only, the demo clinician's: one measurement table, and its outcomes.
    assert page.locator("table.clinic", has_text="Month of enrolment").count() == 1
    assert page.locator("table.clinic", has_text="Reliable improvement").count() >= 1
    page.wait_for_selector("#outcomes-chart .main-svg")
    text = page.locator("main").inner_text()
    assert "Baseline within 7 days" in text and "Reminders answered" in text
    screenshot(page, "reports-clinic-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a phone"  # the table scrolls in its box
    screenshot(page, "reports-clinic-phone")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    assert download.value.suggested_filename.startswith("mitra-clinic-")
