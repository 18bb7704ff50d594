"""A PHQ-9 with item 9 above 0 sent through the API: the answer carries the crisis lines of the
patient's locale and a link to the crisis page (REST `crisis`; FHIR contained Organizations
and the crisis-resources extension), decided by the alert's kind and priority."""

from __future__ import annotations

import uuid

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from mitra.api import fhir
from mitra.api.tests.helpers import TokenClient, token_for
from mitra.measures.models import Response
from mitra.patients.models import Intake
from mitra.safety.actions import do_raise_alert
from mitra.safety.crisis import crisis_resources
from mitra.safety.models import Alert
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"


def phq9(values):
    return {f"phq9.q{i}": v for i, v in enumerate(values, start=1)}


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def patient_client(cast):
    return TokenClient(token_for(cast.patient_user))


def submit(client, patient, values, key=None):
    return client.post(f"/api/patients/{patient.uuid}/responses", {
        "uuid": str(key or uuid.uuid4()), "instrument": "phq9", "answers": phq9(values)})


def test_item_9_above_0_brings_the_crisis_lines_of_the_patients_locale(cast, patient_client):
    Intake.objects.create(patient=cast.patient, jurisdiction="GB")
    key = uuid.uuid4()
    first = submit(patient_client, cast.patient, [1] * 8 + [2], key=key)
    assert first.status_code == 201, first.content
    crisis = first.json()["crisis"]
    assert crisis["locale"] == "en-GB" and crisis["name"] == "United Kingdom"
    samaritans = crisis["lines"][0]
    assert samaritans["name"] == "Samaritans"
    assert (samaritans["call"], samaritans["call_uri"]) == ("116123", "tel:116123")
    assert samaritans["text"] is None and samaritans["text_uri"] is None
    assert [line["call"] for line in crisis["lines"]] == [
        r["call"] for r in crisis_resources("en-GB")["resources"]]
    assert crisis["page"] == "http://testserver/safety/crisis/?locale=en-GB"
    assert crisis["care_team_alerted"] is True
    assert crisis["unverified"] is True  # the file marks the UK numbers so: the app must say it
    assert crisis["international"]["resources"]
    # A repeat of the same response (a retry after a lost answer) shows them again.
    again = submit(patient_client, cast.patient, [1] * 8 + [2], key=key)
    assert again.status_code == 200 and again.json()["crisis"] == crisis


def test_the_default_locale_carries_call_and_text_links(cast, patient_client):
    crisis = submit(patient_client, cast.patient, [0] * 8 + [1]).json()["crisis"]
    assert crisis["locale"] == "en-US" and crisis["unverified"] is False
    lifeline = crisis["lines"][0]
    assert (lifeline["call_uri"], lifeline["text_uri"]) == ("tel:988", "sms:988")
    assert lifeline["url"] == "https://988lifeline.org" and lifeline["hours"] == "24/7"


def test_no_crisis_object_without_a_positive_item_9(cast, patient_client):
    answer = submit(patient_client, cast.patient, [3] * 8 + [0])
    assert answer.status_code == 201 and answer.json()["crisis"] is None
    # A missing item 9 is reviewed by the care team (a high alert), but it is not a positive.
    missing = submit(patient_client, cast.patient, [1] * 8 + [None])
    assert missing.status_code == 201, missing.content
    assert Alert.objects.filter(kind=Alert.Kind.SUICIDE_RISK,
                                priority=Alert.Priority.HIGH).exists()
    assert missing.json()["crisis"] is None


def test_decided_by_the_alerts_kind_not_its_wording(cast, patient_client):
    key = uuid.uuid4()
    submit(patient_client, cast.patient, [0] * 8 + [1], key=key)
    # A reworded reason keeps the crisis lines (the web used to look for "suicid" in it) ...
    Alert.objects.filter(source_uuid=key).update(reason="PHQ-9: item 9 answered above zero")
    assert submit(patient_client, cast.patient, [0] * 8 + [1], key=key).json()["crisis"]
    # ... and an alert of another kind whose text says "suicidal" brings none.
    other = uuid.uuid4()
    submit(patient_client, cast.patient, [3] * 8 + [0], key=other)
    do_raise_alert(cast.patient, kind=Alert.Kind.DETERIORATION, priority=Alert.Priority.URGENT,
                   reason="suicidal thoughts mentioned", dedupe_key="test:wording",
                   source_uuid=other)
    assert submit(patient_client, cast.patient, [3] * 8 + [0], key=other).json()["crisis"] \
        is None


