"""The two menus: the main one per role, and the account menu (API tokens, Security, sign out),
which keeps account settings out of a patient's everyday menu."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from mitra.lib import navigation
from mitra.testing import login, make_cast

ACCOUNT = {"API tokens", "Security"}


def _labels(items) -> list[str]:
    return [i["label"] for i in items]


@pytest.mark.parametrize("role", ["patient", "clinician", "researcher", "admin"])
def test_api_tokens_and_security_are_in_the_account_menu_of_every_role_not_the_main_one(role):
    assert ACCOUNT <= set(_labels(navigation.items_for(role, "/", menu="account")))
    assert not ACCOUNT & set(_labels(navigation.items_for(role, "/")))


def test_help_now_is_pinned_second_in_the_patient_menu_and_only_there():
    main = navigation.items_for("patient", "/")
    assert _labels(main)[:2] == ["Home", "Help now"]
    assert [i["label"] for i in main if i["pinned"]] == ["Help now"]
    assert "Help now" not in _labels(navigation.items_for("clinician", "/"))


def test_a_menu_other_than_main_or_account_is_refused_naming_the_allowed_ones():
    with pytest.raises(ValueError, match="menu: 'footer'; allowed: 'main', 'account'"):
        navigation.register("Somewhere", "core:me", "patient", menu="footer")


@pytest.mark.django_db
def test_the_patient_page_puts_account_links_in_the_account_menu_and_folds_the_rest():
    client = login(Client(), make_cast().patient_user)
    html = client.get(reverse("diary:entry")).content.decode()
    nav = re.search(r'<nav[^>]*aria-label="Main".*?</nav>', html, re.S).group(0)
    account = re.search(r'<details class="menu account-menu">.*?</details>', html, re.S).group(0)
    for label in ACCOUNT:
        assert f">{label}<" not in nav, label
        assert f">{label}<" in account, label
    assert "Sign out (" in account and "Sign out" not in nav
    # The folded part ("Menu" on a phone) holds every main entry but the pinned Help now, and
    # the page being shown is marked current in both places.
    fold = re.search(r'<details class="menu nav-fold">.*?</details>', nav, re.S).group(0)
    assert "Help now" not in fold and ">Diary<" in fold and ">Home<" in fold
    diary = reverse("diary:entry")
    assert nav.count(f'href="{diary}" aria-current="page"') == 2
