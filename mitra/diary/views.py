"""Diary pages: the patient's daily entry (form and JSON), the clinician's diary and taper plan."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mitra.accounts.models import Role
from mitra.core.views import role_required
from mitra.diary import actions
from mitra.diary.forms import (
    RATINGS,
    EntryForm,
    TaperPauseForm,
    TaperPlanForm,
    UseFormSet,
    field_errors,
    json_to_formdata,
    parse_submission,
)
from mitra.diary.models import DiaryEntry, TaperPlan, UseEvent
from mitra.diary.units import SUBSTANCES, UNITS
from mitra.patients.access import can_write_patient, get_own_patient, get_patient_for_user
from mitra.safety.models import Alert

CHART_DAYS = 90


def _day_param(request: HttpRequest, name: str = "date") -> date:
    raw = request.GET.get(name)
    if not raw:
        return timezone.localdate()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Http404(f"{name} must be a date as YYYY-MM-DD") from None


def _form_context(patient, entry_form, use_formset, day: date) -> dict:
    plan = actions.current_taper_plan(patient)
    recent = (DiaryEntry.objects.current().filter(patient=patient)
              .prefetch_related("uses")[:14])
    return {
        "patient": patient,
        "form": entry_form,
        "uses": use_formset,
        "day": day,
        "ratings": [(entry_form[name], label, low, high)
                    for name, (label, low, high) in RATINGS.items()],
        "scale": range(11),
        "plan": plan,
        "planned_today": plan.as_plan().planned_amount(timezone.localdate()) if plan else None,
        "plan_paused": plan.as_plan().paused_on(timezone.localdate()) if plan else None,
        "recent": recent,
    }


def _initial_for(patient, day: date) -> tuple[dict, list[dict]]:
    """Prefill the form with the day's current entry, so a second visit edits it."""
    current = DiaryEntry.objects.current().filter(patient=patient, date=day).first()
    initial = {"uuid": uuid.uuid4(), "date": day}
    if current is None:
        return initial, []
    initial.update({name: getattr(current, name) for name in RATINGS})
    initial.update({"motives": current.motives, "note": current.note})
    uses = [{"substance": u.substance, "amount": u.amount.normalize(), "unit": u.unit,
             "grams_per_unit": u.grams_per_unit, "time": u.time,
             "product_label": u.product_label} for u in current.uses.all()]
    return initial, uses


@require_GET
@role_required(Role.PATIENT)
def entry_form(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    day = _day_param(request)
    initial, uses = _initial_for(patient, day)
    form = EntryForm(initial=initial)
    formset = UseFormSet(prefix="uses", initial=uses)
    context = _form_context(patient, form, formset, day)
    context["editing"] = bool(uses) or DiaryEntry.objects.current().filter(
        patient=patient, date=day).exists()
    return render(request, "diary/entry_form.html", context)


@require_POST
@role_required(Role.PATIENT)
def submit(request: HttpRequest) -> HttpResponse:
    """The form POST (works without JavaScript): saves, or re-renders with the answers kept."""
    patient = get_own_patient(request)
    entry, uses, submission = parse_submission(request.POST, enrolled_on=patient.enrolled_on)
    if submission is None:
        day = entry.cleaned_data.get("date") or timezone.localdate()
        return render(request, "diary/entry_form.html",
                      _form_context(patient, entry, uses, day), status=400)
    try:
        result = actions.do_submit_diary_entry(request, patient, submission)
    except actions.SubmissionConflict as exc:
        entry.add_error(None, str(exc))
        return render(request, "diary/entry_form.html",
                      _form_context(patient, entry, uses, submission.date), status=409)
    messages.success(request, f"Your diary for {submission.date:%A %d %B} is saved.")
    return redirect(f"{reverse('diary:entry')}?date={result.entry.date.isoformat()}")


@require_POST
@role_required(Role.PATIENT)
def api_submit(request: HttpRequest) -> JsonResponse:
    """JSON submission: 201 stored, 200 a repeat of a stored one, 409 UUID reused with other
    answers, 400 with errors per field."""
    patient = get_own_patient(request)
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"errors": {"__all__": [
            "send a JSON object with uuid, date, ratings, motives, note and uses"]}}, status=400)
    entry, uses, submission = parse_submission(json_to_formdata(payload),
                                               enrolled_on=patient.enrolled_on)
    if submission is None:
        return JsonResponse({"errors": field_errors(entry, uses)}, status=400)
    try:
        result = actions.do_submit_diary_entry(request, patient, submission)
    except actions.SubmissionConflict as exc:
        return JsonResponse({"errors": {"uuid": [str(exc)]}}, status=409)
    stored = result.entry
    return JsonResponse({
        "uuid": str(stored.uuid), "date": stored.date.isoformat(), "version": stored.version,
        "created": result.created,
        "url": f"{reverse('diary:entry')}?date={stored.date.isoformat()}",
    }, status=201 if result.created else 200)