def test_a_clinician_entering_it_gets_the_patients_crisis_lines_too(cast):
    client = TokenClient(token_for(cast.clinician))
    crisis = submit(client, cast.patient, [0] * 8 + [3]).json()["crisis"]
    assert crisis["lines"][0]["call"] == "988"


def _fhir_phq9(patient, values, key):
    return {
        "resourceType": "QuestionnaireResponse", "status": "completed",
        "questionnaire": fhir.questionnaire_url("phq9"),
        "subject": {"reference": f"Patient/{patient.uuid}"},
        "identifier": {"value": f"urn:uuid:{key}"},
        "item": [{"linkId": f"phq9.q{i}", "answer": [{"valueInteger": v}]}
                 for i, v in enumerate(values, start=1)],
    }


def crisis_parts(resource: dict) -> list[dict]:
    [ext] = [e for e in resource.get("extension", []) if e["url"] == fhir.CRISIS_EXTENSION]
    return ext["extension"]


def test_the_fhir_create_answer_carries_the_crisis_lines_as_valid_r4(cast, patient_client):
    Intake.objects.create(patient=cast.patient, jurisdiction="AU")
    key = uuid.uuid4()
    created = patient_client.post("/fhir/QuestionnaireResponse",
                                  _fhir_phq9(cast.patient, [0] * 8 + [2], key), content_type=FHIR)
    assert created.status_code == 201, created.content
    body = created.json()
    QuestionnaireResponse.model_validate(body)
    parts = crisis_parts(body)
    values = {p["url"]: next(v for k, v in p.items() if k.startswith("value")) for p in parts
              if p["url"] not in ("line", "directory")}
    assert values["page"] == "http://testserver/safety/crisis/?locale=en-AU"
    assert values["locale"] == "en-AU" and values["careTeamAlerted"] is True
    assert values["unverified"] is True
    lines = [p["valueReference"] for p in parts if p["url"] == "line"]
    contained = {r["id"]: r for r in body["contained"]}
    # Every reference points at a contained resource (dom-3), each a named Organization.
    for ref in [p["valueReference"] for p in parts if "valueReference" in p]:
        assert ref["reference"].removeprefix("#") in contained
    first = contained[lines[0]["reference"].removeprefix("#")]
    assert first["resourceType"] == "Organization" and first["name"] == "Lifeline"
    assert {"system": "phone", "value": "131114"} in first["telecom"]
    assert lines[0]["display"] == "Lifeline: Call 13 11 14 (24/7)"
    # The stored response is as it was: reading it back carries no crisis block.
    read = patient_client.get(f"/fhir/QuestionnaireResponse/{key}").json()
    assert "extension" not in read and "contained" not in read
    assert Response.objects.get(uuid=key).total == 2


def test_the_fhir_answer_has_no_crisis_block_without_a_positive_item_9(cast, patient_client):
    created = patient_client.post("/fhir/QuestionnaireResponse",
                                  _fhir_phq9(cast.patient, [1] * 8 + [0], uuid.uuid4()),
                                  content_type=FHIR)
    assert created.status_code == 201, created.content
    body = created.json()
    QuestionnaireResponse.model_validate(body)
    assert "extension" not in body and "contained" not in body


def test_the_fhir_crisis_lines_of_the_us_carry_phone_sms_and_url(cast, patient_client):
    body = patient_client.post("/fhir/QuestionnaireResponse",
                               _fhir_phq9(cast.patient, [0] * 8 + [1], uuid.uuid4()),
                               content_type=FHIR).json()
    QuestionnaireResponse.model_validate(body)
    lifeline = body["contained"][0]
    assert lifeline["telecom"] == [{"system": "phone", "value": "988"},
                                   {"system": "sms", "value": "988"},
                                   {"system": "url", "value": "https://988lifeline.org"}]
    directories = [r for r in body["contained"] if r["id"].startswith("crisis-directory-")]
    assert directories and all(r["telecom"][0]["system"] == "url" for r in directories)
