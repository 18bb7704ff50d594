"""Limits by client address never refuse another account's correct credentials.

Behind the reverse proxy the README recommends (or a clinic's NAT) every user shares one address:
a limit per address would let anyone lock everyone out. Failures count per account (django-axes)
and per account name (django-allauth's per-key limit); see mitra/settings.py.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client

from mitra.accounts.totp import current_code
from mitra.testing import TEST_PASSWORD, make_cast

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SHARED = "198.51.100.20"  # the proxy's (or the clinic's) one address


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _fail_thirty_times_for_alice() -> None:
    attacker = Client(REMOTE_ADDR=SHARED)
    statuses = [
        attacker.post(LOGIN, {"login": "alice", "password": f"guess {n}"}).status_code
        for n in range(30)
    ]
    # Refused all along (wrong, then locked), never let in; the lock is on alice's account.
    assert set(statuses) <= {200, 429}, statuses
    assert AccessAttempt.objects.get(username="alice").failures_since_start >= 5


def test_thirty_failures_for_one_account_leave_another_accounts_password_working():
    make_cast()
    _fail_thirty_times_for_alice()
    colleague = Client(REMOTE_ADDR=SHARED)
    response = colleague.post(LOGIN, {"login": "pat", "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:600]
    assert SESSION_KEY in colleague.session
    assert colleague.get("/me/").status_code == 200


def test_thirty_failures_for_one_account_leave_another_clinicians_totp_step_working():
    cast = make_cast()
    _fail_thirty_times_for_alice()
    colleague = Client(REMOTE_ADDR=SHARED)
    response = colleague.post(LOGIN, {"login": "bob", "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:600]
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    response = colleague.post(response["Location"],
                              {"code": current_code(cast.other_clinician)})
    assert response.status_code == 302, response.content.decode()[:600]
    assert colleague.get("/caseload/").status_code == 200


def test_the_failed_accounts_own_correct_password_stays_refused():
    """The per-account lock is the one that holds: the attacker's target is locked."""
    make_cast()
    _fail_thirty_times_for_alice()
    owner = Client(REMOTE_ADDR="192.0.2.44")
    response = owner.post(LOGIN, {"login": "alice", "password": TEST_PASSWORD})
    # Past 20 failures allauth's per-account limit answers before axes does; either refuses.
    page = response.content.decode()
    assert (response.status_code == 429 and "Sign-in temporarily locked" in page) or (
        response.status_code == 200 and "Too many failed login attempts" in page), page[:600]
    assert SESSION_KEY not in owner.session
