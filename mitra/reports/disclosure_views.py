"""Reports and exports for someone outside the care team, and outside recipients' reads.

The clinician's "For whom?" step before the PDF: for the care team (no disclosure: the plain
`reports:report`) or for an outside recipient, posted to `report_disclose`, which asks the gate
(`reports.disclosing`, on `consent.disclosure`). The same for the data export
(`export_disclose`). An outside recipient signed in reads a patient's report
(`shared_report`) through the same gate, for their organisation and purpose. Refused: a 403
page naming what is missing.
"""

from __future__ import annotations

from typing import cast

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.consent.access import recipient_of
from mitra.consent.models import Disclosure
from mitra.lib.idempotency import SubmissionConflict
from mitra.patients.access import (
    get_patient_for_staff,
    get_patient_for_user,
    patients_for_user,
    record_patients_shown,
)
from mitra.patients.models import Patient
from mitra.reports import export, pdf
from mitra.reports.disclosing import (
    Outward,
    Refused,
    consents_url,
    disclose_or_refuse,
    disclosed_note,
    notice_file,
)
from mitra.reports.forms import DiscloseForm
from mitra.reports.series import Period, PeriodError, build_series, parse_period


def _refused(request: HttpRequest, patient: Patient, message: str, *,
             for_staff: bool) -> HttpResponse:
    return render(request, "reports/disclosure_refused.html", {
        "patient": patient, "message": message, "for_staff": for_staff,
        "consents_url": consents_url(patient) if for_staff else None}, status=403)


def _conflict(request: HttpRequest, patient: Patient, message: str) -> HttpResponse:
    return render(request, "reports/disclosure_refused.html", {
        "patient": patient, "message": message, "for_staff": True, "conflict": True},
        status=409)


def _what(period: Period) -> str:
    return f"Report {period.start} to {period.end}"


def _pdf(patient: Patient, period: Period, row: Disclosure, *, audience: str,
         recipient_kind: str = "") -> HttpResponse:
    data = pdf.render_report(build_series(patient, period), audience=audience,
                             generated_at=timezone.now(),
                             disclosed=disclosed_note(row, recipient_kind=recipient_kind))
    response = HttpResponse(data, content_type="application/pdf")
    name = f"mitra-{patient.pseudonym}-{period.start}-{period.end}-disclosed.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _for_whom(request: HttpRequest, patient: Patient, form: DiscloseForm, *,
              period: Period | None, error: str = "", status: int = 200) -> HttpResponse:
    query = f"?start={period.start}&end={period.end}" if period else ""
    return render(request, "reports/for_whom.html", {
        "patient": patient, "form": form, "period": period, "error": error,
        "internal_url": reverse("reports:report", args=[patient.uuid]) + query,
        "action": reverse("reports:report_disclose", args=[patient.uuid])}, status=status)


@require_GET
@role_required(Role.CLINICIAN)
def report_for_whom(request: HttpRequest, patient_uuid) -> HttpResponse:
    """Before the PDF: for the care team, or for an outside recipient (a disclosure)."""
    patient = get_patient_for_user(request, patient_uuid)
    try:
        period = parse_period(request.GET, patient, timezone.localdate())
    except PeriodError as exc:
        return _for_whom(request, patient, DiscloseForm.blank(), period=None, error=str(exc),
                         status=400)
    return _for_whom(request, patient, DiscloseForm.blank(), period=period)


def _through_gate(request: HttpRequest, patient: Patient, data: dict, *, channel: str,
                  what: str) -> Disclosure | HttpResponse:
    """The disclosure a staff member's form asks for, through the consent gate; or the page
    that refuses it (no covering consent: 403) or the conflict (its UUID reused: 409)."""
    ask = Outward(channel=channel, what=what, recipient_name=data["recipient_name"],
                  purpose=data["purpose"], recipient_kind=data["recipient_kind"],
                  submission=data["uuid"])
    try:
        return disclose_or_refuse(patient, ask, acting=request)
    except Refused as exc:
        return _refused(request, patient, str(exc), for_staff=True)
    except SubmissionConflict as exc:
        return _conflict(request, patient, str(exc))


