import pytest

from mitra.patients.cohort import DEMO_PASSWORD
from tests.browser import demo_cohort, screenshot, ui_login


@pytest.mark.browser
def test_demo_clinician_signs_in_and_sees_the_caseload(browser_page):
    ctx = demo_cohort()
    page = browser_page
    ui_login(page, "clinician", DEMO_PASSWORD)
    assert page.url.endswith("/caseload/"), page.url
    first = ctx.patients[0].patient.display_name
    assert page.get_by_role("heading", name="Caseload").is_visible()
    assert page.get_by_text(first).first.is_visible()
    path = screenshot(page, "caseload")
    assert path.stat().st_size > 10_000
