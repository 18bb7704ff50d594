"""Every answer under /fhir/ is FHIR, every answer under /api/ is the REST error shape.

Not only an endpoint's own errors: an unknown path, an unsupported resource type, a method the
path does not take (405 with Allow) and an unexpected exception (500). An unknown path answers
404 to everyone, token or not, with the same body: it cannot tell whether a patient exists.
"""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.test import Client
from django.urls import get_resolver

from mitra.api.routing import UNKNOWN_PATH
from mitra.api.tests.helpers import (
    TokenClient,
    assert_error_shape,
    assert_operation_outcome,
    token_for,
)
from mitra.testing import MARKER, make_cast

pytestmark = pytest.mark.django_db

FHIR_TYPES = ["Consent", "MedicationStatement", "Observation", "Patient", "Questionnaire",
              "QuestionnaireResponse"]


def _rest_error(response, status: int) -> str:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = assert_error_shape(response, status)
    return " ".join(p["problem"] for p in body["errors"])


def _fhir_error(response, status: int) -> str:
    body = assert_operation_outcome(response, status)
    return " ".join(issue["diagnostics"] for issue in body["issue"])


def _clients(cast) -> dict[str, TokenClient]:
    return {
        "anon": TokenClient(None),
        "bad token": TokenClient("mitra_pat_not-a-token"),
        "patient": TokenClient(token_for(cast.patient_user)),
        "clinician": TokenClient(token_for(cast.clinician)),
        "other clinician": TokenClient(token_for(cast.other_clinician)),
    }


# --- FHIR -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/fhir/Encounter", "/fhir/Encounter/123",
                                  "/fhir/encounter?patient=x"])
def test_an_unsupported_fhir_resource_type_is_an_operation_outcome_naming_the_supported(path):
    cast = make_cast()
    for who, client in _clients(cast).items():
        response = client.get(path)
        text = _fhir_error(response, 404)
        assert response.json()["issue"][0]["code"] == "not-supported", who
        for rtype in FHIR_TYPES:
            assert rtype in text, (who, text)
        assert "/fhir/metadata" in text


def test_the_supported_types_named_are_the_capability_statements():
    statement = Client().get("/fhir/metadata").json()
    types = sorted(r["type"] for r in statement["rest"][0]["resource"])
    assert types == FHIR_TYPES
    text = _fhir_error(TokenClient(None).get("/fhir/Encounter"), 404)
    assert ", ".join(types) in text


def test_an_unknown_path_under_a_supported_type_names_its_interactions():
    text = _fhir_error(TokenClient(None).get("/fhir/Patient/123/_history"), 404)
    assert "Patient supports read, search-type, $everything" in text


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/fhir/Patient/{id}"),
    ("PUT", "/fhir/Patient/{id}"),
    ("POST", "/fhir/Patient"),
    ("DELETE", "/fhir/QuestionnaireResponse"),
    ("POST", "/fhir/metadata"),
])
def test_a_wrong_method_on_fhir_is_405_with_allow_and_an_operation_outcome(method, path):
    cast = make_cast()
    path = path.format(id=cast.patient.uuid)
    for who, client in _clients(cast).items():
        response = client.generic(method, path, {})
        text = _fhir_error(response, 405)
        allowed = {"/fhir/QuestionnaireResponse": "GET, POST"}.get(path, "GET")
        assert response["Allow"] == allowed, who
        assert f"allowed methods: {allowed}" in text, (who, text)
        assert response.json()["issue"][0]["code"] == "not-supported"


def test_a_wrong_method_names_the_types_interactions():
    text = _fhir_error(TokenClient(None).generic("POST", "/fhir/Patient"), 405)
    assert "Patient supports read, search-type, $everything" in text


def test_an_unexpected_fhir_failure_is_a_500_operation_outcome():
    client = Client(raise_request_exception=False)
    with mock.patch("mitra.api.routers.fhir_metadata._version",
                    side_effect=RuntimeError("secret detail")):
        response = client.get("/fhir/metadata")
    text = _fhir_error(response, 500)
    assert response.json()["issue"][0]["code"] == "exception"
    assert "secret detail" not in text  # DEBUG is off: no internals to the client


def test_an_unexpected_failure_is_still_reported_as_django_reports_one():
    # Logged on django.request (admins' mail, error trackers) and signalled: the test client
    # re-raises it, as it does for any view's exception.
    with mock.patch("mitra.api.routers.fhir_metadata._version",
                    side_effect=RuntimeError("boom")), \
            mock.patch("mitra.api.errors.request_logger") as logger:
        with pytest.raises(RuntimeError, match="boom"):
            Client().get("/fhir/metadata")
    logger.error.assert_called_once()
    assert logger.error.call_args.kwargs["extra"]["status_code"] == 500


