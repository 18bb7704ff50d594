"""The one access check that every view and API call about a patient goes through.

Default deny: a clinician reaches only patients on their care teams, a patient only their own
record, a researcher and an admin no identifiable clinical record at all. An unreachable patient
is a 404, never a 403, so a URL does not reveal that a record exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from mitra.accounts.models import Membership, Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.patients.models import Patient


def patients_for_user(user: User) -> QuerySet[Patient]:
    """Patients whose records this user may read."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    if user.role == Role.CLINICIAN:
        return Patient.objects.filter(care_teams__clinicians=user).distinct()
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
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
