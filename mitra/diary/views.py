"""Diary pages: the patient's daily entry (form and JSON), the clinician's diary and taper plan."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role
from mitra.diary import actions, analytics, nof1, queries, taper
from mitra.diary.forms import (
    RATINGS,
    EndPauseForm,
    EntryForm,
    TaperPauseForm,
    TaperPlanForm,
    UseFormSet,
    parse_submission,
)
from mitra.diary.json_submission import parse_json_submission
from mitra.diary.models import DiaryEntry, TaperPause, TaperPlan, UseEvent
from mitra.lib import panels, untrusted
from mitra.lib.links import fixed_path
from mitra.patients.access import can_write_patient, get_own_patient, get_patient_for_user
from mitra.safety.models import Alert

CHART_DAYS = 90
# The n-of-1 view reads the last year: enough days for a taper's steps, bounded for the page.
NOF1_DAYS = 365


def _day_param(request: HttpRequest, name: str = "date") -> date:
    raw = request.GET.get(name)
    if not raw:
        return timezone.localdate()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Http404(f"{name} must be a date as YYYY-MM-DD") from None


def _form_context(request: HttpRequest, patient, entry_form, use_formset, day: date) -> dict:
    plan = queries.current_taper_plan(patient)
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
        **_recent_context(request, patient),
    }


def _recent_context(request: HttpRequest, patient) -> dict:
    """What the page shows under the form, and refreshes after a save (`recent`): the last
    days, one line each, and other apps' panels (the CBT relapse-plan prompt, `lib.panels`)."""
    return {"recent": queries.recent_days(patient),
            "panels": panels.render_panels("diary:entry", request, patient)}


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
    form = EntryForm(initial=initial, enrolled_on=patient.enrolled_on)
    formset = UseFormSet(prefix="uses", initial=uses)
    context = _form_context(request, patient, form, formset, day)
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
                      _form_context(request, patient, entry, uses, day), status=400)
    try:
        result = actions.do_submit_diary_entry(patient, submission, acting=request)
    except actions.SubmissionConflict as exc:
        entry.add_error(None, str(exc))
        return render(request, "diary/entry_form.html",
                      _form_context(request, patient, entry, uses, submission.date), status=409)
    messages.success(request, f"Your diary for {submission.date:%A %d %B} is saved.")
    return redirect(f"{fixed_path('diary:entry')}?date={result.entry.date.isoformat()}")


@require_POST
@role_required(Role.PATIENT)
def api_submit(request: HttpRequest) -> JsonResponse:
    """JSON submission: 201 stored, 200 a repeat of a stored one, 409 UUID reused with other
    answers, 400 with errors per field."""
    patient = get_own_patient(request)
    try:
        payload = untrusted.load_json(request.body or b"null")
    except untrusted.Refused as exc:  # a NUL or lone surrogate, or nested too deep
        return JsonResponse({"errors": {exc.field or "__all__": [str(exc)]}}, status=400)
    except ValueError:
        payload = None
    # Every problem at once, by field (`uses[0].amount`), with the web form's messages.
    submission, errors = parse_json_submission(payload, enrolled_on=patient.enrolled_on)
    if submission is None:
        return JsonResponse({"errors": errors}, status=400)
    try:
        result = actions.do_submit_diary_entry(patient, submission, acting=request)
    except actions.SubmissionConflict as exc:
        return JsonResponse({"errors": {"uuid": [str(exc)]}}, status=409)
    stored = result.entry
    return JsonResponse({
        "uuid": str(stored.uuid), "date": stored.date.isoformat(), "version": stored.version,
        "created": result.created,
        "url": f"{fixed_path('diary:entry')}?date={stored.date.isoformat()}",
    }, status=201 if result.created else 200)


@require_GET
@role_required(Role.PATIENT)
def recent(request: HttpRequest) -> JsonResponse:
    """The list of last entries and the panels under the form, as HTML, for the page's script
    to put in place after it saved an entry (`diary-form.js`)."""
    patient = get_own_patient(request)
    context = _recent_context(request, patient)
    return JsonResponse({
        "recent": render_to_string("diary/_recent.html", context, request=request),
        "panels": str(context["panels"]),
    })


def _actual_series(plan: TaperPlan | None, uses: list[UseEvent]) -> tuple[dict, set, str]:
    """Daily recorded amount in the plan's terms (`taper.plan_terms`), the days that cannot be
    put in those terms, and the label; without a plan, kratom grams per day."""
    terms = taper.plan_terms(plan.substance if plan else None, plan.unit if plan else None)
    totals, unknown = taper.recorded_in_terms(
        terms, ((u.date, u.substance, u.amount, u.unit, u.grams) for u in uses))
    return {d: float(a) for d, a in totals.items()}, unknown, terms.label