# --- REST -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/nothing", "/api/nothing/at/all", "/api/patients/",
                                  "/api/patients/not-a-uuid", "/api/me/"])
def test_an_unknown_rest_path_is_the_rest_error_shape_naming_the_api(path):
    cast = make_cast()
    for who, client in _clients(cast).items():
        text = _rest_error(client.get(path), 404)
        assert "/api/openapi.json" in text, who
        assert "/api/patients" in text and "/api/me" in text, (who, text)


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", "/api/me", "GET"),
    ("POST", "/api/instruments", "GET"),
    ("PUT", "/api/patients/{id}/diary", "GET"),
    ("DELETE", "/api/patients/{id}/values", "GET, POST"),
])
def test_a_wrong_rest_method_is_405_with_allow(method, path, allowed):
    cast = make_cast()
    path = path.format(id=cast.patient.uuid)
    for who, client in _clients(cast).items():
        response = client.generic(method, path, {})
        text = _rest_error(response, 405)
        assert response["Allow"] == allowed, who
        assert f"{method} is not allowed" in text and f"allowed: {allowed}" in text


def test_an_unexpected_rest_failure_is_a_500_in_the_rest_shape():
    cast = make_cast()
    client = TokenClient(token_for(cast.clinician))
    client.client.raise_request_exception = False
    with mock.patch("mitra.api.routers.measures.instruments",
                    side_effect=RuntimeError("secret detail")):
        response = client.get("/api/instruments")
    text = _rest_error(response, 500)
    assert "secret detail" not in text


# --- Who asks does not matter; what exists does not show -------------------------------------

@pytest.mark.parametrize("template", [
    "/api/patients/{id}/nothing",
    "/fhir/Patient/{id}/nothing",
    "/fhir/Encounter?patient={id}",
])
def test_an_unknown_path_answers_the_same_for_everyone_and_every_patient(template):
    """404 with or without a token (decided: not 401), the same body for a real patient of
    the team, another team's patient and a UUID nobody has: the answer depends on the path
    shape alone."""
    cast = make_cast()
    ids = {"own team": cast.patient.uuid, "other team": cast.other_patient.uuid,
           "nobody": uuid.uuid4()}
    bodies = set()
    for who, client in _clients(cast).items():
        for whose, patient_id in ids.items():
            path = template.format(id=patient_id)
            response = client.get(path)
            assert response.status_code == 404, (who, whose)
            content = response.content.decode()
            assert MARKER not in content
            bodies.add(content.replace(str(patient_id), "<id>"))
    assert len(bodies) == 1, bodies


def test_known_paths_keep_their_answers():
    cast = make_cast()
    anon = Client()
    assert anon.get("/api/me").status_code == 401  # a real endpoint still asks for a token
    assert anon.get("/fhir/Patient").status_code == 401
    assert anon.get("/fhir/metadata").status_code == 200
    assert anon.get("/api/").status_code == 302 and anon.get("/fhir/").status_code == 302
    # The web pages under /api/ keep Django's trailing-slash redirect.
    response = anon.get("/api/tokens")
    assert response.status_code == 301 and response["Location"] == "/api/tokens/"
    assert TokenClient(token_for(cast.clinician)).get("/api/me").status_code == 200


def test_every_api_endpoint_knows_its_methods():
    """The 405 check needs each ninja path's methods; a ninja upgrade hiding them fails here."""
    checked = 0
    for resolver in get_resolver().url_patterns:
        if getattr(resolver, "namespace", None) not in ("api", "fhir"):
            continue
        for p in resolver.url_patterns:
            callback = p.callback
            if p.name in ("tokens", "revoke_token", "api-root", "openapi-json",
                          "openapi-view", UNKNOWN_PATH):
                continue
            assert callback.allowed_methods, p.name
            checked += 1
    assert checked >= 40


def test_a_request_django_refuses_as_suspicious_is_400_in_each_format():
    from django.core.exceptions import RequestDataTooBig

    cast = make_cast()
    client = TokenClient(token_for(cast.clinician))
    with mock.patch("mitra.api.routers.measures.instruments",
                    side_effect=RequestDataTooBig("too big")):
        _rest_error(client.get("/api/instruments"), 400)
    with mock.patch("mitra.api.routers.fhir_metadata._version",
                    side_effect=RequestDataTooBig("too big")):
        _fhir_error(Client().get("/fhir/metadata"), 400)
