"""The UI shell in a real browser on a phone-sized screen: layout, navigation per role, local
assets only, labelled fields, and a skip link that works from the keyboard."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.urls import reverse

from mitra.patients.cohort import DEMO_PASSWORD
from tests.browser import demo_cohort, screenshot, sign_out_button, ui_login

pytestmark = pytest.mark.browser

ALL_NAV = {"Caseload", "Home", "Cohort", "Users and teams"}
NAV_FOR = {"clinician": {"Caseload"}, "patient": {"Home", "Help now"}, "researcher": {"Cohort"},
           "admin": {"Users and teams"}}


def watch_requests(page, live_server) -> list[str]:
    """Every URL the page asks for, so a test can prove nothing leaves the server."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def assert_local_only(page, live_server, requested: list[str]) -> None:
    here = urlparse(live_server.url).netloc
    foreign = [u for u in requested if urlparse(u).scheme in ("http", "https")
               and urlparse(u).netloc != here]
    assert not foreign, f"external requests: {foreign}"
    # And in the markup itself: every script, stylesheet, icon and image is served locally.
    sources = page.eval_on_selector_all(
        "script[src], link[href], img[src], iframe[src], source[src]",
        "els => els.map(e => e.getAttribute('src') || e.getAttribute('href'))",
    )
    for src in sources:
        parsed = urlparse(src)
        assert not parsed.netloc or parsed.netloc == here, f"external asset: {src}"
    # Inline code is refused; a JSON data island (Django's json_script) is data, not code.
    inline = page.locator('script:not([src]):not([type="application/json"])')
    assert inline.count() == 0, "inline <script> found"


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide on a phone"


def assert_fields_labelled(page) -> None:
    unlabelled = page.eval_on_selector_all(
        "input:not([type=hidden]):not([type=submit]), select, textarea",
        "els => els.filter(e => e.offsetParent !== null && !(e.labels && e.labels.length)"
        " && !e.getAttribute('aria-label')).map(e => e.name)",
    )
    assert not unlabelled, f"fields without a label: {unlabelled}"


def nav_labels(page) -> set[str]:
    return set(page.locator("nav[aria-label=Main] a").all_inner_texts())


def test_login_page_on_a_phone(browser_page, live_server):
    page = browser_page
    requested = watch_requests(page, live_server)
    page.goto("/accounts/login/")
    assert page.get_by_label("Password").is_visible()
    assert_fields_labelled(page)
    assert_fits_the_phone(page)
    assert_local_only(page, live_server, requested)
    # Wrong credentials: a clear message on the page.
    page.fill("input[name=login]", "clinician")
    page.fill("input[name=password]", "not the password")
    page.click("form button[type=submit]")
    assert page.get_by_text("The username and/or password you specified are not correct.") \
        .is_visible()
    page.goto("/accounts/login/")
    path = screenshot(page, "login")
    assert path.stat().st_size > 5_000


def test_skip_link_moves_focus_to_the_content(browser_page):
    page = browser_page
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    assert page.locator(".skip-link").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.url.endswith("#main")


@pytest.mark.parametrize("username, start", [
    ("patient", "/me/"), ("clinician", "/caseload/"), ("researcher", "/research/"),
    ("admin", "/admin/"),
])
def test_each_role_lands_on_its_page_with_its_menu(browser_page, live_server, username, start):
    ctx = demo_cohort()
    page = browser_page
    requested = watch_requests(page, live_server)
    ui_login(page, username, DEMO_PASSWORD)
    assert urlparse(page.url).path == start, page.url
    if username != "admin":  # Django's admin has its own header
        labels = nav_labels(page)
        assert NAV_FOR[username] <= labels, labels
        assert not (ALL_NAV - NAV_FOR[username]) & labels, labels
        assert_fits_the_phone(page)
    assert_local_only(page, live_server, requested)
    if username == "clinician":
        first = ctx.patients[0].patient
        page.locator(f'a[href="/patients/{first.uuid}/"]').first.click()
        page.wait_for_load_state()
        assert first.pseudonym in page.content()
        assert_fits_the_phone(page)
        assert_local_only(page, live_server, requested)
    if username == "patient":
        assert page.get_by_role("heading", level=1).inner_text().startswith("Hello,")
        path = screenshot(page, "patient-home")
        assert path.stat().st_size > 5_000
    if username == "researcher":
        body = page.content()
        for p in ctx.patients:
            assert p.patient.display_name not in body
            assert p.patient.pseudonym not in body


