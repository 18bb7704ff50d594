"""Test helpers for the API: tokens per role, a client that sends them, the error shapes."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from mitra.api.actions import do_create_api_token

ALL_SCOPES = ["read", "write", "fhir"]


def token_for(user, scopes: list[str] | None = None) -> str:
    _token, secret = do_create_api_token(user, acting=user, name="test",
                                         scopes=scopes or ALL_SCOPES)
    return secret


class TokenClient:
    """A Django test client that enforces CSRF (as a browser would) and sends a bearer token."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str, /, **params: Any):
        return self.client.get(path, params, headers=self.headers)

    def post(self, url: str, body: Any, content_type: str = "application/json"):
        return self.client.post(url, json.dumps(body), content_type=content_type,
                                headers=self.headers)

    def generic(self, method: str, url: str, body: Any = None):
        data = json.dumps(body) if body is not None else ""
        return self.client.generic(method, url, data, content_type="application/json",
                                   headers=self.headers)


def assert_error_shape(response, status: int, field: str | None = None) -> dict:
    """The one REST error shape: {status, errors: [{field, location, problem}]}."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status
    assert body["errors"], body
    for problem in body["errors"]:
        assert set(problem) == {"field", "location", "problem"}
        assert problem["problem"]
    if field is not None:
        assert field in [p["field"] for p in body["errors"]], body
    return body


def assert_operation_outcome(response, status: int) -> dict:
    """FHIR errors are an OperationOutcome, valid R4(B), with a diagnostic per issue."""
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["issue"] and all(i["diagnostics"] for i in body["issue"])
    return body
