"""The patient's rights pages: "Who has seen my records" and "My requests" for the patient
(`get_own_patient`); the same accounting, a patient's requests, closing an account and the
request queue for staff (`get_patient_for_staff`: the patient's read-and-write clinicians and
their team's admins)."""

from __future__ import annotations

import uuid as uuidlib

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.lib import conf
from mitra.patients.access import (
    get_own_patient,
    get_patient_for_staff,
    record_patients_shown,
    staff_teams,
)
from mitra.patients.models import Patient
from mitra.records import accounting, deadlines, downloads, forms
from mitra.records.closure import do_close_account
from mitra.records.models import AccountClosure, RecordRequest
from mitra.records.requests import (
    RequestError,
    SubmissionConflict,
    do_answer_request,
    do_extend_request,
    do_file_request,
    do_withdraw_request,
)

FORMATS = ("page", "csv", "pdf")


def _rows(requests, today) -> list[dict]:
    return [{"req": r, "overdue": r.state == RecordRequest.State.OPEN
             and deadlines.is_overdue(r.due_on, today),
             "days_left": deadlines.days_left(r.due_on, today)} for r in requests]


# -- the accounting of disclosures ------------------------------------------------------------

def _accounting(request: HttpRequest, patient: Patient, fmt: str, *, own: bool) -> HttpResponse:
    items = accounting.entries(patient)
    record_audit(Event.ACCOUNTING_VIEWED, acting=request, patient=patient,
                 detail=f"{fmt}: {len(items)} entries")
    now = timezone.now()
    if fmt == "csv":
        response = HttpResponse(downloads.accounting_csv(items),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{downloads.filename(patient, now, "csv")}"')
        return response
    if fmt == "pdf":
        response = HttpResponse(downloads.accounting_pdf(patient, items, generated_at=now),
                                content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{downloads.filename(patient, now, "pdf")}"')
        return response
    if own:
        csv_url = reverse("records:my_accounting_csv")
        pdf_url = reverse("records:my_accounting_pdf")
    else:
        csv_url = reverse("records:patient_accounting_csv", args=[patient.uuid])
        pdf_url = reverse("records:patient_accounting_pdf", args=[patient.uuid])
    return render(request, "records/accounting.html", {
        "patient": patient, "items": items, "own": own, "csv_url": csv_url,
        "pdf_url": pdf_url, "problems": sum(1 for e in items if not e.attested)})


@require_GET
def my_accounting(request: HttpRequest, fmt: str = "page") -> HttpResponse:
    return _accounting(request, get_own_patient(request), fmt, own=True)


@require_GET
def patient_accounting(request: HttpRequest, patient_uuid, fmt: str = "page") -> HttpResponse:
    return _accounting(request, get_patient_for_staff(request, patient_uuid), fmt, own=False)


# -- the patient's requests ------------------------------------------------------------------

def _my_requests_page(request: HttpRequest, patient: Patient, form: forms.RequestForm, *,
                      status: int = 200) -> HttpResponse:
    requests = RecordRequest.objects.filter(patient=patient).order_by("-filed_at")
    return render(request, "records/my_requests.html", {
        "patient": patient, "form": form, "rows": _rows(requests, timezone.localdate()),
        "amend_days": deadlines.AMENDMENT.days, "access_days": deadlines.ACCESS.days,
        "retention_years": conf.retention_years(),
    }, status=status)


@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.RequestForm(initial={"uuid": uuidlib.uuid4()})
    return _my_requests_page(request, patient, form)


@require_POST
def file_request(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.RequestForm(request.POST)
    if not form.is_valid():
        return _my_requests_page(request, patient, form, status=400)
    data = form.cleaned_data
    try:
        req, _created = do_file_request(patient, acting=request, uuid=data["uuid"],
                                        kind=data["kind"], details=data["details"])
    except SubmissionConflict as exc:
        return render(request, "conflict.html", {
            "message": str(exc), "back_url": reverse("records:my_requests"),
            "back_label": "Back to my requests"}, status=409)
    except RequestError as exc:
        form.add_error(None, str(exc))
        return _my_requests_page(request, patient, form, status=400)
    messages.success(request, f"Your request was filed. The clinic answers by "
                              f"{date_format(req.due_on)}.")
    return redirect("records:my_requests")


@require_POST
def withdraw_request(request: HttpRequest, request_uuid) -> HttpResponse:
    patient = get_own_patient(request)
    req = get_object_or_404(RecordRequest, uuid=request_uuid, patient=patient)
    try:
        if do_withdraw_request(req, acting=request):
            messages.success(request, "Your request was withdrawn.")
    except RequestError as exc:
        messages.error(request, str(exc))
    return redirect("records:my_requests")


# -- staff: a patient's requests, closing the account, the queue -----------------------------

def _patient_requests_page(request: HttpRequest, patient: Patient, form: forms.CloseForm, *,
                           status: int = 200) -> HttpResponse:
    requests = RecordRequest.objects.filter(patient=patient).order_by("-filed_at")
    return render(request, "records/patient_requests.html", {
        "patient": patient, "rows": _rows(requests, timezone.localdate()), "form": form,
        "closure": AccountClosure.objects.filter(patient=patient).first(),
    }, status=status)


@require_GET
def patient_requests(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_staff(request, patient_uuid)
    return _patient_requests_page(request, patient, forms.CloseForm())


@require_POST
def close_account(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_staff(request, patient_uuid)
    form = forms.CloseForm(request.POST)
    if not form.is_valid():
        return _patient_requests_page(request, patient, form, status=400)
    closure, created = do_close_account(patient, acting=request,
                                        reason=form.cleaned_data["reason"])
    if created:
        messages.success(request, f"The account is closed. The record is kept until "
                                  f"{date_format(closure.retain_until)}.")
    return redirect("records:patient_requests", patient.uuid)


@require_GET
@role_required(Role.CLINICIAN, Role.ADMIN)
def queue(request: HttpRequest) -> HttpResponse:
    """Open requests of the patients on the user's teams (read-and-write membership for a
    clinician), the nearest deadline first."""
    teams = staff_teams(request.user)  # type: ignore[arg-type]
    open_requests = list(RecordRequest.objects.filter(
        state=RecordRequest.State.OPEN,
        patient__in=Patient.objects.filter(care_teams__in=teams))
        .select_related("patient").order_by("due_on", "filed_at")[:500])
    record_patients_shown(request, [r.patient for r in open_requests])
    rows = _rows(open_requests, timezone.localdate())
    return render(request, "records/queue.html", {
        "rows": rows, "overdue": sum(1 for r in rows if r["overdue"])})


def _request_page(request: HttpRequest, patient: Patient, req: RecordRequest, *,
                  extend_form: forms.ExtendForm | None = None,
                  answer_form: forms.AnswerForm | None = None, status: int = 200
                  ) -> HttpResponse:
    today = timezone.localdate()
    return render(request, "records/request.html", {
        "patient": patient, "req": req, "row": _rows([req], today)[0],
        "period": deadlines.period_of(req.kind),
        "extend_form": extend_form or forms.ExtendForm(),
        "answer_form": answer_form or forms.AnswerForm(),
    }, status=status)


def _staff_request(request: HttpRequest, patient_uuid, request_uuid
                   ) -> tuple[Patient, RecordRequest]:
    patient = get_patient_for_staff(request, patient_uuid)
    return patient, get_object_or_404(RecordRequest, uuid=request_uuid, patient=patient)


@require_GET
def request_detail(request: HttpRequest, patient_uuid, request_uuid) -> HttpResponse:
    patient, req = _staff_request(request, patient_uuid, request_uuid)
    return _request_page(request, patient, req)


@require_POST
def extend_request(request: HttpRequest, patient_uuid, request_uuid) -> HttpResponse:
    patient, req = _staff_request(request, patient_uuid, request_uuid)
    form = forms.ExtendForm(request.POST)
    if form.is_valid():
        try:
            req = do_extend_request(req, acting=request, reason=form.cleaned_data["reason"])
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Extended: now due {date_format(req.due_on)}.")
            return redirect("records:request", patient.uuid, req.uuid)
    return _request_page(request, patient, req, extend_form=form, status=400)


@require_POST
def answer_request(request: HttpRequest, patient_uuid, request_uuid) -> HttpResponse:
    patient, req = _staff_request(request, patient_uuid, request_uuid)
    form = forms.AnswerForm(request.POST)
    if form.is_valid():
        try:
            req = do_answer_request(req, acting=request, outcome=form.cleaned_data["outcome"],
                                    answer=form.cleaned_data["answer"])
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Answered: {req.get_state_display().lower()}.")
            return redirect("records:request", patient.uuid, req.uuid)
    return _request_page(request, patient, req, answer_form=form, status=400)


# -- panels ---------------------------------------------------------------------------------

def record_panel(request: HttpRequest, patient: Patient) -> str:
    """The clinician's patient page (`core:patient`, access already checked): open requests
    and links to the accounting and the requests."""
    counts = RecordRequest.objects.filter(patient=patient).aggregate(
        open=Count("pk", filter=Q(state=RecordRequest.State.OPEN)),
        overdue=Count("pk", filter=Q(state=RecordRequest.State.OPEN,
                                     due_on__lt=timezone.localdate())))
    return render_to_string("records/_patient_panel.html", {
        "patient": patient, "counts": counts,
        "closure": AccountClosure.objects.filter(patient=patient).first(),
    }, request=request)
