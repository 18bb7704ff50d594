"""The CBT card on the patient's home page: homework due and, after a strong craving, the plan."""

from __future__ import annotations

from django import template
from django.utils import timezone

from mitra.cbt import summaries
from mitra.cbt.prompts import relapse_plan_prompt

register = template.Library()


@register.inclusion_tag("cbt/_card.html")
def cbt_card(patient) -> dict:
    from mitra.cbt.views import homework_url

    today = timezone.localdate()
    homework = list(summaries.open_homework(patient)[:5])
    return {
        "homework": [{"hw": hw, "overdue": hw.is_overdue(today), "url": homework_url(hw)}
                     for hw in homework],
        "prompt": relapse_plan_prompt(patient, today),
    }
