"""Browser fixtures: Debian's chromium driven by Playwright against a live Mitra server.

Without chromium the browser tests are skipped with a notice; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return os.environ.get("MITRA_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


@pytest.fixture(scope="session")
def chromium_browser():
    path = chromium_path()
    if path is None:
        message = "browser tests need Debian's chromium (apt install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — required under CI")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


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
