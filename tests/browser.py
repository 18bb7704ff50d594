"""Browser fixtures: Debian's chromium driven by Playwright against a live Mitra server.

Without chromium the browser tests are skipped with a notice; under CI=true they fail instead.
The same goes for axe-core (package.json, installed by `make test` with npm), which
`axe_violations` runs in a page to check its accessibility.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return os.environ.get("MITRA_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


def _required(message: str) -> None:
    """Skip with `message`, or fail under CI=true, where every check must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(message + " — required under CI")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_browser():
    path = chromium_path()
    if path is None:
        _required("browser tests need Debian's chromium (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, from the npm package that package.json pins."""
    if not AXE.exists():
        _required("accessibility checks need axe-core from npm (make test installs it when npm"
                  " is on PATH; or run npm ci)")
    return AXE.read_text(encoding="utf-8")


# Impacts that fail a page; "moderate" and "minor" ones are printed.
AXE_FAILING = ("serious", "critical")


def axe_violations(page, source: str) -> list[dict]:
    """axe-core's violations on the page as it is now, each with its impact and its nodes.

    The script is evaluated in the page's main world through the DevTools protocol, which the
    page's Content-Security-Policy (no inline script) does not govern; a <script> tag would be
    refused by it.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    return page.evaluate("""async () => {
        const result = await window.axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
    }""")


@pytest.fixture
def browser_page(chromium_browser, live_server, transactional_db):
    """A fresh phone-sized page whose base_url is the live server."""
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport={"width": 412, "height": 915}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def ui_login(page, username: str, password: str) -> None:
    """Sign in through the real login form, entering the TOTP code when asked."""
    from django.core.cache import cache

    from mitra.accounts.models import User
    from mitra.accounts.totp import current_code

    # allauth refuses a TOTP code used twice in one period; tests sign in more often than that.
    cache.clear()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    # A code computed just before its 30 s period ends may reach the server in the next one
    # (allauth allows no tolerance): one more try with the new period's code, never more.
    for _attempt in range(2):
        if "/2fa/authenticate" not in page.url:
            break
        page.fill("input[name=code]", current_code(User.objects.get(username=username)))
        page.click("form button[type=submit]")
        page.wait_for_load_state()


def sign_out_button(page):
    """The account menu's sign-out button, with the menu opened."""
    page.locator("details.account-menu > summary").click()
    button = page.locator("details.account-menu").get_by_role("button", name="Sign out")
    assert button.is_visible()
    return button


def ui_nav(page, label: str) -> None:
    """Follow the main menu's link `label` as a person would: from the header when it shows
    there, else from the folded "Menu" (a phone)."""
    link = page.locator("nav.main-nav .nav-links").get_by_role("link", name=label, exact=True)
    if not link.is_visible():
        page.locator("details.nav-fold > summary").click()
        link = page.locator("details.nav-fold").get_by_role("link", name=label, exact=True)
    link.click()
    page.wait_for_load_state()


def ui_logout(page) -> None:
    """Sign out through the account menu, as a person would."""
    sign_out_button(page).click()
    page.wait_for_url("**/accounts/**")


def demo_cohort(patients: int = 12, days: int = 60, seed: int = 7):
    """The demo cohort as `mitra demo` makes it, smaller."""
    from mitra.patients.cohort import app_populators, build_cohort

    ctx = build_cohort(patients=patients, days=days, seed=seed)
    for _label, populate in app_populators():
        populate(ctx)
    return ctx


def open_due_questionnaire(page, short_name: str):
    """From the patient's home page, open a due questionnaire; returns its item fieldsets."""
    from django.urls import reverse

    page.goto(reverse("core:me"))
    page.get_by_role("link", name=short_name).first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=short_name).is_visible()
    return page.locator("fieldset")
