"""The "Today's diary" card on the patient's home page."""

from __future__ import annotations

from django import template
from django.utils import timezone

from mitra.diary.models import DiaryEntry
from mitra.diary.queries import current_taper_plan

register = template.Library()


@register.inclusion_tag("diary/_today_card.html")
def diary_today_card(patient) -> dict:
    today = timezone.localdate()
    plan = current_taper_plan(patient)
    spec = plan.as_plan() if plan else None
    return {
        "done": DiaryEntry.objects.current().filter(patient=patient, date=today).exists(),
        "today": today,
        "plan": plan,
        "planned_today": spec.planned_amount(today) if spec else None,
        "plan_paused": spec.paused_on(today) if spec else None,
    }
