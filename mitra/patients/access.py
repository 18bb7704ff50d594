"""The one access check that every view and API call about a patient goes through.

Default deny: a clinician reaches only patients on their care teams, a patient only their own
record, a researcher and an admin no identifiable clinical record at all. An unreachable patient
is a 404, never a 403, so a URL does not reveal that a record exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from mitra.accounts.models import CareTeam, Membership, Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.patients.models import Patient

# An outside recipient (Role.RECIPIENT) reaches a patient of their care team only under a
# consent that covers them, and each read is a disclosure. The consent app, a layer above,
# registers both at start-up (`consent.apps`); until it has, recipients reach nobody.
RecipientFilter = Callable[[User], QuerySet[Patient]]
RecipientRead = Callable[[HttpRequest, Patient], None]
_recipient_filter: RecipientFilter | None = None
_recipient_read: RecipientRead | None = None


def register_recipient_gate(patients: RecipientFilter, on_read: RecipientRead) -> None:
    global _recipient_filter, _recipient_read
    _recipient_filter, _recipient_read = patients, on_read


def patients_for_user(user: User) -> QuerySet[Patient]:
    """Patients whose records this user may read."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    if user.role == Role.CLINICIAN:
        return Patient.objects.filter(care_teams__clinicians=user).distinct()
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    if user.role == Role.RECIPIENT and _recipient_filter is not None:
        return _recipient_filter(user)
    return Patient.objects.none()


def can_write_patient(user: User, patient: Patient) -> bool:
    if user.role == Role.PATIENT:
        return patient.user_id == user.pk
    if user.role == Role.CLINICIAN:
        return Membership.objects.filter(
            user=user, team__patients=patient, access=Membership.Access.WRITE
        ).exists()
    return False


def get_patient_for_user(
    request: HttpRequest, patient_uuid: UUID | str, *, write: bool = False, audit: bool = True
) -> Patient:
    """The patient, if this user may reach them; 404 otherwise, 403 for a read-only writer.

    Records the view (or the intent to change) in the audit trail.
    """
    try:
        patient = patients_for_user(request.user).get(uuid=patient_uuid)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient") from None
    except Exception as exc:  # a malformed UUID surfaces as ValidationError
        if exc.__class__.__name__ == "ValidationError":
            raise Http404("No such patient") from None
        raise
    if write and not can_write_patient(request.user, patient):
        raise PermissionDenied("Read-only access to this patient")
    if getattr(request.user, "role", None) == Role.RECIPIENT and _recipient_read is not None:
        _recipient_read(request, patient)
    if audit and request.method in ("GET", "HEAD"):
        record_audit(Event.PATIENT_RECORD_VIEWED, acting=request, patient=patient,
                     detail=request.path)
    return patient


def record_patients_shown(request: HttpRequest, patients: Iterable[Patient | UUID | str]) -> None:
    """One audit event for a response that lists patients: who saw which ones.

    `patients` are those the response shows (the page, not the whole caseload): patients or
    their UUIDs, in order, repeats dropped. The event names them by UUID only, never by name;
    a list that shows nobody records nothing.
    """
    shown = list(dict.fromkeys(str(getattr(p, "uuid", p)) for p in patients))
    if shown:
        record_audit(Event.PATIENT_LIST_VIEWED, acting=request, subjects=shown,
                     detail=request.path)


def get_own_patient(request: HttpRequest, *, audit: bool = True) -> Patient:
    """The signed-in patient's own record; 404 for any other role.

    A patient reading their own record is recorded too: the trail answers "who saw this
    record" completely, and a shared or stolen patient login shows up in it.
    """
    user = request.user
    if not user.is_authenticated or user.role != Role.PATIENT:
        raise Http404("Only for patients")
    try:
        # Loaded with the user (`accounts.backends`), else one query.
        patient = user.patient
    except Patient.DoesNotExist:
        raise Http404("No patient record for this account") from None
    if audit and request.method in ("GET", "HEAD"):
        record_audit(Event.PATIENT_RECORD_VIEWED, acting=request, patient=patient,
                     detail=request.path)
    return patient


# Staff who keep a patient's administrative record (an invitation, a paper consent, an export
# asked for on paper, a request): a clinician enrols onto the teams where they have
# read-and-write membership, a care-team admin onto the teams they belong to (an admin reads
# no clinical record, so the access level, which is about records, does not limit them here).
# A patient's administrative pages are for those same people on one of the patient's teams: a
# clinician through the one patient access check (404 off the team, 403 read-only), an admin by
# team membership. Nobody else.


def staff_teams(user: User) -> QuerySet[CareTeam]:
    """The care teams `user` may enrol patients onto (and, for an admin, invite staff to)."""
    if user.role == Role.CLINICIAN:
        return CareTeam.objects.filter(membership__user=user,
                                       membership__access=Membership.Access.WRITE)
    if user.role == Role.ADMIN:
        return CareTeam.objects.filter(membership__user=user)
    return CareTeam.objects.none()


def get_patient_for_staff(request: HttpRequest, patient_uuid: UUID | str) -> Patient:
    """The patient whose administrative record (invitation, consents, export, requests)
    `request.user` may see and change; 404 or 403 otherwise.

    Records the view in the audit trail, as the patient access check does.
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404("No such patient")
    if user.role == Role.CLINICIAN:
        return get_patient_for_user(request, patient_uuid, write=True)
    if user.role != Role.ADMIN:
        raise Http404("No such patient")
    try:
        patient = (Patient.objects.filter(care_teams__in=staff_teams(user)).distinct()
                   .get(uuid=patient_uuid))
    except (Patient.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such patient") from None
    if request.method in ("GET", "HEAD"):
        record_audit(Event.PATIENT_RECORD_VIEWED, acting=request, patient=patient,
                     detail=request.path)
    return patient
