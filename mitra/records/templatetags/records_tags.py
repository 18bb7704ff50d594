"""The "My records and my rights" card on the patient's home page."""

from __future__ import annotations

from django import template

from mitra.records.models import RecordRequest

register = template.Library()


@register.inclusion_tag("records/_home_card.html")
def records_card(patient) -> dict:
    return {"open_requests": RecordRequest.objects.filter(
        patient=patient, state=RecordRequest.State.OPEN).count()}
