"""Paging for lists across patients that records which patients each page showed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja.pagination import LimitOffsetPagination

from mitra.patients.access import record_patients_shown


class ShownPatientsPagination(LimitOffsetPagination):
    """`limit`/`offset` paging, and one audit event naming the patients on the page.

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
