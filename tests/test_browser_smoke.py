import pytest

from mitra.patients.cohort import DEMO_PASSWORD
from tests.browser import demo_cohort, screenshot, ui_login


@pytest.mark.browser
def test_demo_clinician_signs_in_and_sees_the_caseload(browser_page):
    ctx = demo_cohort()
    page = browser_page
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    ui_login(page, "clinician", DEMO_PASSWORD)
    assert page.url.endswith("/caseload/"), page.url
    first = ctx.patients[0].patient.display_name
    assert page.get_by_role("heading", name="Caseload").is_visible()
    assert page.get_by_text(first).first.is_visible()
    path = screenshot(page, "caseload")
    assert path.stat().st_size > 10_000
    assert not failed, failed
    # The page names its icon, and /favicon.ico (asked for by pages that name none) leads to it.
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and icon.endswith(".svg"), icon
    for url in (icon, "/favicon.ico"):
        answer = page.request.get(url)
        assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg"), (
            url, answer.status, answer.headers)
