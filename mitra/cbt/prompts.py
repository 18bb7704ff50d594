"""When to put the relapse-prevention plan in front of the patient.

Relapse prevention asks people to rehearse their plan before and during high-risk moments
(Marlatt & Gordon 1985; Witkiewitz & Marlatt 2004); a strong craving recorded in the diary is
such a moment. The threshold is the setting MITRA_CBT_CRAVING_PROMPT_THRESHOLD (its rationale is
beside it in settings.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from mitra.cbt.models import RelapsePlan


@dataclass(frozen=True)
class RelapsePrompt:
    days: list[tuple[date, int]]  # (diary date, craving 0-10), newest first
    threshold: int
    plan: RelapsePlan | None  # None: no plan yet, the prompt invites the patient to write one

    @property
    def highest(self) -> int:
        return max(craving for _day, craving in self.days)


def _diary_model():
    """The diary's DiaryEntry, if that app provides one with the fields read here."""
    try:
        model = apps.get_model("diary", "DiaryEntry")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if {"patient", "date", "craving"} <= names else None


def high_craving_days(patient, today: date) -> list[tuple[date, int]]:
    model = _diary_model()
    if model is None:
        return []
    threshold = settings.MITRA_CBT_CRAVING_PROMPT_THRESHOLD
    since = today - timedelta(days=settings.MITRA_CBT_CRAVING_LOOKBACK_DAYS - 1)
    entries = model.objects.filter(
        patient=patient, date__gte=since, date__lte=today, craving__gte=threshold
    )
    if any(f.name == "is_current" for f in model._meta.get_fields()):
        # A corrected diary day keeps its old versions; only the current one counts.
        entries = entries.filter(is_current=True)
    return list(entries.order_by("-date").values_list("date", "craving"))


def relapse_plan_prompt(patient, today: date) -> RelapsePrompt | None:
    """The plan to surface when a recent diary day had a high craving; None otherwise."""
    days = high_craving_days(patient, today)
    if not days:
        return None
    plan = RelapsePlan.objects.filter(patient=patient).order_by("-version").first()
    return RelapsePrompt(days, settings.MITRA_CBT_CRAVING_PROMPT_THRESHOLD, plan)


def diary_panel(request: HttpRequest, patient) -> str:
    """The prompt on the diary page (a `lib.panels` panel of "diary:entry"): shown there
    right after a strong craving is saved, as on the home card; "" otherwise."""
    today = timezone.localdate()
    prompt = relapse_plan_prompt(patient, today)
    if prompt is None:
        return ""
    return render_to_string("cbt/_diary_prompt.html", {"prompt": prompt, "today": today},
                            request=request)
