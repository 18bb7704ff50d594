"""A TOTP code completes one sign-in only, and wrong codes count toward the account lockout.

allauth keeps the used-code record and its rate limits in Django's cache; the cache must be one
that every worker shares (the database, or Redis): tests/test_shared_cache.py runs two worker
processes for real.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.test import Client

from mitra.accounts.totp import current_code
from mitra.testing import TEST_PASSWORD, make_cast

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
INCORRECT = "Incorrect code"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _password_step(client: Client, username: str = "alice") -> str:
    response = client.post(LOGIN, {"login": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    return response["Location"]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_default_cache_is_the_database_cache_and_migrate_made_its_table():
    default = settings.CACHES["default"]
    assert default["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert default["LOCATION"] in connection.introspection.table_names()
    cache.set("mitra-test-probe", "here", 30)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(default['LOCATION'])}")  # noqa: S608
        assert cursor.fetchone()[0] == 1


def test_one_totp_code_completes_one_sign_in_only():
    cast = make_cast()
    first, second = Client(), Client()
    first_step, second_step = _password_step(first), _password_step(second)
    code = current_code(cast.clinician)
    assert first.post(first_step, {"code": code}).status_code == 302
    assert SESSION_KEY in first.session
    replay = second.post(second_step, {"code": code})
    assert replay.status_code == 200
    assert INCORRECT in replay.content.decode()
    assert SESSION_KEY not in second.session


def test_wrong_totp_codes_count_toward_the_account_lockout():
    cast = make_cast()
    client = Client()
    step = _password_step(client)
    wrong = _wrong(current_code(cast.clinician))
    for n in range(1, 5):
        response = client.post(step, {"code": wrong})
        assert response.status_code == 200
        assert INCORRECT in response.content.decode()
        assert AccessAttempt.objects.get(username="alice").failures_since_start == n
    # The fifth wrong code locks the account, as a fifth wrong password would.
    response = client.post(step, {"code": wrong})
    assert response.status_code == 429
    assert "Sign-in temporarily locked" in response.content.decode()
    assert AccessFailureLog.objects.filter(username="alice").count() == 5
    # The right code no longer finishes this sign-in, and the password starts no new one.
    response = client.post(step, {"code": current_code(cast.clinician)})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert Client().post(LOGIN, {"login": "alice", "password": TEST_PASSWORD}).status_code == 429
    # Another account is not affected.
    colleague = Client()
    response = colleague.post(_password_step(colleague, "bob"),
                              {"code": current_code(cast.other_clinician)})
    assert response.status_code == 302
    assert SESSION_KEY in colleague.session


def test_a_replayed_code_counts_as_a_wrong_one():
    cast = make_cast()
    first, second = Client(), Client()
    first_step, second_step = _password_step(first), _password_step(second)
    code = current_code(cast.clinician)
    first.post(first_step, {"code": code})
    assert AccessAttempt.objects.filter(username="alice").count() == 0  # success resets
    second.post(second_step, {"code": code})
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 1


def test_a_name_posted_with_a_wrong_code_does_not_move_the_failure_to_that_account():
    cast = make_cast()
    client = Client()
    step = _password_step(client)
    client.post(step, {"code": _wrong(current_code(cast.clinician)), "login": "bob"})
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 1
    assert not AccessAttempt.objects.filter(username="bob").exists()