@require_POST
@role_required(Role.CLINICIAN)
def report_disclose(request: HttpRequest, patient_uuid) -> HttpResponse:
    """The PDF for an outside recipient: with a covering consent, carrying the §2.32 notice
    and accounted; without one, refused (403) naming what is missing."""
    # Disclosing is a change to the record's accounting: the read-and-write care team.
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = DiscloseForm(request.POST)
    try:
        period = parse_period(request.POST, patient, timezone.localdate())
    except PeriodError as exc:
        return _for_whom(request, patient, form, period=None, error=str(exc), status=400)
    if not form.is_valid():
        return _for_whom(request, patient, form, period=period, status=400)
    data = form.cleaned_data
    row = _through_gate(request, patient, data, channel=Disclosure.Channel.REPORT,
                        what=_what(period))
    if isinstance(row, HttpResponse):
        return row
    return _pdf(patient, period, row, audience="clinician",
                recipient_kind=data["recipient_kind"])


@require_POST
@role_required(Role.CLINICIAN, Role.ADMIN)
def export_disclose(request: HttpRequest, patient_uuid) -> HttpResponse:
    """The patient's data export for an outside recipient, through the same gate; the ZIP
    carries NOTICE-42-CFR-PART-2.txt."""
    patient = get_patient_for_staff(request, patient_uuid)
    form = DiscloseForm(request.POST)
    if not form.is_valid():
        return render(request, "reports/export.html", {
            "patient": patient, "own": False, "form": form,
            "disclose_url": reverse("reports:export_disclose", args=[patient.uuid])},
            status=400)
    row = _through_gate(request, patient, form.cleaned_data, channel=Disclosure.Channel.EXPORT,
                        what="Data export (ZIP)")
    if isinstance(row, HttpResponse):
        return row
    return export.export_download(patient, extra_files=notice_file(row), suffix="-disclosed")


def team_patients(user: User) -> QuerySet[Patient]:
    """The patients of an outside recipient's care teams, consent or not: whom they may ask
    about (the gate decides what they read)."""
    return Patient.objects.filter(care_teams__clinicians=user).distinct()


@require_GET
@role_required(Role.RECIPIENT)
def shared_report(request: HttpRequest, patient_uuid) -> HttpResponse:
    """An outside recipient's read of a patient's report: a disclosure under the consent that
    covers their organisation and purpose, or refused (403) naming what is missing."""
    user = cast(User, request.user)
    recipient = recipient_of(user)
    try:
        patient = team_patients(user).get(uuid=patient_uuid)
    except (Patient.DoesNotExist, ValueError):
        raise Http404("No such patient") from None
    if recipient is None:  # an account with the role but no recipient record: nobody
        raise Http404("No such patient")
    try:
        period = parse_period(request.GET, patient, timezone.localdate())
    except PeriodError as exc:
        return render(request, "reports/period_error.html", {"patient": patient,
                                                              "error": str(exc)}, status=400)
    ask = Outward(channel=Disclosure.Channel.REPORT, what=_what(period),
                  recipient_name=recipient.organisation, purpose=recipient.purpose,
                  recipient_account=user.pk)
    try:
        row = disclose_or_refuse(patient, ask, acting=request)
    except Refused as exc:
        return _refused(request, patient, str(exc), for_staff=False)
    record_audit(Event.PATIENT_RECORD_VIEWED, acting=request, patient=patient,
                 detail=request.path)
    return _pdf(patient, period, row, audience="clinician")


@require_GET
@role_required(Role.RECIPIENT)
def shared(request: HttpRequest) -> HttpResponse:
    """An outside recipient's home (`core:shared`): the patients whose active consent covers
    them, each with a link to the report (each read a disclosure)."""
    user = cast(User, request.user)
    recipient = recipient_of(user)
    patients = list(patients_for_user(user).order_by("display_name", "pk")) if recipient else []
    record_patients_shown(request, patients)
    return render(request, "reports/shared.html", {"recipient": recipient,
                                                   "patients": patients})
