"""Scheduling behavioural-activation activities and saving relapse-prevention plan versions over
REST: the CBT forms check, the CBT actions store, idempotent by the client's UUID."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.audit.models import AuditEvent
from mitra.cbt import actions
from mitra.cbt.models import ActivitySlot, RelapsePlan
from mitra.cbt.tests import factories
from mitra.testing import MARKER, make_cast

pytestmark = pytest.mark.django_db


def client_for(user, scopes=None) -> TokenClient:
    return TokenClient(token_for(user, scopes))


# Behavioural activation: scheduling ------------------------------------------------------

def slot_body(activity, **changes):
    return {"uuid": str(uuid.uuid4()), "activity": str(activity.uuid),
            "scheduled_for": str(timezone.localdate() + timedelta(days=1)),
            "at_time": "09:30"} | changes


def test_a_patient_schedules_an_activity_once_and_a_repeat_returns_it():
    cast = make_cast()
    activity = factories.activity(cast.patient)
    client = client_for(cast.patient_user)
    url = f"/api/patients/{cast.patient.uuid}/activity-slots"
    body = slot_body(activity)
    first = client.post(url, body)
    assert first.status_code == 201, first.content
    stored = first.json()
    assert stored["uuid"] == body["uuid"] and stored["activity"] == str(activity.uuid)
    assert stored["activity_name"] == "Walk 10 minutes" and stored["value"] == "Health"
    assert stored["at_time"] == "09:30:00" and stored["completed_at"] is None
    again = client.post(url, body)
    assert again.status_code == 200 and again.json() == stored
    other = factories.activity(cast.patient, name="Call a friend")
    for change in ({"at_time": "10:00"}, {"at_time": None}, {"activity": str(other.uuid)},
                   {"scheduled_for": str(timezone.localdate())}):
        assert_error_shape(client.post(url, body | change), 409, field="uuid")
    assert ActivitySlot.objects.count() == 1
    assert AuditEvent.objects.filter(event="cbt.activity_slot.scheduled").count() == 1
    # The slot it made is the one the patient then completes.
    done = client.post(f"{url}/{body['uuid']}/complete", {"mastery": 6, "pleasure": 7})
    assert done.status_code == 200, done.content
    listed = client_for(cast.readonly).get(url).json()
    assert listed["count"] == 1 and listed["items"][0]["mastery"] == 6


def test_an_activity_without_a_time_is_scheduled_for_the_day():
    cast = make_cast()
    body = slot_body(factories.activity(cast.patient))
    del body["at_time"]
    response = client_for(cast.patient_user).post(
        f"/api/patients/{cast.patient.uuid}/activity-slots", body)
    assert response.status_code == 201, response.content
    assert response.json()["at_time"] is None


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"scheduled_for": "2001-01-01"}, "scheduled_for", "must be between"),
    ({"activity": "00000000-0000-4000-8000-000000000000"}, "activity",
     "choose one of your activities"),
])
def test_a_bad_slot_names_the_field_and_stores_nothing(change, field, words):
    cast = make_cast()
    activity = factories.activity(cast.patient)
    response = client_for(cast.patient_user).post(
        f"/api/patients/{cast.patient.uuid}/activity-slots", slot_body(activity) | change)
    body = assert_error_shape(response, 400, field=field)
    assert words in body["errors"][0]["problem"]
    assert not ActivitySlot.objects.exists()


def test_a_slot_for_another_patients_activity_names_the_field():
    cast = make_cast()
    theirs = factories.activity(cast.other_patient)
    response = client_for(cast.patient_user).post(
        f"/api/patients/{cast.patient.uuid}/activity-slots", slot_body(theirs))
    assert_error_shape(response, 400, field="activity")
    assert MARKER not in response.content.decode()
    assert not ActivitySlot.objects.exists()


def test_a_slot_with_a_malformed_time_or_no_uuid_is_400_from_the_schema():
    cast = make_cast()
    activity = factories.activity(cast.patient)
    client = client_for(cast.patient_user)
    url = f"/api/patients/{cast.patient.uuid}/activity-slots"
    assert_error_shape(client.post(url, slot_body(activity, at_time="half past nine")), 400,
                       field="at_time")
    body = slot_body(activity)
    del body["uuid"]
    assert_error_shape(client.post(url, body), 400, field="uuid")
    assert not ActivitySlot.objects.exists()


def test_only_the_patient_schedules_their_activities():
    cast = make_cast()
    activity = factories.activity(cast.patient)
    mine = f"/api/patients/{cast.patient.uuid}/activity-slots"
    theirs = f"/api/patients/{cast.other_patient.uuid}/activity-slots"
    # The patient's own tool: the care team gets 404, as on the web pages.
    for user in (cast.clinician, cast.readonly, cast.other_clinician, cast.researcher,
                 cast.admin):
        assert_error_shape(client_for(user).post(mine, slot_body(activity)), 404)
    assert_error_shape(client_for(cast.patient_user, ["read"]).post(mine, slot_body(activity)),
                       403)
    response = client_for(cast.patient_user).post(theirs, slot_body(activity))
    assert_error_shape(response, 404)
    assert MARKER not in response.content.decode()
    assert not ActivitySlot.objects.exists()


# Relapse-prevention plan: saving a version -----------------------------------------------

def plan_body(**changes):
    return {"uuid": str(uuid.uuid4()), "triggers": ["payday", "arguments at home"],
            "coping_strategies": ["call my sister", "walk round the block"]} | changes


def test_a_patient_saves_plan_versions_idempotently():
    cast = make_cast()
    client = client_for(cast.patient_user)
    url = f"/api/patients/{cast.patient.uuid}/relapse-plan"
    first_body = plan_body()
    first = client.post(url, first_body)
    assert first.status_code == 201, first.content
    v1 = first.json()
    assert v1["uuid"] == first_body["uuid"] and v1["version"] == 1
    assert v1["triggers"] == ["payday", "arguments at home"] and v1["warning_signs"] == []
    assert client.post(url, first_body).json() == v1
    assert client.post(url, first_body).status_code == 200
    # The same UUID with other content: refused.
    assert_error_shape(client.post(url, first_body | {"triggers": ["payday"]}), 409,
                       field="uuid")

    second_body = plan_body(warning_signs=["skipping meals"])
    second = client.post(url, second_body)
    assert second.status_code == 201, second.content
    assert second.json()["version"] == 2 and second.json()["uuid"] == second_body["uuid"]
    # A late retry of the first save returns the version it made, and changes nothing.
    late = client.post(url, first_body)
    assert late.status_code == 200 and late.json() == v1
    assert client.get(url).json()["version"] == 2
    # Saving the current content again under a new UUID changes nothing either.
    same = client.post(url, second_body | {"uuid": str(uuid.uuid4())})
    assert same.status_code == 200 and same.json()["version"] == 2
    assert RelapsePlan.objects.count() == 2
    assert AuditEvent.objects.filter(event="cbt.relapse_plan.saved").count() == 2
    assert client_for(cast.readonly).get(url).json()["warning_signs"] == ["skipping meals"]


def test_plan_lines_are_trimmed_and_blank_lines_dropped_as_on_the_web_page():
    cast = make_cast()
    response = client_for(cast.patient_user).post(
        f"/api/patients/{cast.patient.uuid}/relapse-plan",
        plan_body(triggers=["  payday  ", "", "   "], coping_strategies=[]))
    assert response.status_code == 201, response.content
    assert response.json()["triggers"] == ["payday"]
    assert response.json()["coping_strategies"] == []


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"triggers": [f"t{i}" for i in range(21)]}, "triggers", "at most 20 lines"),
    ({"people_to_call": ["x" * 201]}, "people_to_call", "at most 200 characters"),
])
def test_a_bad_plan_names_the_field_and_stores_nothing(change, field, words):
    cast = make_cast()
    response = client_for(cast.patient_user).post(
        f"/api/patients/{cast.patient.uuid}/relapse-plan", plan_body(**change))
    body = assert_error_shape(response, 400, field=field)
    assert words in body["errors"][0]["problem"]
    assert not RelapsePlan.objects.exists()


def test_an_empty_plan_is_refused_and_stores_nothing():
    cast = make_cast()
    response = client_for(cast.patient_user).post(
        f"/api/patients/{cast.patient.uuid}/relapse-plan",
        plan_body(triggers=[], coping_strategies=[]))
    body = assert_error_shape(response, 400)
    assert "at least one line" in body["errors"][0]["problem"]
    assert not RelapsePlan.objects.exists()


def test_only_the_patient_saves_their_plan():
    cast = make_cast()
    mine = f"/api/patients/{cast.patient.uuid}/relapse-plan"
    theirs = f"/api/patients/{cast.other_patient.uuid}/relapse-plan"
    for user in (cast.clinician, cast.readonly, cast.other_clinician, cast.researcher,
                 cast.admin):
        assert_error_shape(client_for(user).post(mine, plan_body()), 404)
    assert_error_shape(client_for(cast.patient_user, ["read"]).post(mine, plan_body()), 403)
    response = client_for(cast.patient_user).post(theirs, plan_body())
    assert_error_shape(response, 404)
    assert MARKER not in response.content.decode()
    assert not RelapsePlan.objects.exists()


def test_a_plan_uuid_used_by_another_patient_is_a_conflict():
    cast = make_cast()
    shared = uuid.uuid4()
    actions.do_save_relapse_plan(cast.other_patient, acting=cast.other_patient_user, uuid=shared,
                                 sections={"triggers": ["payday"]})
    response = client_for(cast.patient_user).post(
        f"/api/patients/{cast.patient.uuid}/relapse-plan", plan_body(uuid=str(shared)))
    assert_error_shape(response, 409, field="uuid")
    assert MARKER not in response.content.decode()
    assert not RelapsePlan.objects.filter(patient=cast.patient).exists()


def test_a_plan_uuid_resent_with_the_current_content_of_another_save_is_a_conflict():
    cast = make_cast()
    client = client_for(cast.patient_user)
    url = f"/api/patients/{cast.patient.uuid}/relapse-plan"
    first_body = plan_body()
    assert client.post(url, first_body).status_code == 201
    later = plan_body(warning_signs=["skipping meals"])
    assert client.post(url, later).status_code == 201
    # The first UUID comes back carrying the later content: not a repeat of what it saved.
    reused = later | {"uuid": first_body["uuid"]}
    assert_error_shape(client.post(url, reused), 409, field="uuid")
    assert RelapsePlan.objects.count() == 2
