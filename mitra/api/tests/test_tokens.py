from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.accounts.totp import current_code
from mitra.api.actions import do_create_api_token, do_revoke_api_token
from mitra.api.models import ApiToken, digest
from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.testing import TEST_PASSWORD, login, make_cast

pytestmark = pytest.mark.django_db


def test_the_secret_is_stored_only_as_a_digest():
    cast = make_cast()
    secret = token_for(cast.clinician, ["read"])
    token = ApiToken.objects.get(user=cast.clinician)
    assert secret.startswith("mitra_pat_")
    assert token.token_hash == digest(secret)
    assert secret not in {str(getattr(token, f.attname)) for f in ApiToken._meta.fields}
    assert AuditEvent.objects.filter(event="api.token.created", object_uuid=token.uuid).exists()


def test_a_token_works_and_records_when_it_was_used():
    cast = make_cast()
    secret = token_for(cast.clinician, ["read"])
    response = TokenClient(secret).get("/api/me")
    assert response.status_code == 200
    assert response.json()["username"] == cast.clinician.username
    assert response.json()["scopes"] == ["read"]
    assert ApiToken.objects.get(user=cast.clinician).last_used_at is not None


def test_no_token_a_wrong_token_and_a_session_all_get_401():
    cast = make_cast()
    assert_error_shape(TokenClient(None).get("/api/me"), 401)
    assert_error_shape(TokenClient("mitra_pat_nonsense").get("/api/me"), 401)
    # A signed-in browser session is not an API credential.
    session = login(Client(), cast.clinician)
    response = session.get("/api/me")
    assert_error_shape(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once():
    cast = make_cast()
    secret = token_for(cast.patient_user, ["read"])
    client = TokenClient(secret)
    assert client.get("/api/me").status_code == 200
    browser = login(Client(), cast.patient_user)
    token = ApiToken.objects.get(user=cast.patient_user)
    response = browser.post(reverse("api:revoke_token", args=[token.uuid]))
    assert response.status_code == 302
    assert_error_shape(client.get("/api/me"), 401)
    assert AuditEvent.objects.filter(event="api.token.revoked", object_uuid=token.uuid).exists()


def test_an_expired_token_is_refused():
    cast = make_cast()
    secret = token_for(cast.patient_user, ["read"])
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert_error_shape(TokenClient(secret).get("/api/me"), 401)


def test_a_missing_scope_is_403_naming_the_scope():
    cast = make_cast()
    secret = token_for(cast.clinician, ["fhir"])
    body = assert_error_shape(TokenClient(secret).get("/api/me"), 403)
    assert "read" in body["errors"][0]["problem"]


def test_only_the_owner_may_revoke_a_token():
    cast = make_cast()
    token_for(cast.clinician, ["read"])
    token = ApiToken.objects.get(user=cast.clinician)
    other = login(Client(), cast.other_clinician)
    assert other.post(reverse("api:revoke_token", args=[token.uuid])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_page_shows_the_secret_once_and_never_again():
    cast = make_cast()
    browser = login(Client(), cast.patient_user)
    response = browser.post(reverse("api:tokens"), {
        "name": "phone", "scopes": ["read", "fhir"], "lifetime_days": "30",
    })
    assert response.status_code == 200
    html = response.content.decode()
    token = ApiToken.objects.get(user=cast.patient_user)
    secret = html.split('<code class="secret">')[1].split("</code>")[0]
    assert digest(secret) == token.token_hash
    assert token.scopes == ["fhir", "read"]
    assert response["Cache-Control"] == "no-store"
    again = browser.get(reverse("api:tokens")).content.decode()
    assert secret not in again
    assert "phone" in again


def test_the_page_names_the_field_on_bad_input_and_creates_nothing():
    cast = make_cast()
    browser = login(Client(), cast.patient_user)
    response = browser.post(reverse("api:tokens"), {"name": "x", "lifetime_days": "5"})
    html = response.content.decode()
    assert "Choose at least one scope" in html
    assert "Expires after: choose 7, 30, 90 or 365 days." in html
    assert not ApiToken.objects.exists()


# --- tokens do not outlive the credentials (security issue, item 4) ---------------------------


def _open_tokens(user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))


@pytest.mark.parametrize("how", ["change page", "set_password"])
def test_a_password_change_revokes_every_token_of_the_user_and_records_it(how):
    cast = make_cast()
    secrets = [token_for(cast.patient_user, ["read"]) for _ in range(2)]
    already = ApiToken.objects.get(token_hash=digest(secrets[0]))
    do_revoke_api_token(already, acting=cast.patient_user)
    others = token_for(cast.clinician, ["read"])
    assert TokenClient(secrets[1]).get("/api/me").status_code == 200
    new = "a completely new passphrase 7"
    if how == "change page":
        browser = login(Client(), cast.patient_user)
        response = browser.post(reverse("account_change_password"), {
            "oldpassword": TEST_PASSWORD, "password1": new, "password2": new})
        assert response.status_code == 302, response.content.decode()[:2000]
    else:
        cast.patient_user.set_password(new)
        cast.patient_user.save()
    assert _open_tokens(cast.patient_user) == []
    for secret in secrets:
        assert_error_shape(TokenClient(secret).get("/api/me"), 401)
    # One event per token it revoked (not the one revoked before), by the user.
    revoked = AuditEvent.objects.filter(event=Event.API_TOKEN_REVOKED_PASSWORD_CHANGED)
    assert revoked.count() == 1 and revoked.get().actor == cast.patient_user
    assert revoked.get().object_uuid != already.uuid
    assert AuditEvent.objects.filter(event=Event.ACCOUNT_PASSWORD_CHANGED,
                                     object_uuid=cast.patient_user.uuid).count() == 1
    # Another user's tokens are untouched.
    assert TokenClient(others).get("/api/me").status_code == 200


def test_a_sign_in_that_only_rehashes_the_password_keeps_the_tokens(settings):
    cast = make_cast()
    secret = token_for(cast.patient_user, ["read"])
    # A stronger hasher first: the next correct sign-in re-hashes the stored password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]
    response = Client().post("/accounts/login/", {"login": "pat", "password": TEST_PASSWORD})
    assert response.status_code == 302
    cast.patient_user.refresh_from_db()
    assert cast.patient_user.password.startswith("pbkdf2_")
    assert TokenClient(secret).get("/api/me").status_code == 200


@pytest.mark.parametrize("role", ["clinician", "admin", "researcher"])
def test_staff_tokens_last_at_most_90_days_with_an_error_naming_the_field(role):
    cast = make_cast()
    user = {"clinician": cast.clinician, "admin": cast.admin, "researcher": cast.researcher}[role]
    browser = login(Client(), user)
    page = browser.get(reverse("api:tokens")).content.decode()
    assert 'value="90"' in page and 'value="365"' not in page
    response = browser.post(reverse("api:tokens"), {
        "name": "long", "scopes": ["read"], "lifetime_days": "365"})
    html = response.content.decode()
    assert ("Expires after: tokens of staff accounts (clinician, admin, researcher) last at "
            "most 90 days; choose 7, 30 or 90 days.") in html
    assert not ApiToken.objects.filter(user=user).exists()
    with pytest.raises(ValueError, match=r"lifetime_days: one of 7, 30, 90 days"):
        do_create_api_token(user, acting=user, name="x", scopes=["read"], lifetime_days=365)
    browser.post(reverse("api:tokens"), {"name": "ok", "scopes": ["read"],
                                         "lifetime_days": "90"})
    token = ApiToken.objects.get(user=user)
    assert timedelta(days=89) < token.expires_at - token.created_at <= timedelta(days=90)


def test_a_patient_may_still_choose_a_year():
    cast = make_cast()
    browser = login(Client(), cast.patient_user)
    browser.post(reverse("api:tokens"), {"name": "year", "scopes": ["read"],
                                         "lifetime_days": "365"})
    token = ApiToken.objects.get(user=cast.patient_user)
    assert token.expires_at - token.created_at > timedelta(days=364)


def test_staff_create_a_token_only_right_after_the_second_factor():
    cast = make_cast()
    form = {"name": "script", "scopes": ["read"], "lifetime_days": "30"}
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        browser = login(Client(), cast.clinician)
        traveller.shift(timedelta(minutes=6))  # signed in six minutes ago: not fresh
        response = browser.post(reverse("api:tokens"), form)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fapi%2Ftokens%2F"
        assert not ApiToken.objects.exists()
        # The code from the authenticator, and the kept form is carried out.
        done = browser.post(response["Location"], {"code": current_code(cast.clinician)})
        assert done.status_code == 200, done.get("Location")
        token = ApiToken.objects.get(user=cast.clinician)
        assert token.name == "script"
        secret = done.content.decode().split('<code class="secret">')[1].split("</code>")[0]
        assert digest(secret) == token.token_hash
        # Fresh now: another one goes through at once.
        again = browser.post(reverse("api:tokens"), {**form, "name": "second"})
        assert again.status_code == 200
        assert ApiToken.objects.filter(user=cast.clinician).count() == 2


def test_a_session_without_the_second_factor_cannot_create_a_staff_token():
    """The freshness must come from the second factor, not a password alone."""
    cast = make_cast()
    browser = login(Client(), cast.clinician)
    session = browser.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        r for r in session[AUTHENTICATION_METHODS_SESSION_KEY] if r["method"] != "mfa"
    ] + [{"method": "mfa", "at": time.time() - 3600, "type": "totp"}]
    session.save()
    response = browser.post(reverse("api:tokens"), {"name": "x", "scopes": ["read"],
                                                    "lifetime_days": "7"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert not ApiToken.objects.exists()


def test_a_researcher_without_an_authenticator_confirms_their_password():
    cast = make_cast()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        browser = login(Client(), cast.researcher)
        traveller.shift(timedelta(minutes=6))
        response = browser.post(reverse("api:tokens"), {"name": "r", "scopes": ["read"],
                                                        "lifetime_days": "7"})
        assert response["Location"].startswith("/accounts/reauthenticate/")
        done = browser.post(response["Location"], {"password": TEST_PASSWORD})
        assert done.status_code == 200
        assert ApiToken.objects.filter(user=cast.researcher).count() == 1


def test_a_patient_needs_no_fresh_sign_in():
    cast = make_cast()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        browser = login(Client(), cast.patient_user)
        traveller.shift(timedelta(hours=5))
        response = browser.post(reverse("api:tokens"), {"name": "p", "scopes": ["read"],
                                                        "lifetime_days": "30"})
        assert response.status_code == 200
        assert ApiToken.objects.filter(user=cast.patient_user).count() == 1


def test_the_page_shows_each_tokens_last_use_written_at_most_once_a_minute():
    cast = make_cast()
    secret = token_for(cast.patient_user, ["read"])
    client = TokenClient(secret)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        client.get("/api/me")
        traveller.shift(timedelta(seconds=40))
        client.get("/api/me")  # within the minute: not written again
        assert ApiToken.objects.get().last_used_at == start
        traveller.shift(timedelta(seconds=30))
        client.get("/api/me")
        assert ApiToken.objects.get().last_used_at == start + timedelta(seconds=70)
    page = login(Client(), cast.patient_user).get(reverse("api:tokens")).content.decode()
    assert "Last used" in page
    used = timezone.localtime(start + timedelta(seconds=70))
    assert f"{used.day} {used:%b %Y %H:%M}" in page  # DATETIME_FORMAT, as on every page
