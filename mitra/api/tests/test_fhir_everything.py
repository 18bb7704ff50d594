from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from mitra.api.tests.helpers import (
    TokenClient,
    assert_error_shape,
    assert_operation_outcome,
    token_for,
)
from mitra.diary.actions import do_submit_diary_entry
from mitra.diary.forms import parse_submission
from mitra.diary.json_submission import json_to_formdata
from mitra.measures.actions import do_submit_response
from mitra.safety.actions import do_raise_alert
from mitra.safety.models import Alert
from mitra.safety.screening import do_add_medication
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db


def _diary(cast, **kw):
    payload = {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": 3,
               "craving": 8, "uses": [{"substance": "kratom_powder", "amount": "4.5",
                                       "unit": "g"}], **kw}
    _e, _u, submission = parse_submission(json_to_formdata(payload),
                                          enrolled_on=cast.patient.enrolled_on)
    return do_submit_diary_entry(cast.patient, submission, acting=cast.patient_user).entry


def test_the_capability_statement_is_public_and_valid():
    body = TokenClient(None).get("/fhir/metadata").json()
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in body["rest"][0]["resource"]}
    assert {"Patient", "Questionnaire", "QuestionnaireResponse", "Observation",
            "MedicationStatement"} <= types


def test_everything_bundles_the_patients_resources_all_valid():
    cast = make_cast()
    do_submit_response(cast.patient, instrument="phq9",
                       answers={f"phq9.q{i}": 1 for i in range(1, 10)},
                       response_uuid=uuid.uuid4(), acting=cast.patient_user)
    entry = _diary(cast)
    do_add_medication(cast.patient, name="sertraline", started_on=date(2026, 1, 5),
                      acting=cast.clinician)
    client = TokenClient(token_for(cast.clinician))
    body = client.get(f"/fhir/Patient/{cast.patient.uuid}/$everything").json()
    Bundle.model_validate(body)
    kinds = [e["resource"]["resourceType"] for e in body["entry"]]
    assert kinds.count("Patient") == 1
    assert {"QuestionnaireResponse", "Observation", "MedicationStatement"} <= set(kinds)
    for e in body["entry"]:
        if e["resource"]["resourceType"] == "Observation":
            Observation.model_validate(e["resource"])
    diary = {e["resource"]["code"]["coding"][0]["code"]: e["resource"]["valueQuantity"]["value"]
             for e in body["entry"] if e["resource"]["id"].startswith("diary-")}
    assert diary == {"mood": 3, "craving": 8, "kratom-grams": 4.5}
    one = client.get(f"/fhir/Observation/diary-{entry.uuid}-kratom-grams").json()
    assert one["valueQuantity"] == {"value": 4.5, "unit": "g",
                                    "system": "http://unitsofmeasure.org", "code": "g"}
    assert_operation_outcome(
        client.get(f"/fhir/Patient/{cast.other_patient.uuid}/$everything"), 404)


def test_diary_observations_are_searchable_by_their_code():
    cast = make_cast()
    _diary(cast)
    client = TokenClient(token_for(cast.patient_user))
    found = client.get("/fhir/Observation",
                       code="https://mitra.invalid/fhir/CodeSystem/diary|craving").json()
    assert [e["resource"]["valueQuantity"]["value"] for e in found["entry"]] == [8]


def test_the_medication_list_as_medication_statements():
    cast = make_cast()
    med = do_add_medication(cast.patient, name="buprenorphine", started_on=date(2026, 2, 1),
                            acting=cast.clinician)
    client = TokenClient(token_for(cast.readonly))
    found = client.get("/fhir/MedicationStatement", patient=f"Patient/{cast.patient.uuid}")
    resources = [e["resource"] for e in found.json()["entry"]]
    assert [r["medicationCodeableConcept"]["text"] for r in resources] == ["buprenorphine"]
    MedicationStatement.model_validate(resources[0])
    assert resources[0]["status"] == "active"
    assert client.get(f"/fhir/MedicationStatement/{med.uuid}").status_code == 200
    outsider = TokenClient(token_for(cast.other_clinician))
    assert_operation_outcome(outsider.get(f"/fhir/MedicationStatement/{med.uuid}"), 404)


def test_patient_resources_are_valid():
    cast = make_cast()
    body = TokenClient(token_for(cast.clinician)).get("/fhir/Patient").json()
    Bundle.model_validate(body)
    Patient.model_validate(body["entry"][0]["resource"])


def test_the_care_team_acknowledges_and_resolves_alerts():
    cast = make_cast()
    alert, _ = do_raise_alert(cast.patient, kind=Alert.Kind.MISSED_DIARY,
                              priority=Alert.Priority.NORMAL, reason="No diary for 3 days",
                              dedupe_key="missed:x")
    url = f"/api/alerts/{alert.uuid}"
    assert_error_shape(TokenClient(token_for(cast.readonly)).post(f"{url}/acknowledge", {}), 403)
    assert_error_shape(TokenClient(token_for(cast.other_clinician)).post(f"{url}/acknowledge",
                                                                         {}), 404)
    client = TokenClient(token_for(cast.clinician))
    assert client.post(f"{url}/acknowledge", {}).json()["status"] == "acknowledged"
    assert_error_shape(client.post(f"{url}/resolve", {"note": ""}), 400, field="note")
    assert client.post(f"{url}/resolve", {"note": "Called; fine"}).json()["status"] == "resolved"


def test_a_day_with_plant_material_of_unknown_weight_has_no_gram_figure():
    cast = make_cast()
    cast.patient.enrolled_on = timezone.localdate() - timedelta(days=7)
    cast.patient.save(update_fields=["enrolled_on"])
    entry = _diary(cast, uses=[
        {"substance": "kratom_powder", "amount": "3", "unit": "g"},
        {"substance": "kratom_capsule", "amount": "4", "unit": "capsules"},  # fill not known
    ])
    client = TokenClient(token_for(cast.clinician))
    body = client.get(f"/fhir/Patient/{cast.patient.uuid}/$everything").json()
    codes = {e["resource"]["code"]["coding"][0]["code"]
             for e in body["entry"] if e["resource"]["id"].startswith("diary-")}
    assert codes == {"mood", "craving"}  # not a 3 g "total" that leaves the capsules out
    assert_operation_outcome(
        client.get(f"/fhir/Observation/diary-{entry.uuid}-kratom-grams"), 404)
    # With the fill known, the day's figure is whole again.
    later = _diary(cast, date=(timezone.localdate() - timedelta(days=1)).isoformat(), uses=[
        {"substance": "kratom_powder", "amount": "3", "unit": "g"},
        {"substance": "kratom_capsule", "amount": "4", "unit": "capsules",
         "grams_per_unit": "0.5"},
    ])
    one = client.get(f"/fhir/Observation/diary-{later.uuid}-kratom-grams").json()
    assert one["valueQuantity"]["value"] == 5.0
