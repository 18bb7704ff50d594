"""FHIR Patient read and search, limited to the caller's care teams (the one access helper)."""


from uuid import UUID

from ninja import Router

from mitra.api import fhir
from mitra.api.fhir_support import FhirResponse, check_params, searchset
from mitra.api.permissions import FHIR_READ
from mitra.patients.access import get_patient_for_user, patients_for_user
from mitra.patients.models import Patient

router = Router(tags=["fhir"])


def patient_resource(p: Patient) -> dict:
    return fhir.patient(
        id_=str(p.uuid), name=p.display_name, pseudonym=p.pseudonym,
        birth_date=p.date_of_birth.isoformat() if p.date_of_birth else None,
    )


@router.get("/Patient", auth=FHIR_READ, url_name="patient_search")
def search_patients(request):
    check_params(request, {"_id", "name"})
    rows = patients_for_user(request.user).order_by("display_name", "pk")
    if request.GET.get("_id"):
        try:
            rows = rows.filter(uuid=UUID(request.GET["_id"]))
        except ValueError:
            rows = rows.none()
    if request.GET.get("name"):
        rows = rows.filter(display_name__icontains=request.GET["name"])
    return searchset(request, rows, patient_resource, patient_of=lambda patient: patient)


@router.get("/Patient/{patient_id}", auth=FHIR_READ, url_name="patient_read")
def read_patient(request, patient_id: str):
    return FhirResponse(patient_resource(get_patient_for_user(request, patient_id)))