def test_signing_out_returns_to_the_login_page(browser_page):
    demo_cohort()
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    sign_out_button(page).click()
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    page.goto("/me/")
    assert "/accounts/login/" in page.url


def _header_rows(page) -> float:
    """Height of the header's visible items from the top of the first to the bottom of the last."""
    return page.evaluate("""() => {
        const items = [...document.querySelectorAll(
            ".site-header > .brand, .nav-links li, .site-header details.menu > summary")]
            .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect());
        return Math.max(...items.map(b => b.bottom)) - Math.min(...items.map(b => b.top));
    }""")


PATIENT_PAGES = ["core:me", "diary:entry", "measures:due", "reports:my_trends", "cbt:home",
                 "safety:crisis", "safety:my_plan"]


def test_the_patient_menu_takes_one_row_on_a_phone_with_help_now_in_view(browser_page):
    demo_cohort()
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    ui_login(page, "patient", DEMO_PASSWORD)
    main_nav = page.locator("nav[aria-label=Main]")
    for name in PATIENT_PAGES:
        path = reverse(name)
        page.goto(path)
        rows = _header_rows(page)
        assert rows <= 50, f"{path}: the header takes {rows}px"
        assert main_nav.get_by_role("link", name="Help now").is_visible(), path
        heading = page.get_by_role("heading", level=1).bounding_box()
        assert heading["y"] < 120, (path, heading)  # content starts under that one row
        assert_fits_the_phone(page)
    screenshot(page, "ui-phone-menu-closed")
    # The rest of the menu folds into "Menu"; account settings are not in it at all.
    diary = main_nav.get_by_role("link", name="Diary", exact=True)
    assert not diary.is_visible()
    assert main_nav.get_by_role("link", name="API tokens").count() == 0
    assert main_nav.get_by_role("link", name="Security").count() == 0
    page.locator("details.nav-fold > summary").click()
    assert diary.is_visible()
    screenshot(page, "ui-phone-menu-open")
    # Escape closes it and gives the focus back to its button.
    page.keyboard.press("Escape")
    assert not diary.is_visible()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Menu"
    # One menu open at a time: opening the account menu closes the main one.
    page.locator("details.nav-fold > summary").click()
    page.locator("details.account-menu > summary").click()
    assert not diary.is_visible()
    account = page.locator("details.account-menu")
    for label in ("API tokens", "Security"):
        assert account.get_by_role("link", name=label).is_visible(), label
    screenshot(page, "ui-phone-account-open")
    # A click elsewhere closes it; the folded links lead where they say.
    page.mouse.click(5, 600)  # the page's margin, away from the open menu
    assert not account.get_by_role("link", name="Security").is_visible()
    page.locator("details.nav-fold > summary").click()
    diary.click()
    page.wait_for_load_state()
    assert urlparse(page.url).path == reverse("diary:entry")

    # On a desktop every main entry is in view in one row, and there is no "Menu".
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(reverse("core:me"))
    assert _header_rows(page) <= 50
    for label in ("Home", "Help now", "Safety plan", "Questionnaires", "Diary", "CBT",
                  "How I have been"):
        assert main_nav.get_by_role("link", name=label, exact=True).is_visible(), label
    assert not page.locator("details.nav-fold > summary").is_visible()
    assert not account.get_by_role("link", name="API tokens").is_visible()
    screenshot(page, "ui-desktop-menu")
