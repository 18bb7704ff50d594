"""FHIR Questionnaire, QuestionnaireResponse and Observation, checked against the real world:
fhir.resources (R4B models) for every resource, the official LOINC Questionnaires for codes."""

from __future__ import annotations

import json
import os
import uuid
from datetime import date
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from mitra.api.tests.helpers import TokenClient, assert_operation_outcome, token_for
from mitra.measures.actions import do_submit_response
from mitra.measures.library import get_instrument
from mitra.measures.models import Response
from mitra.measures.scoring import answers_from_mapping, score
from mitra.safety.models import Alert
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"


def reference_dir() -> Path | None:
    default = Path(__file__).resolve().parents[3].parent / "shared" / "reference"
    path = Path(os.environ.get("MITRA_REFERENCE_DIR", default))
    if (path / "fhir").is_dir():
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"reference material missing at {path} (set MITRA_REFERENCE_DIR)")
    pytest.skip(f"reference material not found at {path} (set MITRA_REFERENCE_DIR)")
    return None


def official(name: str) -> dict:
    return json.loads((reference_dir() / "fhir" / name).read_text())


def item_codes(questionnaire: dict) -> list[str]:
    codes = []
    for item in questionnaire["item"]:
        codes.extend(c["code"] for c in item.get("code", []) if c["system"] == "http://loinc.org")
    return codes


