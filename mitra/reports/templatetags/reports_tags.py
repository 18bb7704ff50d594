"""The "How I have been" card on the patient's home page; a wait in words (`wait`)."""

from __future__ import annotations

from django import template

from mitra.measures.models import Response

register = template.Library()


@register.inclusion_tag("reports/_home_card.html")
def trends_card(patient) -> dict:
    latest = (Response.objects.filter(patient=patient, instrument="phq9", total__isnull=False)
              .order_by("-submitted_at").values("total", "severity", "submitted_at").first())
    return {"latest": latest}


@register.filter
def wait(minutes: float | None) -> str:
    """A time to answer in words: "under a minute", "45 min", "2 h 10 min", "3 d 4 h"."""
    if minutes is None:
        return ""
    total = round(minutes)
    if total < 1:
        return "under a minute"
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"
