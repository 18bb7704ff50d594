"""Django-side helpers for the FHIR endpoints: responses, paging, base URLs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from mitra.api import fhir
from mitra.patients.access import record_patients_shown

DEFAULT_COUNT = 50
MAX_COUNT = 200


class FhirResponse(JsonResponse):
    def __init__(self, resource: dict, status: int = 200, **kwargs: Any) -> None:
        super().__init__(resource, status=status, content_type=fhir.FHIR_MEDIA_TYPE, **kwargs)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).rsplit("/metadata", 1)[0]


def int_param(request: HttpRequest, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise fhir.FhirError(400, f"{name}: a whole number from {low} to {high}",
                             expression=name)
    return value


def check_params(request: HttpRequest, allowed: Iterable[str]) -> None:
    """Refuse unknown search parameters instead of silently returning everything."""
    known = set(allowed) | {"_count", "_offset", "_format"}
    unknown = sorted(set(request.GET) - known)
    if unknown:
        raise fhir.FhirError(400, f"unsupported search parameter(s) {', '.join(unknown)}; "
                             f"supported: {', '.join(sorted(known))}", code="not-supported",
                             expression=unknown[0])


def searchset(request: HttpRequest, rows: Any, to_resource: Callable[[Any], dict],
              *, total: int | None = None,
              patient_of: Callable[[Any], Any] | None = None) -> FhirResponse:
    """A paged searchset Bundle: `_count` per page, `_offset` to move on.

    `patient_of(row)`: the patient a row is about, for a search across patients; the page's
    patients are then recorded as shown (`record_patients_shown`).
    """
    count = int_param(request, "_count", DEFAULT_COUNT, low=0, high=MAX_COUNT)
    offset = int_param(request, "_offset", 0, low=0, high=10**9)
    if total is None:
        total = rows.count() if hasattr(rows, "count") and not isinstance(rows, list) \
            else len(rows)
    page = list(rows[offset:offset + count])
    if patient_of is not None:
        record_patients_shown(request, (patient_of(row) for row in page))
    params = {k: v for k, v in request.GET.items() if k not in ("_offset",)}
    here = request.build_absolute_uri(request.path)
    links = {"self": f"{here}?{urlencode({**params, '_offset': offset})}"}
    if offset + count < total:
        links["next"] = f"{here}?{urlencode({**params, '_offset': offset + count})}"
    return FhirResponse(fhir.bundle(
        kind="searchset", base_url=base_url(request),
        resources=[to_resource(row) for row in page], total=total, links=links,
    ))


