"""Django-side helpers for the FHIR endpoints: responses, paging, base URLs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from mitra.accounts.models import Role
from mitra.api import fhir
from mitra.consent import labels
from mitra.consent.access import kinds_for_recipient
from mitra.consent.disclosure import KINDS_ALL, ConsentMissing
from mitra.consent.rules import SCOPE_WORDS
from mitra.lib import conf
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




# -- DS4P labels and what an outside recipient may read -----------------------------------------


def security(kind: str | None) -> list[dict[str, str]]:
    """The `meta.security` labels of a record of `kind` (`mitra.consent.labels`); the Part 2
    policy label only with Part 2 handling on."""
    return labels.security_labels(kind, part2=conf.part2())


def reader_kinds(request: HttpRequest, patients: Iterable[Any]) -> frozenset[str] | None:
    """The kinds of record the caller may read of `patients`: None (no limit) for anyone but
    an outside recipient; for a recipient, the kinds their consent covers for each of them."""
    user = request.user
    if getattr(user, "role", None) != Role.RECIPIENT:
        return None
    kinds = KINDS_ALL
    for patient in patients:
        kinds = kinds & kinds_for_recipient(user, patient)  # type: ignore[arg-type]
    return kinds


def only_visible(kinds: frozenset[str] | None, resources: Iterable[dict]) -> list[dict]:
    return [r for r in resources if labels.visible(r, kinds)]


def require_visible(request: HttpRequest, patient: Any, resource: dict) -> dict:
    """`resource`, or ConsentMissing (403) naming the kind the recipient's consent leaves out."""
    if not labels.visible(resource, reader_kinds(request, [patient])):
        kind = labels.kind_of_resource(resource) or "all"
        raise ConsentMissing(f"The consent covering you does not cover {SCOPE_WORDS[kind]}.")
    return resource
