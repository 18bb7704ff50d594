"""Consent pages: the patient's own (give, see, revoke) and the care team's (a patient's
consents, a paper consent recorded, an expiry event recorded, a scan opened).

The patient reaches only their own consents (`get_own_patient`); staff reach a patient's
through the patient access checks: a care-team clinician (read-only too) or an admin of one of
the patient's teams reads them, a read-and-write clinician or an admin records on paper.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mitra.accounts.models import Role
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.consent import actions, forms, part2
from mitra.consent.models import Consent
from mitra.patients.access import get_own_patient, get_patient_for_staff, get_patient_for_user
from mitra.patients.models import Patient

PANEL_LENGTH = 5


def _fresh() -> dict[str, Any]:
    return {"uuid": uuidlib.uuid4(), "text_version": part2.consent_text().version}


def conflict(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "conflict.html", {"message": message}, status=409)


def text_context() -> dict[str, Any]:
    """The consent text as shown to sign it, with the notice and what in it is verified."""
    return {"consent_text": part2.consent_text(), "notice": part2.notice(), "part2": part2.load()}


def split(consents: list[Consent]) -> tuple[list[Consent], list[Consent]]:
    """(active, past): past are the revoked, ended and expired ones."""
    now = timezone.now()
    active = [c for c in consents if c.is_active(now)]
    return active, [c for c in consents if not c.is_active(now)]


def _patient_consents(patient: Patient) -> list[Consent]:
    return list(Consent.objects.filter(patient=patient)
                .select_related("patient", "recorded_by").order_by("-signed_at", "-pk"))


# ---- the patient's pages -----------------------------------------------------------------------


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    active, past = split(_patient_consents(patient))
    return render(request, "consent/mine.html", {"patient": patient, "active": active,
                                                 "past": past})


def give_page(request: HttpRequest, patient: Patient, *, template: str, done: str,
              not_now: str = "") -> HttpResponse:
    """The consent form (GET) and its submission (POST), for `consent:give` and the sign-up's
    consent step: the consent signed, the patient is sent to `done`."""
    if request.method == "POST":
        form = forms.GiveConsentForm(request.POST)
        if form.is_valid():
            try:
                _consent, created = actions.do_give_consent(
                    patient, uuid=form.cleaned_data["uuid"], **form.terms(),
                    signed_name=form.cleaned_data["signed_name"],
                    text_version=form.cleaned_data["text_version"], acting=request)
            except actions.SubmissionConflict as exc:
                return conflict(request, str(exc))
            except actions.ConsentError as error:
                form.add_action_errors(error)
            else:
                messages.success(request, "Your consent is saved. You can revoke it at any "
                                 "time in My consents." if created else
                                 "This consent was already saved.")
                return redirect(done)
    else:
        form = forms.GiveConsentForm(initial=_fresh())
    return render(request, template, {"form": form, "patient": patient, "not_now": not_now,
                                      **text_context()},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def give(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    return give_page(request, patient, template="consent/give.html", done="consent:mine")


def _own_consent(patient: Patient, consent_uuid: uuidlib.UUID) -> Consent:
    return get_object_or_404(Consent, uuid=consent_uuid, patient=patient)


@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, consent_uuid: uuidlib.UUID) -> HttpResponse:
    """A confirmation (GET), then the revocation (POST), effective at once."""
    patient = get_own_patient(request)
    consent = _own_consent(patient, consent_uuid)
    form = forms.NoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if consent.revoked_at is None:
            actions.do_revoke_consent(consent, acting=request, note=form.cleaned_data["note"])
            messages.success(request, "Consent revoked. From now on nothing more is shared "
                             "under it.")
        else:
            messages.info(request, "This consent was already revoked.")
        return redirect("consent:mine")
    return render(request, "consent/revoke.html", {"consent": consent, "form": form},
                  status=400 if form.errors else 200)


# ---- the care team's pages ---------------------------------------------------------------------


def _patient_to_read(request: HttpRequest, patient_uuid: uuidlib.UUID) -> Patient:
    """A care-team clinician (read-only too) or an admin of one of the patient's teams."""
    role = getattr(request.user, "role", None)
    if role == Role.CLINICIAN:
        return get_patient_for_user(request, patient_uuid)
    if role == Role.ADMIN:
        return get_patient_for_staff(request, patient_uuid)
    raise Http404("No such patient")


