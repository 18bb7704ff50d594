"""One error shape for the REST API, and OperationOutcome for FHIR.

REST:  {"status": 400, "errors": [{"field": "mood", "location": "body", "problem": "..."}]}
       `field` is null when the problem is not about one field (401, 403, 404, 405, 409, 500).
FHIR:  an OperationOutcome with one issue per problem; `expression` names the field.

Every answer under /api/ and /fhir/ takes its API's shape, not only an endpoint's own errors:
an unknown path (`NoSuchEndpoint`, raised by the API's catch-all URL pattern), a method the
path does not take (`MethodNotAllowed`, 405 with an `Allow` header) and an unexpected exception
(500, logged as Django logs one) go through the same ninja exception handlers.

A database outage or a full disk (mitra.lib.outage) is 503 with Retry-After, in the same shape
(FHIR issue code "transient"): from an endpoint through these handlers, and from a middleware
(a session cookie sent along makes the session middleware read the database before the API
view runs) through `unavailable_response`, which the site's 500 handler calls.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mitra.api import fhir
from mitra.api.permissions import ScopeMissing
from mitra.lib.outage import RETRY_AFTER_SECONDS, Outage, outage_of, problem_text


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


class NoSuchEndpoint(Exception):
    """No endpoint at this path. `topics`: what the API does offer (for the message)."""

    def __init__(self, path: str, topics: Sequence[str] = ()) -> None:
        self.path = path
        self.topics = list(topics)
        super().__init__(path)


class MethodNotAllowed(Exception):
    """The path exists but does not take this method; `allowed` goes into the Allow header.
    `route`: the URL pattern, relative to the API's root ("Patient/<patient_id>")."""

    def __init__(self, method: str, allowed: Sequence[str], route: str = "") -> None:
        self.method = method
        self.allowed = sorted(allowed)
        self.route = route
        super().__init__(f"{method} not allowed; allowed: {', '.join(self.allowed)}")


request_logger = logging.getLogger("django.request")


def _report_unexpected(request: HttpRequest, exc: Exception) -> str:
    """Log and signal an unhandled exception as Django would (admins' mail, error trackers, the
    test client); return the message for the client: no detail outside DEBUG."""
    request_logger.error("Internal Server Error: %s", request.path, exc_info=exc,
                         extra={"status_code": 500, "request": request})
    signals.got_request_exception.send(sender=None, request=request)
    problem = "internal server error: the failure is logged; please try again later"
    if settings.DEBUG:
        problem += f" ({type(exc).__name__}: {exc})"
    return problem


def _report_unavailable(request: HttpRequest, exc: Exception) -> None:
    """Log and signal a 503 as Django does one from its 500 handler."""
    request_logger.error("Service Unavailable: %s", request.path, exc_info=exc,
                         extra={"status_code": 503, "request": request})
    signals.got_request_exception.send(sender=None, request=request)


def _bad_request(request: HttpRequest, exc: Exception) -> str:
    """What Django answers 400 for (a malformed or suspicious request); logged as Django logs
    it, the message for the client."""
    if isinstance(exc, SuspiciousOperation):
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        return "request refused as malformed or too large"
    return str(exc) or "bad request"


def _shown_path(request: HttpRequest) -> str:
    path = request.path
    return path if len(path) <= 200 else path[:200] + "..."


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


