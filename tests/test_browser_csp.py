"""The Content-Security-Policy in a real browser: the chart and diary pages work under it, with no
violation reported (plotly.js draws its charts, the diary's scripts run)."""

from __future__ import annotations

import pytest

from mitra.patients.cohort import DEMO_PASSWORD
from tests.browser import demo_cohort, ui_login

# Each violation is also recorded from the page's own securitypolicyviolation event, which names
# the directive and the blocked thing more exactly than the console line does.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' +
  e.lineNumber));
"""


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.add_init_script(RECORD_VIOLATIONS)
    return problems


def _visit(page, path: str, ready: str, problems: list[str]) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    header = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in header and "script-src 'self'" in header, (path, header)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__csp")
    assert not violations and not problems, (path, violations, problems)


@pytest.mark.browser
def test_chart_pages_run_under_the_policy_without_a_violation(browser_page):
    ctx = demo_cohort(patients=12, days=60)
    patient = next(p.patient for p in ctx.patients if p.index % 10 != 9)  # Team A
    page = browser_page
    problems = _watch(page)
    ui_login(page, "clinician", DEMO_PASSWORD)
    assert page.url.endswith("/caseload/"), page.url
    _visit(page, "/caseload/", "table.dashboard tbody tr", problems)
    _visit(page, f"/reports/patients/{patient.uuid}/timeline/?start={ctx.start}",
           "#timeline .main-svg", problems)
    # Plotly's hover labels and zoom add styles as the user moves over the chart.
    page.hover("#timeline .main-svg")
    page.mouse.move(200, 300)
    page.mouse.move(220, 310)
    _visit(page, f"/diary/patients/{patient.uuid}/", ".main-svg", problems)
    _visit(page, f"/measures/patients/{patient.uuid}/", "main h1", problems)


@pytest.mark.browser
def test_the_patients_diary_and_trends_run_under_the_policy(browser_page):
    ctx = demo_cohort(patients=12, days=60)
    page = browser_page
    problems = _watch(page)
    ui_login(page, "patient", DEMO_PASSWORD)
    _visit(page, "/diary/", "main form", problems)
    # The diary's own script runs: choosing a rating chip checks its radio button.
    page.locator("#rating-mood label.chip", has_text="6").first.click()
    assert page.locator("#rating-mood input[value='6']").is_checked()
    _visit(page, f"/reports/me/?start={ctx.start}", "#timeline .main-svg", problems)


@pytest.mark.browser
def test_the_api_docs_page_runs_under_its_policy(browser_page):
    page = browser_page
    problems = _watch(page)
    _visit(page, "/api/docs", "#swagger-ui .opblock", problems)
