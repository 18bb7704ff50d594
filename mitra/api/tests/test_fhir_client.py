"""A published FHIR client (SMART's fhirclient, R4 models) drives a real server."""

from __future__ import annotations

import uuid

import pytest
from fhirclient import client as fhir_client
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from fhirclient.models.questionnaire import Questionnaire
from fhirclient.models.questionnaireresponse import QuestionnaireResponse

from mitra.api.tests.helpers import token_for
from mitra.measures.library import get_instrument
from mitra.measures.models import Response
from mitra.measures.scoring import answers_from_mapping, score
from mitra.testing import make_cast


@pytest.fixture
def server(live_server, transactional_db):
    cast = make_cast()
    smart = fhir_client.FHIRClient(settings={
        "app_id": "mitra-test", "api_base": f"{live_server.url}/fhir/",
    })
    smart.server.session.headers["Authorization"] = f"Bearer {token_for(cast.clinician)}"
    return cast, smart.server


def test_the_client_searches_posts_and_reads_back_the_score(server):
    cast, fhir = server
    fhir.get_capability()
    assert fhir.capabilityStatement.fhirVersion == "4.0.1"

    patient = Patient.read(str(cast.patient.uuid), fhir)
    assert patient.name[0].text == cast.patient.display_name

    found = list(Questionnaire.where(struct={"code": "44249-1"}).perform_resources_iter(fhir))
    assert [q.id for q in found] == ["phq9"]
    phq9 = found[0]

    answers = [1, 2, 1, 0, 3, 1, 0, 1, 0]
    items = []
    for item, value in zip(phq9.item[:9], answers, strict=True):
        option = item.answerOption[value].valueCoding
        items.append({"linkId": item.linkId, "answer": [{"valueCoding": option.as_json()}]})
    key = uuid.uuid4()
    response = QuestionnaireResponse({
        "status": "completed", "questionnaire": phq9.url,
        "subject": {"reference": f"Patient/{cast.patient.uuid}"},
        "identifier": {"value": f"urn:uuid:{key}"}, "item": items,
    })
    created = response.create(fhir)
    assert created["id"] == str(key)

    observations = list(Observation.where(struct={
        "patient": str(cast.patient.uuid), "code": "http://loinc.org|44261-6",
    }).perform_resources_iter(fhir))
    assert len(observations) == 1
    inst = get_instrument("phq9")
    web = score(inst, answers_from_mapping(inst, Response.objects.get(uuid=key).answers))
    assert observations[0].valueQuantity.value == web.total == sum(answers)
    assert observations[0].category[0].coding[0].code == "survey"
