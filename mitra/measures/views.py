"""Questionnaire pages: the patient's forms, the care team's score history and schedules."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role
from mitra.measures.actions import (
    ResponseConflict,
    RuleError,
    ScheduleConflict,
    do_apply_pathway,
    do_assign_schedule_once,
    do_stop_schedule,
    do_submit_response,
)
from mitra.measures.forms import PathwayForm, ResponseForm, ScheduleForm
from mitra.measures.library import Instrument, get_instrument, instruments, unverified_marks
from mitra.measures.models import Response, Schedule
from mitra.measures.schedules import due_for_patient, overdue
from mitra.measures.scoring import change_over_time
from mitra.patients.access import (
    can_write_patient,
    get_own_patient,
    get_patient_for_user,
    patients_for_user,
    record_patients_shown,
)
from mitra.safety import pathway


def _instrument_or_404(instrument_id: str) -> Instrument:
    try:
        return get_instrument(instrument_id)
    except KeyError:
        raise Http404("No such instrument") from None


# -- the patient's own pages --------------------------------------------------------------


@require_GET
@role_required(Role.PATIENT)
def due(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    today = timezone.localdate()
    recent = Response.objects.filter(patient=patient).order_by("-submitted_at")[:10]
    return render(request, "measures/due.html", {
        "patient": patient,
        "due": due_for_patient(patient, today, self_report_only=True),
        "recent": recent,
    })


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def fill(request: HttpRequest, instrument_id: str) -> HttpResponse:
    patient = get_own_patient(request)
    inst = _instrument_or_404(instrument_id)
    if inst.administration != "self_report":
        raise Http404("This questionnaire is rated by a clinician")
    return _form_page(request, patient, inst, done_url=reverse("measures:due"))


def _form_page(request: HttpRequest, patient, inst: Instrument, *, done_url: str) -> HttpResponse:
    """GET shows the form; POST validates, stores, and redirects (crisis page on item 9)."""
    if request.method == "GET":
        form = ResponseForm(inst)
        return render(request, "measures/fill.html", {"form": form, "instrument": inst,
                                                      "patient": patient})
    form = ResponseForm(inst, request.POST)
    if not form.is_valid():
        # Re-render with every answer kept; each error names the item and the allowed values.
        return render(request, "measures/fill.html",
                      {"form": form, "instrument": inst, "patient": patient}, status=400)
    try:
        response, _created = do_submit_response(
            patient, instrument=inst.id, answers=form.answers(),
            response_uuid=form.cleaned_data["response_uuid"], acting=request,
            readings=form.readings(),
        )
    except ResponseConflict:
        return render(request, "measures/conflict.html", {"instrument": inst}, status=409)
    if request.user.role == Role.PATIENT:
        if raised_suicide_risk(response):
            # The very next page shows crisis resources; the care team's alert is stored.
            return redirect("safety:crisis")
        # Else the next page says the answers are stored, with the total and band as scored.
        return redirect("measures:saved", response_uuid=response.uuid)
    messages.success(request, f"{inst.short_name} saved: {score_sentence(response)}")
    return redirect(done_url)


def score_sentence(response: Response) -> str:
    """"total 8 of 27, Mild" or why there is no total, as stored by the scoring."""
    if response.total is None:
        return "not scored (too many items left out for a total)."
    band = f", {response.severity}" if response.severity else ""
    prorated = " (prorated from the items answered)" if response.prorated else ""
    return f"total {response.total_display} of {response.max_total}{band}{prorated}."


# What each scoring method means for the patient (`scoring.score`'s methods, as stored).
METHOD_WORDS = {
    "prorated": "A question was left out, so the total is worked out from the ones you "
                "answered, as this questionnaire's scoring allows.",
    "skip_rule": "Some questions did not apply to you and were skipped, as this "
                 "questionnaire allows.",
    "not_scored": "Too many questions were left out for a total to be given. Your care team "
                  "sees the answers you gave.",
}


@require_GET
@role_required(Role.PATIENT)
def saved(request: HttpRequest, response_uuid) -> HttpResponse:
    """The patient's confirmation after a questionnaire: the answers are stored, with the
    total and the severity band the scoring gave them (its band among the instrument's)."""
    patient = get_own_patient(request)
    response = get_object_or_404(Response, uuid=response_uuid, patient=patient)
    inst = response.instrument_def
    return render(request, "measures/saved.html", {
        "response": response, "instrument": inst,
        "bands": [{"band": b, "current": b.label == response.severity}
                  for b in inst.severity_bands],
        "method_words": METHOD_WORDS.get(response.scoring_method, ""),
        "suicide_risk": raised_suicide_risk(response),
    })


def raised_suicide_risk(response: Response) -> bool:
    """Did this response raise an urgent suicide-risk alert? Decided by the alert's kind and
    priority (safety.pathway), never by its wording. Also true for a repeated submission."""
    return pathway.raised_suicide_risk(response.patient_id, response.uuid)


# -- the care team's pages ------------------------------------------------------------------


def _history(patient) -> list[dict]:
    by_instrument: dict[str, list[Response]] = defaultdict(list)
    for response in Response.objects.filter(patient=patient).order_by("submitted_at", "pk"):
        by_instrument[response.instrument].append(response)
    sections = []
    for inst in instruments():
        rows = by_instrument.get(inst.id)
        if not rows:
            continue
        points = change_over_time(inst, [r.total for r in rows])
        table = [{"response": r, "point": p} for r, p in zip(rows, points, strict=True)]
        scored = [row for row in table if row["response"].total is not None]
        sections.append({
            "instrument": inst,
            "rows": list(reversed(table)),  # newest first in the table
            "latest": scored[-1] if scored else None,
            "bands_unverified": inst.severity_bands_unverified
            or any(b.unverified for b in inst.severity_bands),
            "chart": {
                "id": inst.id,
                "name": inst.short_name,
                "min": inst.scoring.min,
                "max": inst.scoring.max,
                "bands": [{"min": b.min, "max": b.max, "label": b.label}
                          for b in inst.severity_bands],
                "dates": [timezone.localtime(r.submitted_at).date().isoformat() for r in rows],
                "totals": [r.total for r in rows],
                "reliable": [p.reliable for p in points],
            },
        })
    return sections


def _patient_page(request: HttpRequest, patient, *, schedule_form=None, pathway_form=None,
                  status: int = 200):
    today = timezone.localdate()
    sections = _history(patient)
    return render(request, "measures/patient.html", {
        "patient": patient,
        "can_write": can_write_patient(request.user, patient),
        "schedules": Schedule.objects.filter(patient=patient)
        .order_by("-active", "form", "instrument"),
        "due": due_for_patient(patient, today),
        "sections": sections,
        "charts": [s["chart"] for s in sections],
        "schedule_form": schedule_form or ScheduleForm(),
        "pathway_form": pathway_form or PathwayForm(),
        "clinician_rated": [i for i in instruments() if i.administration == "clinician_rated"],
    }, status=status)


@require_GET
@role_required(Role.CLINICIAN)
def patient_measures(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    return _patient_page(request, patient)


@require_POST
@role_required(Role.CLINICIAN)
def assign(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _patient_page(request, patient, schedule_form=form, status=400)
    try:
        schedule, created = do_assign_schedule_once(
            patient, acting=request, uuid=form.cleaned_data["schedule_uuid"],
            **form.schedule_fields(),
        )
    except RuleError as exc:
        form.add_rule_error(exc)
        return _patient_page(request, patient, schedule_form=form, status=400)
    except ScheduleConflict as exc:
        form.add_error(None, f"{exc}; reload the page to assign another.")
        return _patient_page(request, patient, schedule_form=form, status=409)
    if created:
        messages.success(request, f"Assigned {schedule.label}, {schedule.cadence_label}.")
    return redirect("measures:patient", patient_uuid=patient.uuid)


@require_POST
@role_required(Role.CLINICIAN)
def apply_pathway(request: HttpRequest, patient_uuid) -> HttpResponse:
    """Assign a care pathway's schedules in one step (applying it again adds nothing)."""
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = PathwayForm(request.POST)
    if not form.is_valid():
        return _patient_page(request, patient, pathway_form=form, status=400)
    try:
        assigned, kept = do_apply_pathway(patient, form.cleaned_data["pathway"], acting=request)
    except RuleError as exc:
        form.add_error("pathway", f"Care pathway: {exc}")
        return _patient_page(request, patient, pathway_form=form, status=400)
    names = ", ".join(f"{s.label} ({s.cadence_label})" for s in assigned)
    if assigned:
        messages.success(request, f"Assigned {names}." + (
            f" {len(kept)} already assigned by this pathway kept." if kept else ""))
    else:
        messages.info(request, "Every schedule of this pathway is already assigned.")
    return redirect("measures:patient", patient_uuid=patient.uuid)


@require_POST
@role_required(Role.CLINICIAN)
def stop(request: HttpRequest, patient_uuid, schedule_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    schedule = get_object_or_404(Schedule, uuid=schedule_uuid, patient=patient)
    do_stop_schedule(schedule, acting=request)
    messages.success(request, f"Stopped {schedule.label}.")
    return redirect("measures:patient", patient_uuid=patient.uuid)


@require_http_methods(["GET", "POST"])
@role_required(Role.CLINICIAN)
def rate(request: HttpRequest, patient_uuid, instrument_id: str) -> HttpResponse:
    """A clinician-rated instrument (COWS), entered by the care team."""
    patient = get_patient_for_user(request, patient_uuid, write=True)
    inst = _instrument_or_404(instrument_id)
    if inst.administration != "clinician_rated":
        raise Http404("The patient completes this questionnaire themself")
    return _form_page(request, patient, inst,
                      done_url=reverse("measures:patient", args=[patient.uuid]))


@require_GET
@role_required(Role.CLINICIAN)
def overdue_list(request: HttpRequest) -> HttpResponse:
    rows = overdue(timezone.localdate(), patients_for_user(request.user))
    record_patients_shown(request, (due.schedule.patient for due in rows))
    return render(request, "measures/overdue.html", {"rows": rows})


@require_GET
@role_required(Role.CLINICIAN)
def library_list(request: HttpRequest) -> HttpResponse:
    rows = [{"instrument": i, "unverified": len(unverified_marks(i))} for i in instruments()]
    return render(request, "measures/library.html", {"rows": rows})


@require_GET
@role_required(Role.CLINICIAN)
def instrument_detail(request: HttpRequest, instrument_id: str) -> HttpResponse:
    inst = _instrument_or_404(instrument_id)
    return render(request, "measures/instrument.html", {
        "instrument": inst,
        "marks": unverified_marks(inst),
        "items": [
            {"number": n, "item": item, "options": inst.options_for(item)}
            for n, item in enumerate(inst.items, start=1)
        ],
    })
