"""axe-core (npm, pinned in package.json) on the patient's and the clinician's pages, on a desktop
(1280x800) and a phone (390x844): no violation of impact serious or critical; moderate and minor
ones are printed. Each page is saved under test-artifacts/ as a11y-<role>-<page>-<size>.png."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from mitra.patients.cohort import DEMO_PASSWORD, SUICIDE_RISK
from tests.browser import (
    ARTIFACTS,
    AXE_FAILING,
    axe_violations,
    demo_cohort,
    screenshot,
    ui_login,
)

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PATIENT_PAGES = ["core:me", "diary:entry", "measures:due", "reports:my_trends", "cbt:home",
                 "safety:crisis", "safety:my_plan", "enrolment:preferences",
                 "reminders:preferences", "reminders:history", "consent:mine", "consent:give",
                 "enrolment:consent", "records:my_accounting", "records:my_requests"]
CLINICIAN_PAGES = ["core:caseload", "core:patient", "reports:timeline",
                   "reports:report_for_whom", "safety:inbox", "diary:patient_diary",
                   "diary:patient_nof1", "measures:patient", "enrolment:add",
                   "enrolment:invitation", "reports:clinic", "consent:patient",
                   "consent:record_paper", "records:queue", "records:patient_accounting",
                   "records:patient_requests"]
# Pages before sign-in: the short code (/join/) and the sign-up's "no invitation open" page.
PUBLIC_PAGES = ["enrolment:join", "enrolment:signup"]


def _fresh_report(role: str, size: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{role}-{size}.txt").write_text("", encoding="utf-8")


def _check(page, axe_source, name: str, size: str, role: str) -> list[str]:
    """axe on the page as shown: the failing violations as lines. Every violation, failing or
    not, is printed (shown with -s or -rP) and written to test-artifacts/axe-<role>-<size>.txt."""
    page.wait_for_load_state("networkidle")
    if page.locator("#timeline").count():  # the chart is part of the page: check it drawn
        page.wait_for_selector("#timeline .main-svg")
    screenshot(page, f"a11y-{role}-{re.sub(r'[^a-z0-9]+', '-', name).strip('-')}-{size}")
    failing = []
    with (ARTIFACTS / f"axe-{role}-{size}.txt").open("a", encoding="utf-8") as report:
        for v in axe_violations(page, axe_source):
            line = f"{name} [{size}] {v['impact']} {v['id']}: {v['help']} at " + ", ".join(
                n["target"] for n in v["nodes"][:5])
            if v["impact"] in AXE_FAILING:
                failing.append(line)
            print("axe:", line)  # noqa: T201 - the moderate and minor findings, for a reader
            report.write(line + "\n")
    return failing


@pytest.mark.parametrize("size", SIZES)
def test_the_patient_pages_have_no_serious_or_critical_axe_violation(browser_page, axe_source,
                                                                      size):
    demo_cohort()
    page = browser_page
    page.set_viewport_size(SIZES[size])
    _fresh_report("patient", size)
    ui_login(page, "patient", DEMO_PASSWORD)
    failing = []
    for name in PATIENT_PAGES:
        page.goto(reverse(name))
        failing += _check(page, axe_source, name, size, "patient")
    # The fold-out menus, opened, are part of every page.
    page.goto(reverse("core:me"))
    for menu in (["details.nav-fold"] if size == "phone" else []) + ["details.account-menu"]:
        page.locator(f"{menu} > summary").click()
        failing += _check(page, axe_source, f"core:me with {menu} open", size, "patient")
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize("size", SIZES)
def test_the_clinician_pages_have_no_serious_or_critical_axe_violation(browser_page, axe_source,
                                                                        size):
    ctx = demo_cohort(patients=30)
    # A patient whose timeline has everything: alerts, an item alert, medications, homework.
    story = next(p.patient for p in ctx.patients
                 if p.trajectory == SUICIDE_RISK and p.index % 10 != 9)
    page = browser_page
    page.set_viewport_size(SIZES[size])
    _fresh_report("clinician", size)
    ui_login(page, "clinician", DEMO_PASSWORD)
    failing = []
    for name in CLINICIAN_PAGES:
        args = [story.uuid] if "patient" in name or name in (
            "reports:timeline", "reports:report_for_whom", "enrolment:invitation",
            "consent:record_paper") else []
        page.goto(reverse(name, args=args))
        failing += _check(page, axe_source, name, size, "clinician")
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize("size", SIZES)
def test_the_public_pages_have_no_serious_or_critical_axe_violation(browser_page, axe_source,
                                                                     size):
    page = browser_page
    page.set_viewport_size(SIZES[size])
    _fresh_report("public", size)
    failing = []
    for name in PUBLIC_PAGES:
        page.goto(reverse(name))
        failing += _check(page, axe_source, name, size, "public")
    # The short code form with its error shown.
    page.goto(reverse("enrolment:join"))
    page.get_by_label("Your code").fill("AAAA-AAAA")
    page.get_by_role("button", name="Continue").click()
    failing += _check(page, axe_source, "enrolment:join with an error", size, "public")
    assert not failing, "\n".join(failing)


def test_axe_finds_what_it_is_there_to_find(browser_page, axe_source):
    """The check itself: a chart container that is an image holding a control (the markup the
    timeline had) is reported as serious, so a clean run above means something."""
    page = browser_page
    page.goto("/accounts/login/")
    page.evaluate("""() => {
        const div = document.createElement("div");
        div.setAttribute("role", "img");
        div.setAttribute("aria-label", "A chart");
        div.innerHTML = '<button type="button">Zoom</button>';
        document.querySelector("main").appendChild(div);
    }""")
    found = {v["id"]: v["impact"] for v in axe_violations(page, axe_source)}
    assert found.get("nested-interactive") == "serious", found
