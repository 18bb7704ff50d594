"""MedicationStatement (the intake medication list) and Patient/[id]/$everything."""

import uuid as uuidlib

from django.http import Http404
from django.utils import timezone
from ninja import Router

from mitra.api import fhir
from mitra.api.fhir_support import (
    FhirResponse,
    base_url,
    check_params,
    only_visible,
    reader_kinds,
    require_visible,
    searchset,
    security,
)
from mitra.api.permissions import FHIR_READ
from mitra.api.routers.fhir_consent import consent_resources
from mitra.api.routers.fhir_measures import (
    _diary_entries,
    _patient_filter,
    diary_resources,
    response_resource,
    score_resource,
)
from mitra.api.routers.fhir_patient import patient_resource
from mitra.consent import labels
from mitra.measures.models import Response
from mitra.patients.access import get_patient_for_user
from mitra.patients.models import Medication

router = Router(tags=["fhir"])


def _status(med: Medication, today) -> str:
    # R4 MedicationStatement.status: the list records what was named at intake and after.
    if med.stopped_on is not None and med.stopped_on <= today:
        return "stopped"
    if med.started_on is not None and med.started_on > today:
        return "intended"
    return "active"


def medication_resource(med: Medication) -> dict:
    return fhir.medication_statement(
        id_=str(med.uuid), patient_id=str(med.patient.uuid), name=med.name,
        status=_status(med, timezone.localdate()),
        asserted=med.created_at.isoformat(),
        start=med.started_on.isoformat() if med.started_on else None,
        end=med.stopped_on.isoformat() if med.stopped_on else None,
        security=security(labels.kind_of_medication(med.name)),
    )


@router.get("/MedicationStatement", auth=FHIR_READ, url_name="medication_search")
def search_medications(request):
    check_params(request, {"patient", "subject"})
    patients = _patient_filter(request)
    rows = Medication.objects.filter(patient__in=patients) \
        .select_related("patient").order_by("name", "pk")
    kinds = reader_kinds(request, patients)
    if kinds is None:
        return searchset(request, rows, medication_resource)
    resources = only_visible(kinds, (medication_resource(m) for m in rows))
    return searchset(request, resources, lambda r: r, total=len(resources))


@router.get("/MedicationStatement/{medication_id}", auth=FHIR_READ, url_name="medication_read")
def read_medication(request, medication_id: str):
    try:
        med = Medication.objects.select_related("patient").get(uuid=uuidlib.UUID(medication_id))
    except (ValueError, Medication.DoesNotExist):
        raise Http404("No such MedicationStatement") from None
    get_patient_for_user(request, med.patient.uuid)
    return FhirResponse(require_visible(request, med.patient, medication_resource(med)))


def everything_resources(patient, request=None) -> list[dict]:
    """Every FHIR resource this server holds about `patient`, the Patient first, their
    consents last.

    $everything and the patient's data export (`mitra.reports.export`) both build from it.
    With `request` from an outside recipient, only the kinds their consent covers (and only
    the consent they read under); without one (the patient's own export), everything.
    """
    resources = [patient_resource(patient)]
    responses = Response.objects.filter(patient=patient).select_related("patient") \
        .order_by("submitted_at", "pk")
    for row in responses:
        resources.append(response_resource(row))
        if row.total is not None:
            resources.append(score_resource(row))
    for entry in _diary_entries([patient]).order_by("date"):
        resources.extend(diary_resources(entry))
    resources.extend(medication_resource(m) for m in
                     Medication.objects.filter(patient=patient).select_related("patient")
                     .order_by("name", "pk"))
    resources.extend(consent_resources(request, patient))
    if request is not None:
        resources = only_visible(reader_kinds(request, [patient]), resources)
    return resources


@router.get("/Patient/{patient_id}/$everything", auth=FHIR_READ, url_name="patient_everything")
def patient_everything(request, patient_id: str):
    """The patient and every resource about them this server holds, as a searchset Bundle."""
    check_params(request, set())
    patient = get_patient_for_user(request, patient_id)
    resources = everything_resources(patient, request)
    return FhirResponse(fhir.bundle(kind="searchset", base_url=base_url(request),
                                    resources=resources, total=len(resources)))
