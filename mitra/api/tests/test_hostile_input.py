"""Regression tests for the red team's causes of 500 (issue 16, item 14), over REST and FHIR.

Each once made the server fail (500) or store what a database cannot hold; each is now a 4xx in
the API's own error shape naming the field (REST) or the path (FHIR OperationOutcome), with
nothing stored. NUL bytes and lone UTF-16 surrogates are refused by one check
(`mitra.lib.untrusted`), wherever they arrive.
"""

from __future__ import annotations

import json
import uuid
from datetime import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from schemathesis.checks import response_schema_conformance

from mitra.api.endpoints import api
from mitra.api.tests.helpers import (
    TokenClient,
    assert_error_shape,
    assert_operation_outcome,
    token_for,
)
from mitra.cbt import actions
from mitra.cbt.models import Value
from mitra.cbt.tests import factories
from mitra.diary.actions import do_submit_diary_entry
from mitra.diary.json_submission import parse_json_submission
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.measures.models import Response
from mitra.safety.actions import do_raise_alert
from mitra.safety.models import Alert
from mitra.testing import make_cast
from mitra.wsgi import application

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"
NUL = "before\x00after"
SURROGATE = "before\ud800after"


@pytest.fixture
def cast():
    return make_cast()


def client_for(user) -> TokenClient:
    return TokenClient(token_for(user))


def problems(response, status: int) -> dict[str | None, dict]:
    body = assert_error_shape(response, status)
    return {p["field"]: p for p in body["errors"]}


# --- limit / offset beyond the integer range, on every REST list ------------------------------

def _list_paths() -> list[str]:
    schema = api.get_openapi_schema()
    return sorted(path for path, ops in schema["paths"].items()
                  if any(p["name"] == "limit" for p in ops.get("get", {}).get("parameters", [])))


def test_every_rest_list_is_found():
    assert len(_list_paths()) >= 12


@pytest.mark.parametrize("path", _list_paths())
def test_a_limit_or_offset_beyond_its_range_is_a_400_naming_it_and_the_range(cast, path):
    url = path.replace("{patient_uuid}", str(cast.patient.uuid))
    client = client_for(cast.clinician)
    for name, value in [("limit", 2**63), ("offset", 2**63), ("limit", 10**30),
                        ("offset", 2**64 + 1), ("offset", -1), ("limit", 0), ("limit", 1001)]:
        found = problems(client.get(url, **{name: value}), 400)
        assert list(found) == [name]
        assert found[name]["location"] == "query"
        # The allowed range, in words a client can act on.
        assert "a whole number from" in found[name]["problem"], found
        assert str(value) in found[name]["problem"], found


def test_limit_and_offset_within_their_range_still_page(cast):
    client = client_for(cast.clinician)
    body = client.get("/api/patients", limit=1000, offset=0).json()
    assert body["count"] == 1 and len(body["items"]) == 1
    assert client.get("/api/patients", limit=1, offset=10**6).json()["items"] == []


# --- NUL in GET /fhir/Patient?name= -----------------------------------------------------------

@pytest.mark.parametrize("param", ["name", "_id"])
def test_a_nul_in_a_fhir_search_parameter_is_an_operation_outcome_naming_it(cast, param):
    body = assert_operation_outcome(
        client_for(cast.clinician).get("/fhir/Patient", **{param: NUL}), 400)
    assert body["issue"][0]["expression"] == [param]
    assert "NUL" in body["issue"][0]["diagnostics"]


def test_a_fhir_name_search_without_nul_still_finds(cast):
    bundle = client_for(cast.clinician).get("/fhir/Patient",
                                            name=cast.patient.display_name[:3]).json()
    assert bundle["total"] == 1


# --- NUL in the REST alert resolution note ----------------------------------------------------

def _alert(patient) -> Alert:
    alert, _ = do_raise_alert(patient, kind=Alert.Kind.MISSED_DIARY,
                              priority=Alert.Priority.NORMAL, reason="No diary for 3 days",
                              dedupe_key="missed:hostile")
    return alert


@pytest.mark.parametrize("note", [NUL, SURROGATE])
def test_a_nul_or_surrogate_in_the_alert_resolution_note_is_a_400_and_the_alert_stays_open(
        cast, note):
    alert = _alert(cast.patient)
    response = client_for(cast.clinician).post(f"/api/alerts/{alert.uuid}/resolve",
                                               {"note": note})
    found = problems(response, 400)
    assert found["note"]["location"] == "body"
    assert "note" in found["note"]["problem"]
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN and alert.resolution_note == ""


# --- a lone surrogate in the diary note or a value's name -------------------------------------

def _diary(**changes) -> dict:
    return {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": 5,
            "uses": [{"substance": "kratom_powder", "amount": "3", "unit": "g",
                      "product_label": "Brand"}]} | changes


