"""CBT records over REST: validated by the CBT forms, stored by the CBT actions, idempotent."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.audit.models import AuditEvent
from mitra.cbt import actions
from mitra.cbt.models import ExposureLog, Homework, ThoughtRecord
from mitra.cbt.tests import factories
from mitra.testing import MARKER, make_cast

pytestmark = pytest.mark.django_db


def client_for(user, scopes=None) -> TokenClient:
    return TokenClient(token_for(user, scopes))


def thought_body(**changes):
    body = {
        "uuid": str(uuid.uuid4()),
        "occurred_on": str(timezone.localdate()),
        "situation": "Team meeting",
        "automatic_thoughts": "They think I am useless",
        "emotions": [{"emotion": "anxious", "before": 80, "after": 40},
                     {"emotion": "sad", "before": 50}],
        "distortions": ["mind_reading", "all_or_nothing"],
        "balanced_thought": "I do not know what they think",
    }
    return body | changes


# Thought records -------------------------------------------------------------------------

def test_a_patient_records_a_thought_once_and_a_repeat_returns_it():
    cast = make_cast()
    client = client_for(cast.patient_user)
    url = f"/api/patients/{cast.patient.uuid}/thought-records"
    body = thought_body()
    first = client.post(url, body)
    assert first.status_code == 201, first.content
    stored = first.json()
    assert stored["uuid"] == body["uuid"]
    assert stored["emotions"] == [{"emotion": "anxious", "before": 80, "after": 40},
                                  {"emotion": "sad", "before": 50, "after": None}]
    # The CBT form sorts the traps, as for the web page.
    assert stored["distortions"] == ["all_or_nothing", "mind_reading"]
    again = client.post(url, body)
    assert again.status_code == 200 and again.json() == stored
    assert_error_shape(client.post(url, body | {"situation": "Something else"}), 409,
                       field="uuid")
    assert ThoughtRecord.objects.count() == 1
    assert AuditEvent.objects.filter(event="cbt.thought_record.created").count() == 1


def test_the_care_team_lists_thought_records_newest_first_paginated():
    cast = make_cast()
    today = timezone.localdate()
    for days in (3, 1, 2):
        factories.thought(cast.patient, on=today - timedelta(days=days))
    url = f"/api/patients/{cast.patient.uuid}/thought-records"
    for user in (cast.clinician, cast.readonly, cast.patient_user):
        body = client_for(user).get(url, limit=2).json()
        assert body["count"] == 3
        assert [r["occurred_on"] for r in body["items"]] == [
            str(today - timedelta(days=1)), str(today - timedelta(days=2))]
    rest = client_for(cast.clinician).get(url, limit=2, offset=2).json()
    assert [r["occurred_on"] for r in rest["items"]] == [str(today - timedelta(days=3))]


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"emotions": [{"emotion": "anxious", "before": 101}]}, "emotions[0].before", "0 to 100"),
    ({"emotions": [{"emotion": "anxious", "before": 60}, {"emotion": "", "before": 20}]},
     "emotions[1].emotion", "name the emotion"),
    ({"emotions": []}, "emotions[0].emotion", "Emotion 1 is required"),
    ({"distortions": ["mind_reading", "fortune_cookies"]}, "distortions", "fortune_cookies"),
    ({"occurred_on": "2001-01-01"}, "occurred_on", "must be between"),
    ({"situation": ""}, "situation", "Situation is required"),
    ({"situation": "x" * 4001}, "situation", "at most 4000"),
])
def test_a_bad_thought_record_names_the_field_and_stores_nothing(change, field, words):
    cast = make_cast()
    url = f"/api/patients/{cast.patient.uuid}/thought-records"
    body = assert_error_shape(client_for(cast.patient_user).post(url, thought_body(**change)),
                              400, field=field)
    assert words in body["errors"][0]["problem"]
    assert not ThoughtRecord.objects.exists()


def test_a_thought_record_without_uuid_or_with_four_emotions_is_400_from_the_schema():
    cast = make_cast()
    client = client_for(cast.patient_user)
    url = f"/api/patients/{cast.patient.uuid}/thought-records"
    body = thought_body()
    del body["uuid"]
    assert_error_shape(client.post(url, body), 400, field="uuid")
    four = [{"emotion": f"e{i}", "before": 10} for i in range(4)]
    assert_error_shape(client.post(url, thought_body(emotions=four)), 400, field="emotions")
    assert not ThoughtRecord.objects.exists()


def test_thought_record_access_follows_the_web_rules():
    cast = make_cast()
    factories.thought(cast.other_patient)
    mine = f"/api/patients/{cast.patient.uuid}/thought-records"
    theirs = f"/api/patients/{cast.other_patient.uuid}/thought-records"
    # Another team's patient, and a patient reaching for someone else's record: 404.
    assert_error_shape(client_for(cast.clinician).get(theirs), 404)
    assert_error_shape(client_for(cast.patient_user).get(theirs), 404)
    assert_error_shape(client_for(cast.patient_user).post(theirs, thought_body()), 404)
    # Thought records are the patient's own writing: a clinician cannot write one.
    assert_error_shape(client_for(cast.clinician).post(mine, thought_body()), 404)
    # The write scope is needed.
    assert_error_shape(client_for(cast.patient_user, ["read"]).post(mine, thought_body()), 403)
    assert not ThoughtRecord.objects.filter(patient=cast.patient).exists()


def test_a_researcher_reaches_no_cbt_record_and_sees_no_identifier():
    cast = make_cast()
    factories.thought(cast.other_patient)
    actions.do_save_relapse_plan(cast.other_patient, acting=cast.other_patient_user,
                                 uuid=uuid.uuid4(), sections={"triggers": ["payday"]})
    client = client_for(cast.researcher)
    for path in ("thought-records", "homework", "exposure-items", "exposure-logs",
                 "activity-slots", "relapse-plan"):
        response = client.get(f"/api/patients/{cast.other_patient.uuid}/{path}")
        assert_error_shape(response, 404)
        assert MARKER not in response.content.decode()
    assert_error_shape(
        client.post(f"/api/patients/{cast.other_patient.uuid}/thought-records", thought_body()),
        404)


# Homework --------------------------------------------------------------------------------

def homework_body(**changes):
    return {"uuid": str(uuid.uuid4()), "kind": "thought_record",
            "due_on": str(timezone.localdate() + timedelta(days=7)),
            "instructions": "One record after a hard moment"} | changes


def test_a_clinician_assigns_homework_idempotently_and_the_patient_completes_it():
    cast = make_cast()
    clinician = client_for(cast.clinician)
    url = f"/api/patients/{cast.patient.uuid}/homework"
    body = homework_body()
    first = clinician.post(url, body)
    assert first.status_code == 201, first.content
    assert first.json()["title"] == "Thought record" and first.json()["overdue"] is False
    assert clinician.post(url, body).status_code == 200
    assert_error_shape(clinician.post(url, body | {"kind": "exposure"}), 409, field="uuid")
    assert Homework.objects.count() == 1

    patient = client_for(cast.patient_user)
    listed = patient.get(url).json()
    assert listed["count"] == 1 and listed["items"][0]["completed_at"] is None
    done_url = f"{url}/{body['uuid']}/complete"
    done = patient.post(done_url, {"note": "Did it on Tuesday"})
    assert done.status_code == 200, done.content
    assert done.json()["completed_at"] and done.json()["completion_note"] == "Did it on Tuesday"
    assert patient.post(done_url, {"note": "Did it on Tuesday"}).json() == done.json()
    assert_error_shape(patient.post(done_url, {"note": "Changed my mind"}), 409, field="note")
    assert AuditEvent.objects.filter(event="cbt.homework.completed").count() == 1


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"kind": "yoga"}, "kind", "thought_record, activation"),
    ({"kind": "module"}, "module_slug", "cbt-model"),
    ({"due_on": "2001-01-01"}, "due_on", "must be between"),
    ({"instructions": "x" * 2001}, "instructions", "at most 2000"),
])
def test_bad_homework_names_the_field_and_stores_nothing(change, field, words):
    cast = make_cast()
    response = client_for(cast.clinician).post(
        f"/api/patients/{cast.patient.uuid}/homework", homework_body(**change))
    assert words in assert_error_shape(response, 400, field=field)["errors"][0]["problem"]
    assert not Homework.objects.exists()


def test_homework_assignment_needs_write_access_on_the_team():
    cast = make_cast()
    url = f"/api/patients/{cast.patient.uuid}/homework"
    assert_error_shape(client_for(cast.readonly).post(url, homework_body()), 403)
    assert_error_shape(client_for(cast.other_clinician).post(url, homework_body()), 404)
    assert_error_shape(client_for(cast.patient_user).post(url, homework_body()), 404)
    assert_error_shape(client_for(cast.other_clinician).get(url), 404)
    assert client_for(cast.readonly).get(url).status_code == 200
    assert not Homework.objects.exists()


def test_only_the_patient_completes_their_homework():
    cast = make_cast()
    homework, _ = actions.do_assign_homework(
        cast.patient, acting=cast.clinician, uuid=uuid.uuid4(), kind="exposure",
        due_on=timezone.localdate())
    url = f"/api/patients/{cast.patient.uuid}/homework/{homework.uuid}/complete"
    assert_error_shape(client_for(cast.clinician).post(url, {}), 404)
    assert_error_shape(client_for(cast.other_patient_user).post(url, {}), 404)
    other = f"/api/patients/{cast.patient.uuid}/homework/{uuid.uuid4()}/complete"
    assert_error_shape(client_for(cast.patient_user).post(other, {}), 404)
    assert_error_shape(client_for(cast.patient_user).post(url, {"note": "x" * 2001}), 400,
                       field="note")
    homework.refresh_from_db()
    assert homework.completed_at is None


# Exposure --------------------------------------------------------------------------------

def test_a_patient_builds_a_hierarchy_and_logs_practice():
    cast = make_cast()
    client = client_for(cast.patient_user)
    base = f"/api/patients/{cast.patient.uuid}"
    item = {"uuid": str(uuid.uuid4()), "situation": "Phone the bank", "expected_suds": 60}
    assert client.post(f"{base}/exposure-items", item).status_code == 201
    assert client.post(f"{base}/exposure-items", item).status_code == 200
    assert_error_shape(client.post(f"{base}/exposure-items", item | {"expected_suds": 61}),
                       409, field="uuid")
    bad = assert_error_shape(client.post(f"{base}/exposure-items",
                                         item | {"uuid": str(uuid.uuid4()),
                                                 "expected_suds": 140}), 400,
                             field="expected_suds")
    assert "0 to 100" in bad["errors"][0]["problem"]

    log = {"uuid": str(uuid.uuid4()), "item": item["uuid"], "done_on": str(timezone.localdate()),
           "suds_before": 50, "suds_peak": 70, "suds_after": 30, "minutes": 15,
           "note": "It passed"}
    first = client.post(f"{base}/exposure-logs", log)
    assert first.status_code == 201, first.content
    assert first.json()["situation"] == "Phone the bank" and first.json()["item"] == item["uuid"]
    assert client.post(f"{base}/exposure-logs", log).status_code == 200
    assert_error_shape(client.post(f"{base}/exposure-logs", log | {"suds_after": 20}), 409,
                       field="uuid")
    # The peak is the highest point: the CBT form's own rule.
    peak = assert_error_shape(client.post(f"{base}/exposure-logs", log | {
        "uuid": str(uuid.uuid4()), "suds_peak": 40}), 400, field="suds_peak")
    assert "at least" in peak["errors"][0]["problem"]
    assert_error_shape(client.post(f"{base}/exposure-logs", log | {
        "uuid": str(uuid.uuid4()), "item": str(uuid.uuid4())}), 400, field="item")
    assert ExposureLog.objects.count() == 1

    for user in (cast.clinician, cast.readonly):
        reader = client_for(user)
        assert reader.get(f"{base}/exposure-items").json()["count"] == 1
        logs = reader.get(f"{base}/exposure-logs").json()
        assert [entry["suds_peak"] for entry in logs["items"]] == [70]
    other = f"/api/patients/{cast.other_patient.uuid}"
    assert_error_shape(client_for(cast.clinician).get(f"{other}/exposure-logs"), 404)
    assert_error_shape(client_for(cast.clinician).post(f"{base}/exposure-logs", log), 404)


# Behavioural activation ------------------------------------------------------------------

def test_a_patient_completes_a_scheduled_activity_once():
    cast = make_cast()
    slot = factories.slot(cast.patient)
    base = f"/api/patients/{cast.patient.uuid}"
    url = f"{base}/activity-slots/{slot.uuid}/complete"
    client = client_for(cast.patient_user)
    bad = assert_error_shape(client.post(url, {"mastery": 11, "pleasure": 5}), 400,
                             field="mastery")
    assert "0 to 10" in bad["errors"][0]["problem"]
    assert_error_shape(client.post(url, {"mastery": 5}), 400, field="pleasure")
    ratings = {"mastery": 6, "pleasure": 7, "mood_before": 3, "mood_after": 5}
    done = client.post(url, ratings)
    assert done.status_code == 200, done.content
    assert done.json()["completed_at"] and done.json()["activity_name"] == "Walk 10 minutes"
    assert client.post(url, ratings).json() == done.json()
    assert_error_shape(client.post(url, ratings | {"mastery": 2}), 409)
    assert_error_shape(client_for(cast.clinician).post(url, ratings), 404)

    listed = client_for(cast.readonly).get(f"{base}/activity-slots").json()
    assert listed["count"] == 1
    assert listed["items"][0]["mastery"] == 6 and listed["items"][0]["value"] == "Health"
    assert_error_shape(client_for(cast.other_clinician).get(f"{base}/activity-slots"), 404)


# Relapse-prevention plan -----------------------------------------------------------------

def test_the_current_relapse_plan_is_the_newest_version():
    cast = make_cast()
    url = f"/api/patients/{cast.patient.uuid}/relapse-plan"
    reader = client_for(cast.readonly)
    assert_error_shape(reader.get(url), 404)
    for triggers in (["payday"], ["payday", "arguments at home"]):
        actions.do_save_relapse_plan(cast.patient, acting=cast.patient_user, uuid=uuid.uuid4(),
                                     sections={"triggers": triggers})
    plan = reader.get(url).json()
    assert plan["version"] == 2
    assert plan["triggers"] == ["payday", "arguments at home"]
    assert plan["coping_strategies"] == []
    assert client_for(cast.patient_user).get(url).json()["version"] == 2
    assert_error_shape(client_for(cast.other_clinician).get(url), 404)