def can_record(request: HttpRequest) -> bool:
    """Whether the staff page offers recording (the write views check it again)."""
    return getattr(request.user, "role", None) in (Role.CLINICIAN, Role.ADMIN)


@require_GET
def patient_consents(request: HttpRequest, patient_uuid: uuidlib.UUID) -> HttpResponse:
    patient = _patient_to_read(request, patient_uuid)
    active, past = split(_patient_consents(patient))
    return render(request, "consent/patient.html", {
        "patient": patient, "active": active, "past": past, "end_form": forms.NoteForm(),
        "can_record": can_record(request)})


@require_http_methods(["GET", "POST"])
def record_paper(request: HttpRequest, patient_uuid: uuidlib.UUID) -> HttpResponse:
    patient = get_patient_for_staff(request, patient_uuid)
    if request.method == "POST":
        form = forms.PaperConsentForm(request.POST, request.FILES, patient=patient)
        if form.is_valid():
            scan = form.cleaned_data["scan"]
            try:
                _consent, created = actions.do_record_paper_consent(
                    patient, uuid=form.cleaned_data["uuid"], **form.terms(),
                    signed_name=form.cleaned_data["signed_name"],
                    signed_on=form.cleaned_data["signed_on"], note=form.cleaned_data["note"],
                    scan=scan.data if scan else None, scan_name=scan.name if scan else "",
                    acting=request)
            except actions.SubmissionConflict as exc:
                return conflict(request, str(exc))
            except actions.ConsentError as error:
                form.add_action_errors(error)
            else:
                messages.success(request, "The paper consent is recorded." if created else
                                 "This paper consent was already recorded.")
                return redirect("consent:patient", patient_uuid=patient.uuid)
    else:
        form = forms.PaperConsentForm(initial={"uuid": uuidlib.uuid4()}, patient=patient)
    return render(request, "consent/record_paper.html", {
        "patient": patient, "form": form, **text_context()},
        status=400 if form.errors else 200)


@require_POST
def end(request: HttpRequest, patient_uuid: uuidlib.UUID,
        consent_uuid: uuidlib.UUID) -> HttpResponse:
    """An admin (or a read-and-write clinician) records that a consent's expiry event has
    happened: the consent ends at once."""
    patient = get_patient_for_staff(request, patient_uuid)
    consent = get_object_or_404(Consent, uuid=consent_uuid, patient=patient)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("consent:patient", patient_uuid=patient.uuid)
    try:
        actions.do_end_consent_by_event(consent, acting=request, note=form.cleaned_data["note"])
    except actions.ConsentError as error:
        for message in error.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, f"Recorded: {consent.expiry_event}. The consent has ended.")
    return redirect("consent:patient", patient_uuid=patient.uuid)


@require_GET
def scan(request: HttpRequest, patient_uuid: uuidlib.UUID,
         consent_uuid: uuidlib.UUID) -> HttpResponse:
    """The scan of a paper consent, as a download only (never shown inline, never sniffed),
    each opening in the audit trail."""
    patient = _patient_to_read(request, patient_uuid)
    consent = get_object_or_404(Consent, uuid=consent_uuid, patient=patient,
                                scan__isnull=False)
    record_audit(Event.CONSENT_SCAN_VIEWED, acting=request, patient=patient, obj=consent)
    response = HttpResponse(bytes(consent.scan or b""), content_type=consent.scan_type)
    response["Content-Disposition"] = f'attachment; filename="{consent.scan_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def record_panel(request: HttpRequest, patient: Patient) -> str:
    """The clinician's patient page (`core:patient`, its access already checked): the active
    consents and a link to all of them."""
    active, past = split(_patient_consents(patient))
    return render_to_string("consent/_record_panel.html", {
        "patient": patient, "active": active[:PANEL_LENGTH], "more": len(active) > PANEL_LENGTH,
        "n_past": len(past)}, request=request)
