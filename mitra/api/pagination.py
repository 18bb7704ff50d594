"""Paging for the REST API's lists: bounded `limit`/`offset`, and the patients each page showed.

`Pagination` is every list's paging: `limit` from 1 to `MAX_LIMIT`, `offset` from 0 to
`MAX_OFFSET`. A value outside (or not a whole number) is a 400 in the API's error shape naming
the parameter and its range; it never reaches the database, where a number beyond 64 bits
makes the driver fail (a 500 once). `ShownPatientsPagination` is the one for lists across
patients.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from mitra.patients.access import record_patients_shown

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10**9


def _whole_number(name: str, low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        text = str(value).strip()
        number = int(text) if re.fullmatch(r"[+-]?\d{1,20}", text) else None
        if isinstance(value, bool) or number is None or not low <= number <= high:
            shown = text if len(text) <= 40 else text[:40] + "..."
            raise PydanticCustomError(
                "out_of_range", "{name}: a whole number from {low} to {high}, not {shown}",
                {"name": name, "low": low, "high": high, "shown": shown})
        return number

    return check


class Pagination(LimitOffsetPagination):
    """`limit`/`offset` paging within bounds: `@paginate(Pagination)`."""

    class Input(Schema):
        limit: Annotated[int, BeforeValidator(_whole_number("limit", 1, MAX_LIMIT))] = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page, 1-{MAX_LIMIT}.")
        offset: Annotated[int, BeforeValidator(_whole_number("offset", 0, MAX_OFFSET))] = Field(
            0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class ShownPatientsPagination(Pagination):
    """Bounded paging, and one audit event naming the patients on the page.

        @paginate(ShownPatientsPagination, patient_of=lambda alert: alert.patient)

    `patient_of(item)` is the patient an item is about (the item itself by default).
    """

    def __init__(self, *, patient_of: Callable[[Any], Any] = lambda item: item,
                 **kwargs: Any) -> None:
        self.patient_of = patient_of
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest,
                          **params: Any) -> Any:
        result = super().paginate_queryset(queryset, pagination=pagination, request=request,
                                           **params)
        items = list(result[self.items_attribute])
        result[self.items_attribute] = items
        record_patients_shown(request, (self.patient_of(item) for item in items))
        return result
