"""With the database out of reach or the disk full, every answer is a 503 with Retry-After: a
page gets the short standalone page (with the crisis lines), a REST or FHIR endpoint its API's
own error shape, whether the failure came from the endpoint or from a middleware before it (a
session cookie makes the session middleware read the database first).

The database is really out of reach: the `default` connection is swapped for one to a port on
which nothing listens, so every query fails as in an outage (connection refused).
tests/test_serve.py does the same through a real server and a real cut of PostgreSQL.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from django.db import connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client

from mitra.api.tests.helpers import assert_error_shape, assert_operation_outcome
from tests.faults import ClosedPort

pytestmark = pytest.mark.django_db

COOKIE = {"HTTP_COOKIE": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}
BEARER = {"HTTP_AUTHORIZATION": "Bearer mitra_pat_not-a-token"}


@contextlib.contextmanager
def database_out_of_reach():
    real = connections["default"]
    port = ClosedPort()
    unreachable = DatabaseWrapper({
        **real.settings_dict, "ENGINE": "django.db.backends.postgresql", "NAME": "mitra",
        "USER": "mitra", "PASSWORD": "", "HOST": "127.0.0.1", "PORT": str(port.port),
        "OPTIONS": {"connect_timeout": 2}, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
    }, "default")
    connections["default"] = unreachable
    try:
        yield
    finally:
        connections["default"] = real
        port.close()


def client() -> Client:
    return Client(raise_request_exception=False)


def assert_unavailable_page(response) -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Mitra is briefly unavailable" in page
    assert "988 Suicide &amp; Crisis Lifeline" in page and "Call 911" in page  # en-US
    assert "Sign out" not in page  # no user, no session: it reads nothing
    return page


def test_a_page_is_a_503_page_when_the_database_is_out_of_reach():
    with database_out_of_reach():
        response = client().get("/caseload/", **COOKIE)
    page = assert_unavailable_page(response)
    assert "cannot reach its database" in page


def test_a_sign_in_is_a_503_page_when_the_database_is_out_of_reach():
    with database_out_of_reach():
        response = client().post("/accounts/login/", {"login": "dr-lee", "password": "x" * 12})
    assert_unavailable_page(response)


@pytest.mark.parametrize("headers", [BEARER, {**BEARER, **COOKIE}], ids=["token", "cookie"])
def test_a_rest_endpoint_answers_503_in_the_rest_shape(headers):
    with database_out_of_reach():
        response = client().get("/api/me", **headers)
    body = assert_error_shape(response, 503)
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("application/json")
    assert "the database is unavailable" in body["errors"][0]["problem"]


@pytest.mark.parametrize("headers", [BEARER, {**BEARER, **COOKIE}], ids=["token", "cookie"])
def test_a_fhir_endpoint_answers_503_as_a_transient_operation_outcome(headers):
    with database_out_of_reach():
        response = client().get("/fhir/Patient", **headers)
    body = assert_operation_outcome(response, 503)
    assert response["Retry-After"] == "30"
    assert body["issue"][0]["code"] == "transient"


def test_the_api_token_pages_are_pages():
    with database_out_of_reach():
        response = client().get("/api/tokens/", **COOKIE)
    assert_unavailable_page(response)


def test_healthz_answers_without_the_database_and_readyz_says_it_is_out_of_reach():
    with database_out_of_reach():
        live = client().get("/healthz", **COOKIE)
        ready = client().get("/readyz", **COOKIE)
    assert (live.status_code, live.content) == (200, b"ok")
    assert ready.status_code == 503 and ready["Retry-After"] == "30"
    assert ready.json() == {"ready": False, "checks": {
        "database": {"ok": False, "problem": "the database cannot be reached"},
        "worker": {"ok": False, "problem": "unknown: the database cannot be reached"}}}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_a_503_page_naming_the_storage(settings):
    settings.ROOT_URLCONF = "mitra.core.tests.faulty_urls"
    page = assert_unavailable_page(client().get("/test-full-disk/"))
    assert "run out of storage space" in page


def test_a_bug_is_still_a_500(settings):
    settings.ROOT_URLCONF = "mitra.core.tests.faulty_urls"
    response = client().get("/test-bug/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "briefly unavailable" not in response.content.decode()

