"""What the REST API and the FHIR interface read from a request, checked before any endpoint.

Every API view is wrapped by `mitra.api.routing` to call `check_request` first: each query
parameter (name and values) and a JSON body (every string and key, at any depth, and the
depth) pass `mitra.lib.untrusted`, or the request is a 400 in the API's own shape (REST error,
FHIR OperationOutcome) naming the parameter or the JSON path (`uses[0].product_label`,
`item[3].linkId`). The body parsed there is kept on the request: ninja's parser
(`CheckedParser`) and the FHIR endpoints (`json_body`) read it without parsing it again.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from mitra.api.errors import ApiError
from mitra.lib import untrusted

_PARSED = "_mitra_json_body"
WITH_BODY = {"POST", "PUT", "PATCH"}


def _refused(exc: untrusted.Refused, location: str) -> ApiError:
    return ApiError(400, str(exc), field=exc.field, location=location)


def check_query(data: MultiValueDict) -> None:
    for name, values in data.lists():
        shown = untrusted.shown_key(name)
        try:
            untrusted.check_text(shown, name)
            for value in values:
                untrusted.check_text(shown, value)
        except untrusted.Refused as exc:
            raise _refused(exc, "query") from None


def json_body(request: HttpRequest) -> Any:
    """The request's JSON body, checked (once per request); ApiError 400 for what
    `untrusted.load_json` refuses, ValueError when the body is not JSON."""
    if not hasattr(request, _PARSED):
        try:
            document = untrusted.load_json(request.body)
        except untrusted.Refused as exc:
            raise _refused(exc, "body") from None
        setattr(request, _PARSED, document)
    return getattr(request, _PARSED)


def check_request(request: HttpRequest) -> None:
    """ApiError 400 unless every query parameter and a JSON body are text Mitra can take. A body
    that is not JSON is left to the endpoint, which says so in its own words."""
    check_query(request.GET)
    if request.method in WITH_BODY and request.body:
        try:
            json_body(request)
        except ValueError:
            pass


class CheckedParser(Parser):
    """ninja's JSON parser, reading the body `check_request` checked."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json_body(request)
