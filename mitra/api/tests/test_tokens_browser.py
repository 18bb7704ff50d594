"""A patient creates a token in the browser, sees it once, uses it, and revokes it."""

from __future__ import annotations

import pytest
from django.test import Client

from mitra.testing import TEST_PASSWORD, make_cast
from tests.browser import screenshot, ui_login


@pytest.mark.browser
def test_a_patient_creates_uses_and_revokes_a_token(browser_page):
    cast = make_cast()
    page = browser_page
    ui_login(page, cast.patient_user.username, TEST_PASSWORD)
    page.goto("/api/tokens/")
    page.get_by_label("Name").fill("phone app")
    page.get_by_label("FHIR R4 interface").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("mitra_pat_")
    screenshot(page, "api-tokens-created")

    api = Client().get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200 and api.json()["scopes"] == ["fhir", "read"]

    page.get_by_role("button", name="Revoke “phone app”").click()
    assert page.get_by_text("revoked").first.is_visible()
    assert secret not in page.content()
    path = screenshot(page, "api-tokens-revoked")
    assert path.stat().st_size > 10_000
    assert Client().get("/api/me", headers={"Authorization": f"Bearer {secret}"}) \
        .status_code == 401
