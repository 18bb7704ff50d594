"""Enrolment pages: add a patient, their invitation (QR code, short code, resend, revoke),
invite staff; and the patient's side: /join/ with a short code, sign-up, a consent (or not
now), reminder choices."""

from __future__ import annotations

import logging
import smtplib
from typing import cast

from allauth.account.internal.flows.login import record_authentication
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mitra.accounts.actions import (
    InvitationUnusable,
    absolute_url,
    find_invitation_by_code,
    forget_invitation,
    remember_invitation,
    remembered_invitation,
)
from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role, User
from mitra.accounts.views import invitation_unusable
from mitra.consent.views import give_page
from mitra.enrolment import actions, terms, throttle
from mitra.enrolment.access import (
    ENROLLING_ROLES,
    enrolment_teams,
    get_patient_for_enrolment,
)
from mitra.enrolment.forms import (
    EnrolPatientForm,
    InviteStaffForm,
    JoinCodeForm,
    SignUpForm,
    common_zones,
)
from mitra.enrolment.qr import qr_svg
from mitra.enrolment.status import sign_up_status
from mitra.patients.access import get_own_patient
from mitra.patients.models import Patient
from mitra.reminders.views import preferences_page

log = logging.getLogger(__name__)

# The invitation mail goes out when the action's transaction commits, so a mail server that
# refuses or cannot be reached surfaces from the action's call, after its writes are committed.
MAIL_FAILURES = (smtplib.SMTPException, OSError)


def _mail_failed(request: HttpRequest, exc: Exception, what: str) -> None:
    log.warning("enrolment: the invitation mail was not sent: %s", exc)
    messages.error(request, f"{what}, but the invitation e-mail could not be sent (the mail "
                   "server did not take it). Resend it later, or show the QR code and short "
                   "code in clinic.")


# ---- the care team's side ---------------------------------------------------------------------


def _posted(request: HttpRequest):
    """The form data of a POST (an empty one too: its errors name the fields), else None."""
    return request.POST if request.method == "POST" else None


def _staff(request: HttpRequest) -> User:
    """The signed-in user of a page that `role_required` let in."""
    return cast(User, request.user)


def _no_team(request: HttpRequest) -> HttpResponse:
    return render(request, "enrolment/no_team.html", status=403)


@require_http_methods(["GET", "POST"])
@role_required(*ENROLLING_ROLES)
def add(request: HttpRequest) -> HttpResponse:
    if not enrolment_teams(_staff(request)).exists():
        return _no_team(request)
    form = EnrolPatientForm(_staff(request), _posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: data[k] for k in ("display_name", "date_of_birth", "email", "phone",
                                       "jurisdiction", "time_zone", "language", "care_team",
                                       "pseudonym")}
        try:
            patient = actions.do_enrol_patient(**fields, acting=request)
        except MAIL_FAILURES as exc:
            patient = Patient.objects.get(user__email__iexact=data["email"])
            _mail_failed(request, exc, f"{patient.display_name} ({patient.pseudonym}) is "
                         "enrolled")
        else:
            messages.success(request, f"{patient.display_name} ({patient.pseudonym}) is "
                             f"enrolled and an invitation was sent to {data['email']}.")
        return redirect("enrolment:invitation", patient_uuid=patient.uuid)
    return render(request, "enrolment/add.html", {
        "form": form, "zones": common_zones(), "duplicates": form.duplicates,
    }, status=400 if form.errors else 200)


def _invitation_page(request: HttpRequest, patient: Patient, *, shown=None,
                     status: int = 200) -> HttpResponse:
    context = {"patient": patient, "status": sign_up_status(patient.user), "shown": shown,
               "email": patient.user.email if patient.user else "",
               "join_url": absolute_url(reverse("enrolment:join"), request)}
    if shown is not None:
        context["qr"] = qr_svg(shown.url, label="QR code of the invitation link")
    response = render(request, "enrolment/invitation.html", context, status=status)
    if shown is not None:
        # The secret is in this page only: never kept by a cache, nor shown again by Back.
        response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET"])
@role_required(*ENROLLING_ROLES)
def invitation(request: HttpRequest, patient_uuid) -> HttpResponse:
    return _invitation_page(request, get_patient_for_enrolment(request, patient_uuid))


def _refused(request: HttpRequest, patient: Patient, exc: actions.EnrolmentError
             ) -> HttpResponse:
    messages.error(request, str(exc))
    return _invitation_page(request, patient, status=400)


@require_POST
@role_required(*ENROLLING_ROLES)
@never_cache
def show(request: HttpRequest, patient_uuid) -> HttpResponse:
    """A fresh invitation shown as a QR code and a short code (a POST: it replaces the open
    one). Answered with the page itself, not a redirect: nothing keeps the secret to show it
    on a later GET."""
    patient = get_patient_for_enrolment(request, patient_uuid)
    try:
        shown = actions.do_show_invitation(patient, acting=request)
    except actions.EnrolmentError as exc:
        return _refused(request, patient, exc)
    return _invitation_page(request, patient, shown=shown)