@pytest.mark.parametrize("text", [SURROGATE, NUL, "\udfff"])
def test_a_lone_surrogate_or_nul_in_the_diary_note_is_a_400_naming_note(cast, text):
    found = problems(client_for(cast.patient_user).post("/api/diary", _diary(note=text)), 400)
    assert list(found) == ["note"] and found["note"]["location"] == "body"
    assert not DiaryEntry.objects.exists() and not UseEvent.objects.exists()


def test_a_lone_surrogate_in_a_use_is_a_400_naming_the_use_field(cast):
    sent = _diary()
    sent["uses"][0]["product_label"] = SURROGATE
    found = problems(client_for(cast.patient_user).post("/api/diary", sent), 400)
    assert list(found) == ["uses[0].product_label"]
    assert not DiaryEntry.objects.exists()


def test_the_diarys_own_json_endpoint_refuses_a_lone_surrogate_naming_note(cast, client):
    from mitra.testing import login

    login(client, cast.patient_user)
    response = client.post("/diary/api/entries/", json.dumps(_diary(note=SURROGATE)),
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["note"]
    assert not DiaryEntry.objects.exists()


@pytest.mark.parametrize("field", ["name", "why"])
def test_a_lone_surrogate_in_a_values_name_is_a_400_naming_it(cast, field):
    body = {"uuid": str(uuid.uuid4()), "name": "Family", "why": ""} | {field: SURROGATE}
    response = client_for(cast.patient_user).post(
        f"/api/patients/{cast.patient.uuid}/values", body)
    found = problems(response, 400)
    assert list(found) == [field]
    assert not Value.objects.exists()


def test_a_surrogate_in_a_json_key_is_refused_too(cast):
    sent = _diary() | {"\ud800": 1}
    found = problems(client_for(cast.patient_user).post("/api/diary", sent), 400)
    assert list(found) == ["\ufffd"]  # the key, shown with the surrogate replaced
    assert not DiaryEntry.objects.exists()


def test_a_rest_body_nested_too_deeply_is_a_400_not_a_500(cast):
    client = client_for(cast.patient_user)
    for depth in (200, 100_000):
        deep = "[" * depth + "]" * depth
        response = client.client.post("/api/diary", f'{{"note": {deep}}}',
                                       content_type="application/json", headers=client.headers)
        found = problems(response, 400)
        assert "nested" in " ".join(p["problem"] for p in found.values())
    assert not DiaryEntry.objects.exists()


# --- FHIR QuestionnaireResponse: nesting and the shape of item / answer -----------------------

def _phq9(patient, **changes) -> dict:
    items = [{"linkId": f"phq9.q{n}", "answer": [{"valueInteger": 0}]} for n in range(1, 10)]
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": "https://mitra.invalid/fhir/Questionnaire/phq9",
            "subject": {"reference": f"Patient/{patient.uuid}"},
            "identifier": {"value": f"urn:uuid:{uuid.uuid4()}"}, "item": items} | changes


def _post_fhir(client: TokenClient, resource) -> object:
    body = resource if isinstance(resource, str) else json.dumps(resource)
    return client.client.post("/fhir/QuestionnaireResponse", body, content_type=FHIR,
                              headers=client.headers)


def test_a_valid_phq9_is_still_stored(cast):
    response = _post_fhir(client_for(cast.clinician), _phq9(cast.patient))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("depth", [30, 500, 5000])
def test_a_questionnaire_response_nested_deeply_is_a_400_naming_the_path(cast, depth):
    # A group as the tenth item, holding a group, holding a group... (written out as text:
    # json.dumps itself would run out of recursion).
    group = '{"linkId": "group", "item": [' * depth + '{"linkId": "group"}' + "]}" * depth
    sent = json.dumps(_phq9(cast.patient))
    assert sent.endswith("]}")
    sent = sent[:-2] + ", " + group + "]}"
    body = assert_operation_outcome(_post_fhir(client_for(cast.clinician), sent), 400)
    issue = body["issue"][0]
    assert issue["expression"][0].startswith("item[9].item[0].item[0]"), issue
    assert "nested" in issue["diagnostics"]
    assert not Response.objects.exists()


def test_a_nested_answer_item_within_the_bound_is_accepted(cast):
    resource = _phq9(cast.patient)
    resource["item"][0]["answer"][0]["item"] = [{"linkId": "note", "item": [{"linkId": "x"}]}]
    assert _post_fhir(client_for(cast.clinician), resource).status_code == 201