@require_GET
@role_required(Role.CLINICIAN)
def patient_diary(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    return _diary_page(request, patient, _day_param(request, "until"))


def _diary_page(request: HttpRequest, patient, until: date, *, end_forms: dict | None = None,
                status: int = 200) -> HttpResponse:
    """The clinician's diary and taper page; a refused end-of-pause form re-renders it with
    the clinician's answer and the error (status 400)."""
    start = until - timedelta(days=CHART_DAYS - 1)
    entries = list(
        DiaryEntry.objects.current()
        .filter(patient=patient, date__gte=start, date__lte=until)
        .prefetch_related("uses").order_by("-date")
    )
    uses = [u for e in entries for u in e.uses.all()]
    plan = queries.current_taper_plan(patient)
    spec = plan.as_plan() if plan else None
    totals, unknown, actual_label = _actual_series(plan, uses)
    withdrawal = {e.date: e.withdrawal for e in entries}
    days = [start + timedelta(days=i) for i in range(CHART_DAYS)]
    chart = {
        "dates": [d.isoformat() for d in days],
        # A gap on days without an entry, and on days whose use cannot be put in the plan's
        # terms (never a zero there).
        "actual": [totals.get(d, 0) if d in withdrawal and d not in unknown else None
                   for d in days],
        "actual_label": actual_label,
        "planned": [float(a) if (a := spec.planned_amount(d)) is not None else None
                    for d in days] if spec else [],
        "withdrawal": [withdrawal.get(d) for d in days],
    }
    enrolled = max(patient.enrolled_on, start)
    adherence = analytics.adherence(withdrawal.keys(), enrolled, until)
    alerts = Alert.objects.filter(
        patient=patient, kind__in=[Alert.Kind.ESCALATION, Alert.Kind.CO_USE,
                                   Alert.Kind.CONCENTRATED_7OH]
    ).order_by("-created_at")[:20]
    can_write = can_write_patient(request.user, patient)
    today = timezone.localdate()
    end_forms = end_forms or {}
    # Each pause with, for a writer, the form that ends it while it is open or still running,
    # and whether it can still be cancelled (it has not begun).
    pauses = [
        (p, end_forms.get(p.pk) or EndPauseForm(prefix=f"end-{p.pk}", pause=p, today=today)
         if can_write and p.cancelled_at is None and (p.end_date is None or p.end_date > today)
         else None,
         can_write and p.cancelled_at is None and p.start_date > today)
        for p in (plan.pauses.all() if plan else [])
    ]
    return render(request, "diary/patient_diary.html", {
        "patient": patient, "entries": entries, "chart": chart, "plan": plan,
        "planned_today": spec.planned_amount(today) if spec else None,
        "adherence": adherence, "alerts": alerts, "until": until, "start": start,
        "can_write": can_write, "pause_form": TaperPauseForm(),
        "pauses": pauses,
    }, status=status)


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
    current = queries.current_taper_plan(patient)
    initial = {"start_date": timezone.localdate(), "substance": "kratom_powder", "unit": "g",
               "step_kind": TaperPlan.StepKind.PERCENT, "interval_days": 7}
    return render(request, "diary/taper_form.html",
                  {"patient": patient, "form": TaperPlanForm(initial=initial),
                   "current": current})


@require_POST
@role_required(Role.CLINICIAN)
def taper_create(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = TaperPlanForm(request.POST, enrolled_on=patient.enrolled_on)
    if not form.is_valid():
        return render(request, "diary/taper_form.html",
                      {"patient": patient, "form": form,
                       "current": queries.current_taper_plan(patient)}, status=400)
    actions.do_create_taper_plan(patient, form.cleaned_data, acting=request)
    messages.success(request, "Taper plan saved. The patient now sees it as your plan.")
    return redirect("diary:patient_diary", patient_uuid=patient.uuid)


@require_POST
@role_required(Role.CLINICIAN)
def taper_pause(request: HttpRequest, patient_uuid, plan_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    plan = get_object_or_404(TaperPlan, patient=patient, uuid=plan_uuid, replaced_at__isnull=True)
    form = TaperPauseForm(request.POST, enrolled_on=patient.enrolled_on)
    if not form.is_valid():
        return render(request, "diary/taper_pause.html",
                      {"patient": patient, "plan": plan, "pause_form": form}, status=400)
    actions.do_pause_taper_plan(plan, form.cleaned_data, acting=request)
    messages.success(request, "Pause added to the taper plan.")
    return redirect("diary:patient_diary", patient_uuid=patient.uuid)


@require_POST
@role_required(Role.CLINICIAN)
def taper_pause_end(request: HttpRequest, patient_uuid, plan_uuid, pause_uuid) -> HttpResponse:
    """End a pause today, or on a given day not before its start. Ending a pause that is
    already over changes nothing."""
    patient = get_patient_for_user(request, patient_uuid, write=True)
    plan = get_object_or_404(TaperPlan, patient=patient, uuid=plan_uuid, replaced_at__isnull=True)
    pause = get_object_or_404(TaperPause, plan=plan, uuid=pause_uuid)
    today = timezone.localdate()
    form = EndPauseForm(request.POST, prefix=f"end-{pause.pk}", pause=pause, today=today)
    if not form.is_valid():
        return _diary_page(request, patient, today, end_forms={pause.pk: form}, status=400)
    pause, changed = actions.do_end_taper_pause(pause, form.cleaned_data["end_date"],
                                                acting=request, today=today)
    # Unchanged, the pause keeps its own (earlier) end; changed, it ends on the day asked.
    ends = date_format(pause.end_date or form.cleaned_data["end_date"])
    if changed:
        messages.success(request, f"The pause ends on {ends}; the plan "
                                  "steps on from the day after.")
    else:
        messages.info(request, f"This pause already ends on {ends}; nothing was changed.")
    return redirect("diary:patient_diary", patient_uuid=patient.uuid)


@require_POST
@role_required(Role.CLINICIAN)
def taper_pause_cancel(request: HttpRequest, patient_uuid, plan_uuid, pause_uuid
                       ) -> HttpResponse:
    """Cancel a pause that has not begun; one that has begun is ended instead (409)."""
    patient = get_patient_for_user(request, patient_uuid, write=True)
    plan = get_object_or_404(TaperPlan, patient=patient, uuid=plan_uuid, replaced_at__isnull=True)
    pause = get_object_or_404(TaperPause, plan=plan, uuid=pause_uuid)
    today = timezone.localdate()
    try:
        pause, changed = actions.do_cancel_taper_pause(pause, acting=request, today=today)
    except ValueError as exc:
        messages.error(request, f"The pause was not cancelled: {exc}.")
        return _diary_page(request, patient, today, status=409)
    if changed:
        messages.success(request, f"The pause from {date_format(pause.start_date)} is cancelled; "
                                  "the plan no longer counts it.")
    else:
        messages.info(request, "This pause was already cancelled; nothing was changed.")
    return redirect("diary:patient_diary", patient_uuid=patient.uuid)


def _nof1_window() -> tuple[date, date]:
    end = timezone.localdate()
    return end - timedelta(days=NOF1_DAYS - 1), end


def _nof1_chart(result: nof1.Report) -> dict:
    """The pairs of every substance x exposure x outcome, for the scatter plot's chooser."""
    return {"series": [
        {"label": f"{a.substance_label}, {a.exposure_label} → "
                  f"next day's {a.outcome_label.lower()}",
         "x_label": f"{a.substance_label}: {a.exposure_label}",
         "y_label": f"next day's {a.outcome_label.lower()} (0-10)",
         "x": [p.exposure for p in a.pairs], "y": [p.outcome for p in a.pairs]}
        for a in result.associations]}


@require_GET
@role_required(Role.CLINICIAN)
def patient_nof1(request: HttpRequest, patient_uuid) -> HttpResponse:
    """Use and the next day's ratings in this patient's diary over the last year: association,
    not cause (`nof1`)."""
    patient = get_patient_for_user(request, patient_uuid)
    start, end = _nof1_window()
    days, uses, plan = queries.nof1_series(patient, start, end)
    result = nof1.report(days, uses, start, end, plan.as_plan() if plan else None)
    by_substance: dict[str, list[nof1.Association]] = {}
    for a in result.associations:
        by_substance.setdefault(a.substance_label, []).append(a)
    return render(request, "diary/patient_nof1.html", {
        "patient": patient, "report": result, "by_substance": by_substance, "plan": plan,
        "outcomes": nof1.OUTCOMES, "chart": _nof1_chart(result),
        "first_shown": next((i for i, a in enumerate(result.associations)
                             if a.status == nof1.OK), 0),
    })


def nof1_panel(request: HttpRequest, patient) -> str:
    """The clinician's patient page (`core:patient`, its access already checked): how many
    paired days the diary has, and the link. No statistics here: one query, no bootstrap."""
    start, end = _nof1_window()
    recorded = set(DiaryEntry.objects.current()
                   .filter(patient=patient, date__gte=start, date__lte=end)
                   .values_list("date", flat=True))
    paired = sum(1 for d in recorded if d + timedelta(days=1) in recorded)
    return render_to_string("diary/_nof1_panel.html", {
        "patient": patient, "paired": paired, "needed": nof1.MIN_PAIRS,
        "caveat": nof1.CAVEAT}, request=request)
