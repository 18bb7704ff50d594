"""Every crisis number is a tap-to-call link (and tap-to-text where the line takes texts), and
"Help now" is in every patient page's menu."""

from __future__ import annotations

import copy
import re

import pytest
from django.test import Client
from django.urls import reverse

from mitra.safety import crisis
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


def test_every_locale_shows_each_number_as_a_tel_link_and_texts_where_the_line_takes_them():
    client = login(Client(), make_cast().patient_user)
    for code, loc in crisis.locales().items():
        html = client.get(reverse("safety:crisis") + f"?locale={code}").content.decode()
        for r in loc["resources"]:
            assert f'href="tel:{r["call"]}"' in html, (code, r["name"])
            if "text" in r["contact"].lower():
                assert f'href="sms:{r["text"]}"' in html, (code, r["name"])
    us = client.get(reverse("safety:crisis")).content.decode()
    assert 'href="sms:988"' in us and 'href="tel:911"' in us
    # A line that takes no texts gets no text link.
    uk = client.get(reverse("safety:crisis") + "?locale=en-GB").content.decode()
    assert 'href="sms:116123"' not in uk and 'href="tel:116123"' in uk


def test_help_now_is_in_the_menu_of_every_patient_page_and_the_footer_numbers_are_links():
    cast = make_cast()
    client = login(Client(), cast.patient_user)
    help_link = f'href="{reverse("safety:crisis")}"'
    for name in ("core:me", "diary:entry", "measures:due", "safety:my_plan", "safety:crisis"):
        html = client.get(reverse(name)).content.decode()
        nav = re.search(r'<nav[^>]*aria-label="Main".*?</nav>', html, re.S)
        assert nav and help_link in nav.group(0) and "Help now" in nav.group(0), name
        assert 'href="tel:911"' in html and 'href="tel:988"' in html, name
    clinician_nav = re.search(r'<nav[^>]*aria-label="Main".*?</nav>', login(
        Client(), cast.clinician).get(reverse("core:caseload")).content.decode(), re.S)
    assert "Help now" not in clinician_nav.group(0)


@pytest.mark.parametrize("number", ["", "call 988", "98-8", None, "1" * 17])
def test_a_number_that_cannot_be_dialled_stops_start_up_naming_the_field(number):
    data = copy.deepcopy(crisis._load())
    data["locales"]["en-US"]["resources"][0]["call"] = number
    with pytest.raises(crisis.CrisisDataError, match=r"locales\.en-US\.resources\[0\]\.call"):
        crisis.validate(data)