@pytest.mark.parametrize(("change", "path"), [
    (lambda r: r.update(item="not a list"), "item"),
    (lambda r: r.update(item=5), "item"),
    (lambda r: r.update(item={"linkId": "phq9.q1"}), "item"),
    (lambda r: r["item"].insert(0, "phq9.q1"), "item[0]"),
    (lambda r: r["item"].insert(0, None), "item[0]"),
    (lambda r: r["item"][0].update(answer="0"), "item[0].answer"),
    (lambda r: r["item"][0].update(answer={"valueInteger": 0}), "item[0].answer"),
    (lambda r: r["item"][0].update(answer=[0]), "item[0].answer[0]"),
    (lambda r: r["item"][1].update(item="x"), "item[1].item"),
    (lambda r: r["item"][1]["answer"][0].update(item=[7]), "item[1].answer[0].item[0]"),
])
def test_item_or_answer_that_is_not_a_list_of_objects_is_a_400_naming_the_path(
        cast, change, path):
    resource = _phq9(cast.patient)
    change(resource)
    body = assert_operation_outcome(_post_fhir(client_for(cast.clinician), resource), 400)
    assert body["issue"][0]["expression"] == [path], body
    assert not Response.objects.exists()


@pytest.mark.parametrize("where", ["linkId", "identifier", "questionnaire", "authored"])
def test_a_nul_or_surrogate_anywhere_in_a_questionnaire_response_is_a_400_naming_it(
        cast, where):
    resource = _phq9(cast.patient)
    target, key, path = {
        "linkId": (resource["item"][3], "linkId", "item[3].linkId"),
        "identifier": (resource["identifier"], "value", "identifier.value"),
        "questionnaire": (resource, "questionnaire", "questionnaire"),
        "authored": (resource, "authored", "authored"),
    }[where]
    for text in (NUL, SURROGATE):
        target[key] = text
        body = assert_operation_outcome(_post_fhir(client_for(cast.clinician), resource), 400)
        assert body["issue"][0]["expression"] == [path], body
    assert not Response.objects.exists()


@pytest.mark.parametrize("authored", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                      "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"])
def test_an_authored_time_at_the_ends_of_the_calendar_is_refused_naming_authored(
        cast, authored):
    body = assert_operation_outcome(
        _post_fhir(client_for(cast.clinician), _phq9(cast.patient, authored=authored)), 422)
    assert body["issue"][0]["expression"] == ["authored"]
    assert not Response.objects.exists()


def test_a_rest_submitted_at_at_the_ends_of_the_calendar_is_a_400_naming_it(cast):
    client = client_for(cast.clinician)
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        response = client.post(f"/api/patients/{cast.patient.uuid}/responses", {
            "uuid": str(uuid.uuid4()), "instrument": "gad7", "submitted_at": when,
            "answers": {f"gad7.q{i}": 0 for i in range(1, 8)}})
        assert problems(response, 400)["submitted_at"]["location"] == "body"
    assert not Response.objects.exists()


# --- times of day as the schema declares them; every date-time with a UTC offset ---------------

@pytest.fixture
def keep_test_connection():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_times_and_date_times_returned_keep_to_the_schema(cast, keep_test_connection):
    # A diary use at 08:15 and an activity slot at 18:30 (times of day), and records with
    # date-times: every answer is checked against the OpenAPI schema, formats included.
    # Through the actions, not Django's test client: it would connect close_old_connections
    # again, and the WSGI calls below would close the test's connection (PostgreSQL).
    sent = _diary()
    sent["uses"][0]["time"] = "08:15"
    submission, errors = parse_json_submission(sent, enrolled_on=cast.patient.enrolled_on)
    assert not errors
    do_submit_diary_entry(cast.patient, submission, acting=cast.patient_user)
    actions.do_schedule_activity(cast.patient, acting=cast.patient_user, uuid=uuid.uuid4(),
                                 activity=factories.activity(cast.patient),
                                 scheduled_for=timezone.localdate(), at_time=time(18, 30))
    _alert(cast.patient)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    checked = 0
    for path, user in (("/api/patients/{patient_uuid}/diary", cast.patient_user),
                       ("/api/patients/{patient_uuid}/activity-slots", cast.patient_user),
                       ("/api/patients/{patient_uuid}/activities", cast.patient_user),
                       ("/api/alerts", cast.clinician), ("/api/me", cast.clinician)):
        operation = schema[path]["GET"]
        case = operation.Case(path_parameters={"patient_uuid": str(cast.patient.uuid)}
                              if "{" in path else {})
        headers = {"Authorization": f"Bearer {token_for(user)}"}
        response = case.call(headers=headers)
        assert response.status_code == 200, response.text
        case.validate_response(response, checks=[response_schema_conformance], headers=headers)
        checked += 1
        for text in _date_times(response.json()):
            assert text.endswith("Z") or text[-6] in "+-", text
    assert checked == 5


def _date_times(value) -> list[str]:
    """Every value in a JSON document that looks like a date-time (YYYY-MM-DDTHH:...)."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _date_times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _date_times(v)]
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return [value]
    return []
