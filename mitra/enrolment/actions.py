"""Enrolment: a patient added from the caseload and invited, their invitation resent, revoked or
shown in clinic, their sign-up; staff invited to a care team.

The invitation itself is the accounts app's (`do_invite_user`: single use, expiring, digest
only, mailed after the commit). Nothing here mails from inside a transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from mitra.accounts.actions import (
    do_accept_invitation,
    do_invite_user,
    format_short_code,
    new_short_code,
)
from mitra.accounts.models import CareTeam, Invitation, Membership, Role, User
from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor
from mitra.audit.events import Event
from mitra.enrolment.models import Acceptance
from mitra.patients.actions import do_create_patient
from mitra.patients.models import Intake, Patient

# What ENROLMENT_PATIENT_ENROLLED names: the fields given, never their values.
PATIENT_FIELDS = ("display_name", "date_of_birth", "email", "phone", "jurisdiction",
                  "time_zone", "language", "care_team", "pseudonym")


class EnrolmentError(ValueError):
    """A request the action refuses; the message starts with the field it is about."""


def username_from(email: str) -> str:
    """A username nobody has, from the address's local part (pat.example, pat.example2...)."""
    base = re.sub(r"[^a-z0-9._-]+", "", email.split("@", 1)[0].lower())[:30] or "patient"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


@transaction.atomic
def do_enrol_patient(
    *, display_name: str, date_of_birth: date, email: str, phone: str = "",
    jurisdiction: str, time_zone: str, language: str, care_team: CareTeam,
    pseudonym: str = "", acting: Actor,
) -> Patient:
    """The patient's account (no usable password), record, intake and team membership, and an
    invitation mailed once all of it is committed. Fields are validated by EnrolPatientForm."""
    user = User(username=username_from(email), email=email, role=Role.PATIENT,
                first_name=display_name.split(" ", 1)[0][:150])
    user.set_unusable_password()
    user.save()
    record_audit(Event.ACCOUNT_USER_CREATED, acting=acting, obj=user, detail=Role.PATIENT)
    patient = do_create_patient(user=user, display_name=display_name, pseudonym=pseudonym,
                                date_of_birth=date_of_birth, phone=phone, time_zone=time_zone,
                                language=language, acting=acting)
    Intake.objects.create(patient=patient, jurisdiction=jurisdiction)
    care_team.patients.add(patient)
    given = [f for f, v in (("phone", phone), ("pseudonym", pseudonym)) if v]
    fields = [f for f in PATIENT_FIELDS if f not in ("phone", "pseudonym")] + given
    record_audit(Event.ENROLMENT_PATIENT_ENROLLED, acting=acting, patient=patient, obj=patient,
                 detail=f"{','.join(fields)} (team {care_team.uuid})")
    do_invite_user(user, acting=acting, send=True)
    return patient


def _account_of(patient: Patient) -> User:
    user = patient.user
    if user is None:
        raise EnrolmentError("patient: this record has no account to invite")
    if user.has_usable_password():
        raise EnrolmentError("patient: has signed up already (their password is set); to help "
                             "them back in, a care-team admin sends a password reset link")
    if not user.is_active:
        raise EnrolmentError("patient: the account is deactivated")
    return user


@transaction.atomic
def do_resend_invitation(patient: Patient, *, acting: Actor) -> Invitation:
    """A new invitation mailed to the patient; the earlier links and codes stop working."""
    user = _account_of(patient)
    if not user.email:
        raise EnrolmentError("email: the patient's account has no address to send it to")
    invitation, _url = do_invite_user(user, acting=acting, send=True)
    record_audit(Event.ENROLMENT_INVITATION_RESENT, acting=acting, patient=patient,
                 obj=invitation)
    return invitation


@transaction.atomic
def do_revoke_invitation(patient: Patient, *, acting: Actor) -> int:
    """Withdraw the patient's open invitations (their link and code then say so); how many."""
    user = _account_of(patient)
    now = timezone.now()
    # Both stamps: every check that refuses a replaced invitation refuses a revoked one.
    count = user.invitations.filter(used_at__isnull=True, replaced_at__isnull=True).update(
        revoked_at=now, replaced_at=now)
    if not count:
        raise EnrolmentError("invitation: there is no open invitation to revoke")
    record_audit(Event.ENROLMENT_INVITATION_REVOKED, acting=acting, patient=patient,
                 obj=user, detail=f"{count} open")
    return count


@dataclass(frozen=True)
class Shown:
    """An invitation made to be shown in clinic: its link (for the QR code) and short code.
    Neither is stored; they exist in this response only."""

    invitation: Invitation
    url: str
    code: str

    @property
    def code_display(self) -> str:
        return format_short_code(self.code)


@transaction.atomic
def do_show_invitation(patient: Patient, *, acting: Actor) -> Shown:
    """A fresh invitation, with a short code, to show as a QR code in clinic (not mailed); the
    earlier ones stop working, since their secrets are not kept to show again."""
    user = _account_of(patient)
    code = new_short_code()
    invitation, url = do_invite_user(user, acting=acting, send=False, code=code)
    record_audit(Event.ENROLMENT_INVITATION_SHOWN, acting=acting, patient=patient,
                 obj=invitation)
    return Shown(invitation, url, code)


@transaction.atomic
def do_sign_up_patient(invitation: Invitation, *, password: str, terms_version: str,
                       acting: Actor) -> User:
    """The invited patient accepts the terms `terms_version` and sets their password: both or
    neither (InvitationUnusable if the invitation was spent meanwhile)."""
    user = do_accept_invitation(invitation, password, acting=acting)
    acceptance, _ = Acceptance.objects.get_or_create(user=user, terms_version=terms_version)
    patient = Patient.objects.filter(user=user).first()
    record_audit(Event.ENROLMENT_SIGNED_UP, acting=acting, patient=patient, obj=acceptance,
                 detail=f"terms {terms_version}")
    return user


@transaction.atomic
def do_invite_staff(*, first_name: str, last_name: str, email: str, role: str,
                    care_team: CareTeam, access: str, acting: Actor) -> User:
    """A staff account (no password: they set it, then their authenticator, from the link),
    a member of `care_team`, invited by e-mail after the commit."""
    if role not in (Role.CLINICIAN, Role.ADMIN, Role.RESEARCHER):
        raise EnrolmentError(f"role: {role!r} is not allowed; allowed: clinician, admin, "
                             "researcher")
    user = User(username=username_from(email), email=email, role=role,
                first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.save()
    record_audit(Event.ACCOUNT_USER_CREATED, acting=acting, obj=user, detail=role)
    Membership.objects.create(team=care_team, user=user, access=access)
    record_audit(Event.ENROLMENT_STAFF_INVITED, acting=acting, obj=user,
                 detail=f"role {role}, access {access} (team {care_team.uuid})")
    do_invite_user(user, acting=acting, send=True)
    return user
