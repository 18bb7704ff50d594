"""The "How I have been" card on the patient's home page."""

from __future__ import annotations

from django import template

from mitra.measures.models import Response

register = template.Library()


@register.inclusion_tag("reports/_home_card.html")
def trends_card(patient) -> dict:
    latest = (Response.objects.filter(patient=patient, instrument="phq9", total__isnull=False)
              .order_by("-submitted_at").values("total", "severity", "submitted_at").first())
    return {"latest": latest}
