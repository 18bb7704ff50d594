"""Patients the token's user may read: the same access helper as the web views."""


from uuid import UUID

from ninja import Router
from ninja.pagination import paginate

from mitra.api.errors import responses
from mitra.api.pagination import ShownPatientsPagination
from mitra.api.permissions import READ
from mitra.api.schemas.common import PatientOut
from mitra.patients.access import get_patient_for_user, patients_for_user

router = Router(tags=["patients"])


@router.get("/patients", auth=READ, response=responses({200: list[PatientOut]}),
            url_name="patients")
@paginate(ShownPatientsPagination)
def list_patients(request):
    """Patients on the caller's care teams (a patient: their own record; others: none)."""
    return patients_for_user(request.user).order_by("display_name", "pk")


@router.get("/patients/{uuid:patient_uuid}", auth=READ, response=responses({200: PatientOut}),
            url_name="patient")
def get_patient(request, patient_uuid: UUID):
    return get_patient_for_user(request, patient_uuid)
