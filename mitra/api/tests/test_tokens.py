from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.api.models import ApiToken, digest
from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.audit.models import AuditEvent
from mitra.testing import login, make_cast

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
