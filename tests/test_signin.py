"""Sign-in through the real django-allauth views: MFA, lockout, session limits, password reset.

Every test here posts to the login form as a browser would (no force_login), so it proves the
whole chain: allauth's views, django-axes' backend and middleware, Mitra's own middleware.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.test import Client

from mitra.accounts.models import Role
from mitra.accounts.totp import current_code
from mitra.testing import TEST_PASSWORD, login, make_cast, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "The username and/or password you specified are not correct."
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth keeps rate limits and used TOTP codes in the cache; each test starts clean.
    cache.clear()
    yield
    cache.clear()


def post_password(client: Client, username: str, password: str = TEST_PASSWORD, **extra):
    return client.post(LOGIN, {"login": username, "password": password}, **extra)


def full_login(client: Client, user, password: str = TEST_PASSWORD):
    """Password, then the TOTP code when allauth asks for it. Returns the last response."""
    response = post_password(client, user.username, password)
    assert response.status_code == 302, response.content[:500]
    if response["Location"].startswith("/accounts/2fa/authenticate"):
        step = response["Location"]
        response = client.post(step, {"code": current_code(user)})
        if response.status_code == 200:
            # The 30 s period ended between computing the code and checking it: the next one.
            response = client.post(step, {"code": current_code(user)})
        assert response.status_code == 302, response.content[:500]
    return response


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- MFA ---------------------------------------------------------------------------------------


def test_clinician_signs_in_with_password_and_totp_and_reaches_the_caseload():
    cast = make_cast()
    client = Client()
    response = post_password(client, "alice")
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    # Half-way through, nothing is reachable: the password alone signs no one in.
    assert not signed_in(client)
    assert client.get("/caseload/")["Location"].startswith(LOGIN)
    assert client.get(f"/patients/{cast.patient.uuid}/")["Location"].startswith(LOGIN)

    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(cast.clinician)})
    assert response.status_code == 302
    page = client.get("/caseload/")
    assert page.status_code == 200
    assert cast.patient.display_name in page.content.decode()
    assert client.get(f"/patients/{cast.patient.uuid}/").status_code == 200


def test_a_wrong_totp_code_is_refused():
    cast = make_cast()
    client = Client()
    post_password(client, "alice")
    wrong = f"{(int(current_code(cast.clinician)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not signed_in(client)


# A real transaction, so allauth's on-commit signal runs inside the request as in production.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.ADMIN])
def test_staff_without_an_authenticator_is_sent_to_totp_setup(role):
    cast = make_cast()
    user = make_user("newbie", role)
    user.authenticator_set.all().delete()  # make_user gives staff TOTP; this one has none yet
    client = Client()
    response = post_password(client, "newbie")
    assert response.status_code == 302  # no second factor to ask for: signed in with password
    assert signed_in(client)
    for path in ("/caseload/", f"/patients/{cast.patient.uuid}/", "/admin/", "/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/totp/activate/", path
    # allauth asks for the password again before an authenticator is added.
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = client.post(response["Location"], {"password": TEST_PASSWORD})
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()  # shown for manual entry in the app
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    # Set-up proved the second factor: the session goes on, with no second sign-in.
    target = "/caseload/" if role == Role.CLINICIAN else "/admin/"
    assert client.get(target).status_code == 200


@pytest.mark.parametrize("path", ["/caseload/", "patient", "/admin/", "/admin/accounts/user/"])
def test_a_password_only_staff_session_is_ended(path):
    """A session that skipped the second factor (another login path) reaches nothing."""
    cast = make_cast()
    path = f"/patients/{cast.patient.uuid}/" if path == "patient" else path
    user = cast.admin if path.startswith("/admin/") else cast.clinician
    client = Client()
    client.force_login(user)  # a session with no record of an MFA step
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not signed_in(client)
    follow = client.get(response["Location"])
    assert "Sign in with your authenticator code" in follow.content.decode()


def test_django_admin_login_goes_through_allauth():
    make_cast()
    client = Client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    # Django's own admin login form would sign in with a password alone; it is not served.
    response = client.post("/admin/login/?next=/admin/",
                           {"username": "adam", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_care_admin_manages_users_and_teams_after_mfa_but_sees_no_clinical_page():
    cast = make_cast()
    client = Client()
    post_password(client, "adam")
    assert client.get("/admin/").status_code == 302  # not signed in until the code
    client.post("/accounts/2fa/authenticate/", {"code": current_code(cast.admin)})
    for path in ("/admin/", "/admin/accounts/user/", "/admin/accounts/careteam/",
                 f"/admin/accounts/careteam/{cast.team_a.pk}/change/",
                 "/admin/accounts/user/add/", "/admin/audit/auditevent/"):
        assert client.get(path).status_code == 200, path
    # No superuser powers to hand out.
    page = client.get(f"/admin/accounts/user/{cast.clinician.pk}/change/").content.decode()
    assert "is_superuser" not in page and "user_permissions" not in page
    # Creating a user is recorded.
    response = client.post("/admin/accounts/user/add/", {
        "username": "nurse1", "email": "nurse1@example.org", "role": "clinician",
        "password1": "a long enough passphrase 42", "password2": "a long enough passphrase 42",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    from mitra.audit.models import AuditEvent

    assert AuditEvent.objects.filter(event="admin.user.created", actor=cast.admin).exists()
    assert client.get("/caseload/").status_code == 404
    assert client.get(f"/patients/{cast.patient.uuid}/").status_code == 404


def test_clinician_cannot_open_django_admin():
    cast = make_cast()
    client = Client()
    full_login(client, cast.clinician)
    response = client.get("/admin/")
    assert response["Location"].startswith("/admin/login/")
    assert client.get(response["Location"]).status_code == 403


def test_patient_signs_in_with_a_password_and_reaches_only_their_home():
    make_cast()
    client = Client()
    response = post_password(client, "pat")
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200
    assert client.get("/caseload/").status_code == 404


def test_wrong_credentials_show_a_clear_message():
    make_cast()
    client = Client()
    response = post_password(client, "alice", "not the password")
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    response = post_password(client, "nobody-by-this-name", "whatever it is")
    assert WRONG in response.content.decode()
    assert not signed_in(client)


# --- lockout (django-axes) ---------------------------------------------------------------------


def test_five_failures_through_allauth_lock_the_account():
    cast = make_cast()
    client = Client()
    for _ in range(4):
        response = post_password(client, "alice", "wrong password")
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    # The fifth failure locks the account (django-axes counts it, then refuses).
    assert post_password(client, "alice", "wrong password").status_code == 429
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.failures_since_start == 5
    assert attempt.path_info == LOGIN
    assert AccessFailureLog.objects.filter(username="alice").count() == 5

    # The sixth, with the right password, is refused by axes before any password check.
    response = post_password(client, "alice")
    assert response.status_code == 429
    assert "Sign-in temporarily locked" in response.content.decode()
    assert not signed_in(client)
    assert client.get("/caseload/")["Location"].startswith(LOGIN)
    # Another address does not help: the lock is on the account.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert post_password(other, "alice").status_code == 429
    # Other accounts are not affected.
    assert post_password(Client(), "pat").status_code == 302
    assert cast.clinician.pk  # the cast exists throughout


def test_failures_by_username_and_by_email_count_against_one_account():
    make_cast()
    client = Client()
    for name in ("alice", "ALICE@example.org", "alice", "alice@example.org", "Alice"):
        post_password(client, name, "wrong password")
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5
    assert post_password(client, "alice@example.org").status_code == 429


def test_the_lock_lifts_after_the_cool_off():
    make_cast()
    with time_machine.travel(T0, tick=False) as traveller:
        client = Client()
        for _ in range(5):
            post_password(client, "pat", "wrong password")
        assert post_password(client, "pat").status_code == 429
        traveller.shift(timedelta(minutes=16))
        cache.clear()
        assert post_password(client, "pat").status_code == 302
        assert signed_in(client)


# --- session limits ----------------------------------------------------------------------------


def test_staff_session_ends_after_fifteen_minutes_idle():
    cast = make_cast()
    with time_machine.travel(T0, tick=False) as traveller:
        client = Client()
        full_login(client, cast.clinician)
        assert client.get("/caseload/").status_code == 200
        traveller.shift(timedelta(minutes=14))
        assert client.get("/caseload/").status_code == 200  # activity resets the idle clock
        traveller.shift(timedelta(minutes=15, seconds=30))
        response = client.get("/caseload/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert not signed_in(client)
        page = client.get(response["Location"]).content.decode()
        assert "15 minutes without activity" in page


@pytest.mark.slow
def test_staff_session_ends_after_twelve_hours_even_when_active():
    cast = make_cast()
    with time_machine.travel(T0, tick=False) as traveller:
        client = Client()
        full_login(client, cast.clinician)
        for _ in range(12 * 6):  # a request every ten minutes for twelve hours
            assert client.get("/caseload/").status_code == 200
            traveller.shift(timedelta(minutes=10))
        traveller.shift(timedelta(minutes=1))  # now 12 h 1 min after sign-in, 11 min idle
        response = client.get("/caseload/")
        assert response["Location"].startswith(LOGIN)
        assert "12-hour limit" in client.get(response["Location"]).content.decode()


def test_patient_session_survives_idle_time():
    make_cast()
    with time_machine.travel(T0, tick=False) as traveller:
        client = Client()
        post_password(client, "pat")
        traveller.shift(timedelta(hours=3))
        assert client.get("/me/").status_code == 200
        traveller.shift(timedelta(hours=13))
        assert client.get("/me/").status_code == 200


def test_researcher_session_is_short_too():
    cast = make_cast()
    with time_machine.travel(T0, tick=False) as traveller:
        client = login(Client(), cast.researcher)
        assert client.get("/research/").status_code == 200
        traveller.shift(timedelta(minutes=16))
        assert client.get("/research/")["Location"].startswith(LOGIN)


# --- password reset ----------------------------------------------------------------------------


def test_password_reset_by_email_link_sets_a_new_password():
    make_cast()
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "pat@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", body)
    assert link, body
    response = client.get(link.group(1))
    # allauth moves the key into the session and redirects to a key-less URL.
    form_url = response["Location"] if response.status_code == 302 else link.group(1)
    new = "a brand new long passphrase 7"
    response = client.post(form_url, {"password1": new, "password2": new})
    assert response.status_code == 302, response.content.decode()[:1500]
    assert not signed_in(client)  # ACCOUNT_LOGIN_ON_PASSWORD_RESET is off
    assert post_password(Client(), "pat", TEST_PASSWORD).status_code == 200  # old one refused
    fresh = Client()
    assert post_password(fresh, "pat", new).status_code == 302
    assert fresh.get("/me/").status_code == 200


def test_password_reset_refuses_a_weak_password():
    make_cast()
    client = Client()
    client.post("/accounts/password/reset/", {"email": "pat@example.org"})
    link = re.search(r"(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link)
    form_url = response["Location"] if response.status_code == 302 else link
    response = client.post(form_url, {"password1": "short", "password2": "short"})
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