@require_POST
@role_required(*ENROLLING_ROLES)
def resend(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_enrolment(request, patient_uuid)
    try:
        invitation = actions.do_resend_invitation(patient, acting=request)
    except actions.EnrolmentError as exc:
        return _refused(request, patient, exc)
    except MAIL_FAILURES as exc:
        _mail_failed(request, exc, "A new invitation was made (earlier ones no longer work)")
        return redirect("enrolment:invitation", patient_uuid=patient.uuid)
    messages.success(request, f"A new invitation was sent to {invitation.user.email}, valid until "
                     f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC; earlier links and codes no "
                     "longer work.")
    return redirect("enrolment:invitation", patient_uuid=patient.uuid)


@require_POST
@role_required(*ENROLLING_ROLES)
def revoke(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_enrolment(request, patient_uuid)
    try:
        actions.do_revoke_invitation(patient, acting=request)
    except actions.EnrolmentError as exc:
        return _refused(request, patient, exc)
    messages.success(request, "The invitation was revoked: its link and code now say it was "
                     "withdrawn. Resend one when the patient is ready.")
    return redirect("enrolment:invitation", patient_uuid=patient.uuid)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def staff(request: HttpRequest) -> HttpResponse:
    if not enrolment_teams(_staff(request)).exists():
        return _no_team(request)
    form = InviteStaffForm(_staff(request), _posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.do_invite_staff(
                first_name=data["first_name"], last_name=data["last_name"],
                email=data["email"], role=data["role"], care_team=data["care_team"],
                access=data["access"], acting=request)
        except MAIL_FAILURES as exc:
            _mail_failed(request, exc, f"The account for {data['email']} was made; resend "
                         "its invitation from Users and teams")
            return redirect("enrolment:staff")
        messages.success(request, f"{user.get_full_name()} ({user.get_role_display()}, "
                         f"user name {user.username}) was invited to {data['care_team'].name} "
                         f"at {user.email}. They set their password"
                         f"{' and their authenticator app' if user.needs_mfa else ''} "
                         "from the link.")
        return redirect("enrolment:staff")
    return render(request, "enrolment/staff.html", {"form": form},
                  status=400 if form.errors else 200)


# ---- the patient's side -----------------------------------------------------------------------


def _throttled(request: HttpRequest, why: str) -> HttpResponse:
    response = render(request, "enrolment/join_throttled.html", {
        "why": why, "minutes": throttle.WINDOW_SECONDS // 60}, status=429)
    response["Retry-After"] = str(throttle.WINDOW_SECONDS)
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """The short code shown in clinic, typed on the patient's own phone."""
    form = JoinCodeForm(_posted(request))
    if request.method == "POST":
        why = throttle.refused(request)
        if why:
            return _throttled(request, why)
        if form.is_valid():
            try:
                invited = find_invitation_by_code(form.cleaned_data["code"])
                if not invited.user.is_patient:  # codes are made for patients only
                    raise InvitationUnusable("invalid")
            except InvitationUnusable as refused:
                if refused.reason != "invalid":
                    return invitation_unusable(request, refused)
                throttle.count_wrong_code(request)
                form.add_error("code", "code: no open invitation has this code. Check the 8 "
                               "characters against the screen (letters and digits, no I, L, "
                               "O or U), or ask your care team for a new code.")
            else:
                remember_invitation(request, invited)
                return redirect("enrolment:signup")
    return render(request, "enrolment/join.html", {"form": form},
                  status=400 if form.errors else 200)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Terms and consent, and the password: the invitation opened in this browser (by its
    link or its code) is spent, the patient signed in, and sent on to reminder choices."""
    try:
        invited = remembered_invitation(request)
    except InvitationUnusable as refused:
        if refused.reason == "invalid":
            return render(request, "enrolment/signup_missing.html", status=404)
        forget_invitation(request)
        return invitation_unusable(request, refused)
    user = invited.user
    form = SignUpForm(user, _posted(request))
    if request.method == "POST" and form.is_valid():
        if request.user.is_authenticated and request.user != user:
            logout(request)  # someone else's session on this phone (logout forgets the rest)
            remember_invitation(request, invited)
        try:
            user = actions.do_sign_up_patient(
                invited, password=form.cleaned_data["new_password1"],
                terms_version=form.cleaned_data["terms_version"], acting=user)
        except InvitationUnusable as refused:
            forget_invitation(request)
            return invitation_unusable(request, refused)
        forget_invitation(request)
        login(request, user, backend="mitra.accounts.backends.AuthenticationBackend")
        record_authentication(request, user, method="password", reauthenticated=True)
        if Patient.objects.filter(user=user).exists():
            return redirect("enrolment:consent")
        return redirect("core:home")
    return render(request, "enrolment/signup.html", {
        "form": form, "invited": user, "invitation": invited,
        "terms_version": terms.CURRENT, "terms_template": terms.template_of(terms.CURRENT),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def consent(request: HttpRequest) -> HttpResponse:
    """The sign-up's consent step: the consent text and the form to sign it, or "Not now"
    (consent is never a condition of care); either way on to reminder choices."""
    return give_page(request, get_own_patient(request), template="enrolment/consent.html",
                     done="enrolment:preferences", not_now=reverse("enrolment:preferences"))


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def preferences(request: HttpRequest) -> HttpResponse:
    """The sign-up's last step: when reminders may come. Skipping keeps the defaults."""
    return preferences_page(request, template="enrolment/preferences.html",
                            saved="You are all set. Your reminder choices are saved.",
                            done="core:me")
