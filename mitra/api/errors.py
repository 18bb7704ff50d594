"""One error shape for the REST API, and OperationOutcome for FHIR.

REST:  {"status": 400, "errors": [{"field": "mood", "in": "body", "problem": "..."}]}
       `field` is null when the problem is not about one field (401, 403, 404, 409).
FHIR:  an OperationOutcome with one issue per problem; `expression` names the field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mitra.api import fhir
from mitra.api.permissions import ScopeMissing


class Problem(Schema):
    field: str | None = None
    # Where the field was: "body", "query" or "path".
    location: str | None = None
    problem: str


class ErrorOut(Schema):
    status: int
    errors: list[Problem]


class ApiError(Exception):
    """Raised by an endpoint for a 4xx that names the field and the problem."""

    def __init__(self, status: int, problem: str, *, field: str | None = None,
                 location: str | None = None) -> None:
        self.status = status
        self.problem = problem
        self.field = field
        self.location = location
        super().__init__(problem)


# Every operation declares these, so a client (and schemathesis) knows each status it may see.
COMMON_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def responses(ok: dict[int, Any], *extra: int) -> dict[int, Any]:
    out = dict(COMMON_ERRORS)
    out.update({code: ErrorOut for code in extra})
    out.update(ok)
    return out


def _problems_from_validation(exc: ValidationError) -> list[dict[str, Any]]:
    problems = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ())]
        location = loc[0] if loc and loc[0] in ("body", "query", "path", "header") else None
        parts = loc[1:] if location else loc
        # ninja nests a body schema under its parameter name ("payload"): drop it.
        if location == "body" and len(parts) > 1:
            parts = parts[1:]
        problems.append({
            "field": ".".join(parts) or None,
            "location": location,
            "problem": str(err.get("msg", "invalid value")),
        })
    return problems


def _rest(api: NinjaAPI, request: HttpRequest, status: int, problems: list[dict]) -> HttpResponse:
    response = api.create_response(request, {"status": status, "errors": problems}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="mitra"'
    return response


def install_rest_handlers(api: NinjaAPI) -> None:
    def one(status: int, problem: str, field: str | None = None, location: str | None = None):
        return [{"field": field, "location": location, "problem": problem}]

    @api.exception_handler(ValidationError)
    def on_validation(request, exc):
        return _rest(api, request, 400, _problems_from_validation(exc))

    @api.exception_handler(ApiError)
    def on_api_error(request, exc):
        return _rest(api, request, exc.status, one(exc.status, exc.problem, exc.field,
                                                   exc.location))

    @api.exception_handler(AuthenticationError)
    def on_auth(request, exc):
        problem = "send a valid, unrevoked token: Authorization: Bearer mitra_pat_..."
        return _rest(api, request, 401, one(401, problem))

    @api.exception_handler(ScopeMissing)
    def on_scope(request, exc):
        return _rest(api, request, 403, one(403, str(exc)))

    @api.exception_handler(PermissionDenied)
    def on_denied(request, exc):
        return _rest(api, request, 403, one(403, str(exc) or "not allowed"))

    @api.exception_handler(Http404)
    def on_404(request, exc):
        return _rest(api, request, 404, one(404, str(exc) or "not found"))

    @api.exception_handler(HttpError)
    def on_http(request, exc):
        return _rest(api, request, exc.status_code, one(exc.status_code, str(exc)))


def _outcome(api: NinjaAPI, request: HttpRequest, status: int, issues: list[dict]) -> HttpResponse:
    response = api.create_response(request, fhir.operation_outcome(issues), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="mitra"'
    return response


def install_fhir_handlers(api: NinjaAPI) -> None:
    def one(code: str, problem: str, expression: str | None = None) -> list[dict]:
        return [{"code": code, "diagnostics": problem, "expression": expression}]

    @api.exception_handler(ValidationError)
    def on_validation(request, exc):
        issues = [
            {"code": "invalid", "diagnostics": p["problem"], "expression": p["field"]}
            for p in _problems_from_validation(exc)
        ]
        return _outcome(api, request, 400, issues)

    @api.exception_handler(fhir.FhirError)
    def on_fhir_error(request, exc):
        return _outcome(api, request, exc.status, exc.issues)

    @api.exception_handler(ApiError)
    def on_api_error(request, exc):
        code = {409: "conflict", 404: "not-found", 403: "forbidden"}.get(exc.status, "invalid")
        return _outcome(api, request, exc.status, one(code, exc.problem, exc.field))

    @api.exception_handler(AuthenticationError)
    def on_auth(request, exc):
        return _outcome(api, request, 401, one("login", "send a valid token with the fhir scope"))

    @api.exception_handler(ScopeMissing)
    def on_scope(request, exc):
        return _outcome(api, request, 403, one("forbidden", str(exc)))

    @api.exception_handler(PermissionDenied)
    def on_denied(request, exc):
        return _outcome(api, request, 403, one("forbidden", str(exc) or "not allowed"))

    @api.exception_handler(Http404)
    def on_404(request, exc):
        return _outcome(api, request, 404, one("not-found", str(exc) or "not found"))

    @api.exception_handler(HttpError)
    def on_http(request, exc):
        return _outcome(api, request, exc.status_code, one("processing", str(exc)))
