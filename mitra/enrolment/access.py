"""Who may enrol and invite, onto which care teams, and reach which patient's invitation.

A clinician enrols onto the teams where they have read-and-write membership; a care-team
admin onto the teams they belong to (an admin reads no clinical record, so the access level,
which is about records, does not limit them here). The invitation page of a patient is for
those same people on one of the patient's teams: a clinician through the one patient access
check (404 off the team, 403 read-only), an admin by team membership. Nobody else.
"""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from mitra.accounts.models import CareTeam, Membership, Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.patients.access import get_patient_for_user
from mitra.patients.models import Patient

ENROLLING_ROLES = (Role.CLINICIAN, Role.ADMIN)


def enrolment_teams(user: User) -> QuerySet[CareTeam]:
    """The care teams `user` may enrol patients onto (and, for an admin, invite staff to)."""
    if user.role == Role.CLINICIAN:
        return CareTeam.objects.filter(membership__user=user,
                                       membership__access=Membership.Access.WRITE)
    if user.role == Role.ADMIN:
        return CareTeam.objects.filter(membership__user=user)
    return CareTeam.objects.none()


def get_patient_for_enrolment(request: HttpRequest, patient_uuid: UUID | str) -> Patient:
    """The patient whose invitation `request.user` may see and change; 404 or 403 otherwise.

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
        patient = (Patient.objects.filter(care_teams__in=enrolment_teams(user)).distinct()
                   .get(uuid=patient_uuid))
    except (Patient.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such patient") from None
    if request.method in ("GET", "HEAD"):
        record_audit(Event.PATIENT_RECORD_VIEWED, acting=request, patient=patient,
                     detail=request.path)
    return patient