def _rest(api: NinjaAPI, request: HttpRequest, status: int, problems: list[dict], *,
          allow: Sequence[str] = ()) -> HttpResponse:
    response = api.create_response(request, {"status": status, "errors": problems}, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="mitra"'
    if allow:
        response["Allow"] = ", ".join(allow)
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

    @api.exception_handler(NoSuchEndpoint)
    def on_no_endpoint(request, exc):
        ns = api.urls_namespace
        root = reverse(f"{ns}:api-root")
        problem = f"no endpoint at {_shown_path(request)}"
        if exc.topics:
            problem += f"; the API's paths start with {', '.join(root + t for t in exc.topics)}"
        problem += (f" (every endpoint and its methods: {reverse(f'{ns}:openapi-json')}, "
                    f"{reverse(f'{ns}:openapi-view')})")
        return _rest(api, request, 404, one(404, problem))

    @api.exception_handler(MethodNotAllowed)
    def on_method(request, exc):
        problem = (f"{exc.method} is not allowed on {_shown_path(request)}; allowed: "
                   f"{', '.join(exc.allowed)}")
        return _rest(api, request, 405, one(405, problem), allow=exc.allowed)

    @api.exception_handler(BadRequest)
    @api.exception_handler(SuspiciousOperation)
    def on_bad_request(request, exc):
        return _rest(api, request, 400, one(400, _bad_request(request, exc)))

    @api.exception_handler(Exception)
    def on_unexpected(request, exc):
        outage = outage_of(exc)
        if outage is not None:
            _report_unavailable(request, exc)
            return _rest(api, request, 503, one(503, problem_text(outage)))
        return _rest(api, request, 500, one(500, _report_unexpected(request, exc)))


def _outcome(api: NinjaAPI, request: HttpRequest, status: int, issues: list[dict], *,
             allow: Sequence[str] = ()) -> HttpResponse:
    response = api.create_response(request, fhir.operation_outcome(issues), status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="mitra"'
    if allow:
        response["Allow"] = ", ".join(allow)
    return response


def fhir_capabilities() -> dict[str, list[str]]:
    """Per supported resource type, what the CapabilityStatement says it does: its interaction
    codes and `$operations`."""
    from mitra.api.routers.fhir_metadata import INTERACTIONS  # the routers import this module

    statement = fhir.capability_statement(base_url="", software_version="", date="",
                                          resources=INTERACTIONS)
    out: dict[str, list[str]] = {}
    for entry in statement["rest"][0]["resource"]:
        does = [i["code"] for i in entry.get("interaction", [])]
        does += [f"${op['name']}" for op in entry.get("operation", [])]
        out[entry["type"]] = does
    return out


def _fhir_supported(resource_type: str | None) -> str:
    capabilities = fhir_capabilities()
    metadata = f"the CapabilityStatement: {reverse('fhir:metadata')}"
    if resource_type in capabilities:
        return f"{resource_type} supports {', '.join(capabilities[resource_type])} ({metadata})"
    return f"the supported resource types are {', '.join(sorted(capabilities))} ({metadata})"


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

    @api.exception_handler(NoSuchEndpoint)
    def on_no_endpoint(request, exc):
        resource_type = exc.path.split("/", 1)[0]
        if resource_type in fhir_capabilities():
            problem = f"no such interaction: {_shown_path(request)}; "
        else:
            problem = (f"{resource_type or 'this path'} is not a resource type this server "
                       f"supports; ")
        return _outcome(api, request, 404,
                        one("not-supported", problem + _fhir_supported(resource_type)))

    @api.exception_handler(MethodNotAllowed)
    def on_method(request, exc):
        resource_type = exc.route.split("/", 1)[0]  # "Patient/<patient_id>" -> "Patient"
        problem = (f"{exc.method} is not supported on {_shown_path(request)}; allowed methods: "
                   f"{', '.join(exc.allowed)}; {_fhir_supported(resource_type)}")
        return _outcome(api, request, 405, one("not-supported", problem), allow=exc.allowed)

    @api.exception_handler(BadRequest)
    @api.exception_handler(SuspiciousOperation)
    def on_bad_request(request, exc):
        return _outcome(api, request, 400, one("invalid", _bad_request(request, exc)))

    @api.exception_handler(Exception)
    def on_unexpected(request, exc):
        outage = outage_of(exc)
        if outage is not None:
            _report_unavailable(request, exc)
            return _outcome(api, request, 503, one("transient", problem_text(outage)))
        return _outcome(api, request, 500, one("exception", _report_unexpected(request, exc)))


def unavailable_response(request: HttpRequest, outage: Outage) -> HttpResponse | None:
    """503 in the REST or FHIR shape when the request was for an API endpoint (a token view:
    the only CSRF-exempt views), else None. For the site's 500 handler."""
    from mitra.api.endpoints import api, fhir_api  # endpoints imports this module

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if not getattr(match.func, "csrf_exempt", False):
        return None
    if match.namespace == fhir_api.urls_namespace:
        issue = {"code": "transient", "diagnostics": problem_text(outage), "expression": None}
        return _outcome(fhir_api, request, 503, [issue])
    if match.namespace == api.urls_namespace:
        problem = {"field": None, "location": None, "problem": problem_text(outage)}
        return _rest(api, request, 503, [problem])
    return None
