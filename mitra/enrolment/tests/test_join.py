"""/join/: the short code shown in clinic, typed on the patient's phone, opens the same sign-up as
the link; wrong codes are limited per address and for the whole site (429 saying what to do)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from mitra.accounts.actions import (
    CODE_ALPHABET,
    do_invite_user,
    format_short_code,
    new_short_code,
    normalise_short_code,
)
from mitra.enrolment import throttle
from mitra.enrolment.actions import do_show_invitation
from mitra.enrolment.tests.helpers import JOIN, SIGNUP, sign_up, uninvited
from mitra.testing import make_cast, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast():
    return make_cast()


def shown_code(cast) -> str:
    patient, _path = uninvited(cast)
    return do_show_invitation(patient, acting=cast.clinician).code


def wrong_code(code: str) -> str:
    """Another valid-looking code (its last character changed)."""
    last = CODE_ALPHABET[(CODE_ALPHABET.index(code[-1]) + 1) % len(CODE_ALPHABET)]
    return code[:-1] + last


def test_codes_use_the_unambiguous_alphabet_and_read_forgivingly():
    codes = {new_short_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and not set(c) & set("ILOU") for c in codes)
    assert format_short_code("ABCD2345") == "ABCD-2345"
    assert normalise_short_code(" abcd-2345 ") == "ABCD2345"
    assert normalise_short_code("O1LI-abcd") == "0111ABCD"  # O reads as 0, I and L as 1
    for bad in ("ABCD234", "ABCD23456", "ABCD-234U", "ABCD 23!5", ""):
        assert normalise_short_code(bad) is None, bad


def test_the_code_leads_to_the_sign_up_and_works_once(cast):
    code = shown_code(cast)
    phone = Client()
    assert phone.get(JOIN).status_code == 200
    response = phone.post(JOIN, {"code": format_short_code(code).lower()})
    assert response.status_code == 302 and response["Location"] == SIGNUP
    page = phone.get(SIGNUP)
    assert page.status_code == 200 and "Welcome to" in page.content.decode()
    assert sign_up(phone).status_code == 302
    # Spent: the same code now says so and how to go on.
    again = Client().post(JOIN, {"code": code})
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_a_wrong_code_says_so_naming_the_field(cast):
    code = shown_code(cast)
    response = Client().post(JOIN, {"code": wrong_code(code)})
    assert response.status_code == 400
    assert "code: no open invitation has this code" in response.content.decode()
    assert Client().post(JOIN, {"code": ""}).status_code == 400


def test_an_expired_code_says_it_expired(cast):
    code = shown_code(cast)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = Client().post(JOIN, {"code": code})
    assert response.status_code == 410
    html = response.content.decode()
    assert "This invitation link has expired" in html
    assert "Ask your care team to resend it" in html


def test_a_staff_invitation_cannot_be_opened_by_a_code(cast):
    staff = make_user("newdoc", "clinician")
    staff.set_unusable_password()
    staff.save()
    code = new_short_code()
    do_invite_user(staff, acting=None, send=False, code=code)
    assert Client().post(JOIN, {"code": code}).status_code == 400


def test_wrong_codes_from_one_address_are_limited_and_the_page_says_what_to_do(cast):
    code = shown_code(cast)
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    statuses = [guesser.post(JOIN, {"code": wrong_code(code)}).status_code
                for _ in range(throttle.PER_ADDRESS)]
    assert statuses == [400] * throttle.PER_ADDRESS
    refused = guesser.post(JOIN, {"code": code})  # even the right code, from there
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(throttle.WINDOW_SECONDS)
    html = refused.content.decode()
    assert "Too many wrong codes" in html and "from this network" in html
    assert "open the link in your invitation e-mail" in html
    # Another address is not held back, and the window ends.
    assert Client(REMOTE_ADDR="192.0.2.9").post(JOIN, {"code": code}).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(seconds=throttle.WINDOW_SECONDS + 1)):
        assert guesser.post(JOIN, {"code": wrong_code(code)}).status_code == 400


def test_wrong_codes_across_the_site_are_limited_too(cast, monkeypatch):
    monkeypatch.setattr(throttle, "SITE_WIDE", 3)
    code = shown_code(cast)
    for n in range(3):
        Client(REMOTE_ADDR=f"203.0.113.{n + 1}").post(JOIN, {"code": wrong_code(code)})
    refused = Client(REMOTE_ADDR="203.0.113.200").post(JOIN, {"code": code})
    assert refused.status_code == 429
    assert "on this site" in refused.content.decode()


def test_the_sign_up_without_an_invitation_in_this_browser_says_how_to_open_one(cast):
    page = Client().get(SIGNUP)
    assert page.status_code == 404
    html = page.content.decode()
    assert "No invitation is open in this browser" in html and 'href="/join/"' in html