def bundle_resources(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(FHIR)
    body = response.json()
    Bundle.model_validate(body)
    return [e["resource"] for e in body.get("entry", [])]


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def clinician(cast):
    return TokenClient(token_for(cast.clinician))


@pytest.mark.parametrize("instrument, official_file", [
    ("phq9", "loinc-via-hl7-pco-ig/Questionnaire-PHQ9.json"),
    ("gad7", "loinc-via-hl7-pco-ig/Questionnaire-GAD7.json"),
])
def test_generated_questionnaires_carry_the_official_loinc_codes(clinician, instrument,
                                                                 official_file):
    ours = clinician.get(f"/fhir/Questionnaire/{instrument}").json()
    Questionnaire.model_validate(ours)
    theirs = official(official_file)
    assert item_codes(ours) == item_codes(theirs)
    assert ours["code"][0]["code"] == theirs["code"][0]["code"]
    # The answer codes of each item match too (GAD-7 item 2 has its own third answer).
    answered = [i for i in theirs["item"] if "answerOption" in i]
    for mine, their in zip(ours["item"], answered, strict=False):
        assert [o["valueCoding"]["code"] for o in mine["answerOption"]] == [
            o["valueCoding"]["code"] for o in their["answerOption"]
        ]


def test_questionnaires_are_searchable_by_code_and_url(clinician):
    by_code = bundle_resources(
        clinician.get("/fhir/Questionnaire", code="http://loinc.org|44249-1"))
    assert [q["id"] for q in by_code] == ["phq9"]
    by_item = bundle_resources(clinician.get("/fhir/Questionnaire", code="69725-0"))
    # An item code finds every Questionnaire asking that item: GAD-7 and GAD-2.
    assert sorted(q["id"] for q in by_item) == ["gad2", "gad7"]
    url = by_code[0]["url"]
    assert [q["id"] for q in bundle_resources(clinician.get("/fhir/Questionnaire", url=url))] \
        == ["phq9"]
    everything = bundle_resources(clinician.get("/fhir/Questionnaire"))
    assert len(everything) >= 8
    for resource in everything:
        Questionnaire.model_validate(resource)
    assert bundle_resources(clinician.get("/fhir/Questionnaire", code="00000-0")) == []


def _post(client, resource):
    return client.post("/fhir/QuestionnaireResponse", resource, content_type=FHIR)


def test_a_response_to_the_official_us_core_phq9_scores_as_the_web_form(cast, clinician):
    resource = official("hl7-us-core/QuestionnaireResponse-phq-9-example.json")
    resource["subject"] = {"reference": f"Patient/{cast.patient.uuid}"}
    resource["identifier"] = {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"}
    # The example is authored years ago: the patient must have been enrolled by then.
    cast.patient.enrolled_on = date(2000, 1, 1)
    cast.patient.save(update_fields=["enrolled_on"])
    response = _post(clinician, resource)
    assert response.status_code == 201, response.content
    QuestionnaireResponse.model_validate(response.json())
    stored = Response.objects.get(uuid=response.json()["id"])
    # The web form's scoring, from the same answers, independently.
    inst = get_instrument("phq9")
    web = score(inst, answers_from_mapping(inst, stored.answers))
    assert stored.total == web.total == 12  # the US Core example's own total item says 12
    assert stored.severity == web.severity == "Moderate"
    observations = bundle_resources(clinician.get(
        "/fhir/Observation", patient=f"Patient/{cast.patient.uuid}", code="44261-6"))
    assert len(observations) == 1
    Observation.model_validate(observations[0])
    assert observations[0]["valueQuantity"]["value"] == 12
    assert observations[0]["category"][0]["coding"][0]["code"] == "survey"
    derived = observations[0]["derivedFrom"]
    assert derived == [{"reference": f"QuestionnaireResponse/{stored.uuid}"}]


def _loinc_phq9_response(patient, values, *, key=None):
    """A response written against LOINC's own PHQ-9 Questionnaire (numeric linkIds)."""
    theirs = official("loinc-via-hl7-pco-ig/Questionnaire-PHQ9.json")
    items = []
    for item, value in zip(theirs["item"][:9], values, strict=True):
        option = item["answerOption"][value]["valueCoding"]
        items.append({"linkId": item["linkId"], "answer": [{"valueCoding": option}]})
    return {
        "resourceType": "QuestionnaireResponse", "status": "completed",
        "questionnaire": theirs["url"], "subject": {"reference": f"Patient/{patient.uuid}"},
        "identifier": {"value": f"urn:uuid:{key or uuid.uuid4()}"}, "item": items,
    }


def test_a_response_to_loincs_phq9_is_accepted_and_raises_the_item9_alert(cast):
    client = TokenClient(token_for(cast.patient_user))
    response = _post(client, _loinc_phq9_response(cast.patient, [1, 1, 1, 1, 1, 1, 1, 1, 2]))
    assert response.status_code == 201, response.content
    stored = Response.objects.get(uuid=response.json()["id"])
    assert stored.total == 10
    assert Alert.objects.filter(patient=cast.patient, kind=Alert.Kind.SUICIDE_RISK).exists()


def test_posting_is_idempotent_by_the_client_uuid(cast, clinician):
    key = uuid.uuid4()
    first = _post(clinician, _loinc_phq9_response(cast.patient, [0] * 9, key=key))
    again = _post(clinician, _loinc_phq9_response(cast.patient, [0] * 9, key=key))
    other = _post(clinician, _loinc_phq9_response(cast.patient, [1] * 9, key=key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] == str(key)
    assert_operation_outcome(other, 409)
    assert Response.objects.filter(uuid=key).count() == 1


def test_a_bad_answer_names_the_item_and_the_allowed_codes(cast, clinician):
    resource = _loinc_phq9_response(cast.patient, [0] * 9)
    resource["item"][2]["answer"] = [{"valueCoding": {"system": "http://loinc.org",
                                                      "code": "LA9999-9"}}]
    body = assert_operation_outcome(_post(clinician, resource), 422)
    assert "14365" in body["issue"][0]["diagnostics"]
    assert "LA6568-5" in body["issue"][0]["diagnostics"]
    assert body["issue"][0]["expression"] == ["item[2].answer[0]"]
    assert not Response.objects.exists()


def test_a_missing_required_item_is_refused_as_the_web_form_refuses_it(cast, clinician):
    resource = _loinc_phq9_response(cast.patient, [0] * 9)
    del resource["item"][8]
    body = assert_operation_outcome(_post(clinician, resource), 422)
    assert "phq9.q9" in body["issue"][0]["diagnostics"]


def test_unknown_questionnaire_and_wrong_patient_are_refused(cast, clinician):
    resource = _loinc_phq9_response(cast.patient, [0] * 9)
    resource["questionnaire"] = "http://example.org/Questionnaire/nope"
    assert_operation_outcome(_post(clinician, resource), 422)
    other = _loinc_phq9_response(cast.other_patient, [0] * 9)
    assert_operation_outcome(_post(clinician, other), 404)
    readonly = TokenClient(token_for(cast.readonly))
    assert_operation_outcome(_post(readonly, _loinc_phq9_response(cast.patient, [0] * 9)), 403)
    read_scope = TokenClient(token_for(cast.clinician, ["fhir"]))
    assert_operation_outcome(_post(read_scope, _loinc_phq9_response(cast.patient, [0] * 9)), 403)
    assert_operation_outcome(clinician.post("/fhir/QuestionnaireResponse", "not json{",
                                            content_type=FHIR), 400)
    assert not Response.objects.exists()


def test_responses_read_and_search_by_patient(cast, clinician):
    row, _ = do_submit_response(cast.patient, instrument="gad7",
                                answers={f"gad7.q{i}": 1 for i in range(1, 8)},
                                response_uuid=uuid.uuid4(), acting=cast.patient_user)
    do_submit_response(cast.other_patient, instrument="gad7",
                       answers={f"gad7.q{i}": 3 for i in range(1, 8)},
                       response_uuid=uuid.uuid4(), acting=cast.other_patient_user)
    read = clinician.get(f"/fhir/QuestionnaireResponse/{row.uuid}")
    QuestionnaireResponse.model_validate(read.json())
    found = bundle_resources(clinician.get("/fhir/QuestionnaireResponse",
                                           patient=str(cast.patient.uuid)))
    assert [r["id"] for r in found] == [str(row.uuid)]
    other = Response.objects.get(patient=cast.other_patient)
    assert_operation_outcome(clinician.get(f"/fhir/QuestionnaireResponse/{other.uuid}"), 404)
    assert_operation_outcome(clinician.get(f"/fhir/Observation/score-{other.uuid}"), 404)
    assert_operation_outcome(clinician.get("/fhir/QuestionnaireResponse",
                                           patient=str(cast.other_patient.uuid)), 404)
    # A clinician names the patient; a patient's own token needs not.
    assert_operation_outcome(clinician.get("/fhir/QuestionnaireResponse"), 400)
    mine = TokenClient(token_for(cast.patient_user)).get("/fhir/QuestionnaireResponse")
    assert [r["id"] for r in bundle_resources(mine)] == [str(row.uuid)]
    score_obs = clinician.get(f"/fhir/Observation/score-{row.uuid}").json()
    Observation.model_validate(score_obs)
    assert score_obs["code"]["coding"][0]["code"] == "70274-6"
    assert score_obs["valueQuantity"]["value"] == 7


def test_an_authored_time_in_the_future_is_refused_and_nothing_stored(cast, clinician):
    resource = _loinc_phq9_response(cast.patient, [0] * 9)
    resource["authored"] = "9999-12-30T00:00:00Z"
    body = assert_operation_outcome(_post(clinician, resource), 422)
    assert body["issue"][0]["expression"] == ["authored"]
    assert "authored: 9999-12-30T00:00:00+00:00 is not allowed" in body["issue"][0]["diagnostics"]
    assert "(enrolment) to now" in body["issue"][0]["diagnostics"]
    assert not Response.objects.exists()