def _actual_series(plan: TaperPlan | None, uses: list[UseEvent]) -> tuple[dict, str]:
    """Daily actual amount in the plan's terms; without a plan, kratom grams per day."""
    totals: dict[date, float] = defaultdict(float)
    if plan is None or (plan.unit == "g" and plan.substance in ("kratom_powder",
                                                                 "kratom_capsule")):
        for u in uses:
            if u.grams is not None:
                totals[u.date] += float(u.grams)
        return totals, "g of kratom plant material"
    for u in uses:
        if u.substance == plan.substance and u.unit == plan.unit:
            totals[u.date] += float(u.amount)
    return totals, f"{UNITS[plan.unit]} of {SUBSTANCES[plan.substance].lower()}"


@require_GET
@role_required(Role.CLINICIAN)
def patient_diary(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    until = _day_param(request, "until")
    start = until - timedelta(days=CHART_DAYS - 1)
    entries = list(
        DiaryEntry.objects.current()
        .filter(patient=patient, date__gte=start, date__lte=until)
        .prefetch_related("uses").order_by("-date")
    )
    uses = [u for e in entries for u in e.uses.all()]
    plan = actions.current_taper_plan(patient)
    spec = plan.as_plan() if plan else None
    totals, actual_label = _actual_series(plan, uses)
    withdrawal = {e.date: e.withdrawal for e in entries}
    days = [start + timedelta(days=i) for i in range(CHART_DAYS)]
    chart = {
        "dates": [d.isoformat() for d in days],
        "actual": [totals.get(d, 0) if d in withdrawal else None for d in days],
        "actual_label": actual_label,
        "planned": [float(a) if (a := spec.planned_amount(d)) is not None else None
                    for d in days] if spec else [],
        "withdrawal": [withdrawal.get(d) for d in days],
    }
    enrolled = max(patient.enrolled_on, start)
    adherence = actions.analytics.adherence(withdrawal.keys(), enrolled, until)
    alerts = Alert.objects.filter(
        patient=patient, kind__in=[Alert.Kind.ESCALATION, Alert.Kind.CO_USE,
                                   Alert.Kind.CONCENTRATED_7OH]
    ).order_by("-created_at")[:20]
    can_write = can_write_patient(request.user, patient)
    return render(request, "diary/patient_diary.html", {
        "patient": patient, "entries": entries, "chart": chart, "plan": plan,
        "planned_today": spec.planned_amount(timezone.localdate()) if spec else None,
        "adherence": adherence, "alerts": alerts, "until": until, "start": start,
        "can_write": can_write, "pause_form": TaperPauseForm(),
    })


@require_GET
@role_required(Role.CLINICIAN)
def entry_history(request: HttpRequest, patient_uuid, day: str) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    try:
        the_day = date.fromisoformat(day)
    except ValueError:
        raise Http404("day must be YYYY-MM-DD") from None
    versions = list(DiaryEntry.objects.filter(patient=patient, date=the_day)
                    .prefetch_related("uses").order_by("-version"))
    if not versions:
        raise Http404("No diary entry for that day")
    return render(request, "diary/entry_history.html",
                  {"patient": patient, "day": the_day, "versions": versions})


@require_GET
@role_required(Role.CLINICIAN)
def taper_new(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    current = actions.current_taper_plan(patient)
    initial = {"start_date": timezone.localdate(), "substance": "kratom_powder", "unit": "g",
               "step_kind": TaperPlan.StepKind.PERCENT, "interval_days": 7}
    return render(request, "diary/taper_form.html",
                  {"patient": patient, "form": TaperPlanForm(initial=initial),
                   "current": current})


@require_POST
@role_required(Role.CLINICIAN)
def taper_create(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = TaperPlanForm(request.POST)
    if not form.is_valid():
        return render(request, "diary/taper_form.html",
                      {"patient": patient, "form": form,
                       "current": actions.current_taper_plan(patient)})
    actions.do_create_taper_plan(request, patient, form.cleaned_data)
    messages.success(request, "Taper plan saved. The patient now sees it as your plan.")
    return redirect("diary:patient_diary", patient_uuid=patient.uuid)


@require_POST
@role_required(Role.CLINICIAN)
def taper_pause(request: HttpRequest, patient_uuid, plan_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    plan = get_object_or_404(TaperPlan, patient=patient, uuid=plan_uuid, replaced_at__isnull=True)
    form = TaperPauseForm(request.POST)
    if not form.is_valid():
        return render(request, "diary/taper_pause.html",
                      {"patient": patient, "plan": plan, "pause_form": form})
    actions.do_pause_taper_plan(request, plan, form.cleaned_data)
    messages.success(request, "Pause added to the taper plan.")
    return redirect("diary:patient_diary", patient_uuid=patient.uuid)
