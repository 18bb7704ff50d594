"""Template tags for other apps' pages (the patient's home card)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from mitra.measures.schedules import Due, due_for_patient

register = template.Library()


@register.simple_tag
def questionnaires_due(patient) -> list[Due]:
    """The patient's self-report questionnaires due today (for their own home page)."""
    return due_for_patient(patient, timezone.localdate(), self_report_only=True)


@register.inclusion_tag("measures/_home_card.html")
def questionnaires_card(patient) -> dict:
    """The "Questionnaires due" card on the patient's home page."""
    return {"due": questionnaires_due(patient)}
