"""Template tags for other apps' pages (the patient's home card)."""

from __future__ import annotations

from django import template

from mitra.reminders.views import patient_zone, waiting_prompts

register = template.Library()


@register.inclusion_tag("reminders/_home_card.html")
def reminders_card(patient) -> dict:
    """The "Check-ins waiting" card on the patient's home page: the in-app notice of every
    prompt whose time has come, whatever its channels did (nothing when none is waiting)."""
    return {"waiting": waiting_prompts(patient), "zone": patient_zone(patient)}
