"""Behavioural activation over REST: values and the activity list, written by the patient (the
CBT forms check, the CBT actions store, idempotent by the client's UUID), read by the care team;
and the whole flow from a value to a completed activity through the API alone."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.audit.models import AuditEvent
from mitra.cbt import actions
from mitra.cbt.models import Activity, ActivitySlot, Value
from mitra.cbt.tests import factories
from mitra.testing import MARKER, make_cast

pytestmark = pytest.mark.django_db


def client_for(user, scopes=None) -> TokenClient:
    return TokenClient(token_for(user, scopes))


def values_url(patient) -> str:
    return f"/api/patients/{patient.uuid}/values"


def activities_url(patient) -> str:
    return f"/api/patients/{patient.uuid}/activities"


def value_body(**changes):
    return {"uuid": str(uuid.uuid4()), "name": "Family",
            "why": "I want to be there for my children"} | changes


def activity_body(value=None, **changes):
    return {"uuid": str(uuid.uuid4()), "name": "Read a story at bedtime",
            "value": str(value.uuid) if value is not None else None} | changes


def own_value(patient, name: str = "Health") -> Value:
    value, _ = actions.do_add_value(patient, acting=patient.user, uuid=uuid.uuid4(), name=name)
    return value


# Values ----------------------------------------------------------------------------------

def test_a_patient_adds_a_value_once_and_a_repeat_returns_it():
    cast = make_cast()
    client = client_for(cast.patient_user)
    url = values_url(cast.patient)
    body = value_body()
    first = client.post(url, body)
    assert first.status_code == 201, first.content
    stored = first.json()
    assert stored["uuid"] == body["uuid"] and stored["patient"] == str(cast.patient.uuid)
    assert stored["name"] == "Family" and stored["why"] == body["why"]
    again = client.post(url, body)
    assert again.status_code == 200 and again.json() == stored
    for change in ({"name": "Work"}, {"why": "Another reason"}, {"why": ""}):
        assert_error_shape(client.post(url, body | change), 409, field="uuid")
    assert Value.objects.count() == 1
    assert AuditEvent.objects.filter(event="cbt.value.created").count() == 1


def test_a_value_is_stored_trimmed_as_the_web_form_stores_it():
    cast = make_cast()
    response = client_for(cast.patient_user).post(
        values_url(cast.patient), value_body(name="  Family ", why=" being there \n"))
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Family" and response.json()["why"] == "being there"
    # "why" is optional.
    body = value_body()
    del body["why"]
    response = client_for(cast.patient_user).post(values_url(cast.patient), body)
    assert response.status_code == 201 and response.json()["why"] == ""


def test_a_uuid_another_patient_used_is_409():
    cast = make_cast()
    taken = uuid.uuid4()
    actions.do_add_value(cast.other_patient, acting=cast.other_patient.user, uuid=taken,
                         name="Family", why="I want to be there for my children")
    response = client_for(cast.patient_user).post(
        values_url(cast.patient), value_body(uuid=str(taken)))
    assert_error_shape(response, 409, field="uuid")
    assert MARKER not in response.content.decode()
    assert not Value.objects.filter(patient=cast.patient).exists()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"name": ""}, "name", "Value is required"),
    ({"name": "   "}, "name", "Value is required"),
    ({"name": "x" * 81}, "name", "at most 80 characters"),
    ({"why": "x" * 4001}, "why", "at most 4000 characters"),
])
def test_a_bad_value_names_the_field_and_stores_nothing(change, field, words):
    cast = make_cast()
    response = client_for(cast.patient_user).post(values_url(cast.patient), value_body(**change))
    body = assert_error_shape(response, 400, field=field)
    assert words in body["errors"][0]["problem"]
    assert body["errors"][0]["location"] == "body"
    assert not Value.objects.exists()


def test_a_value_without_uuid_or_name_is_400_from_the_schema():
    cast = make_cast()
    client = client_for(cast.patient_user)
    for missing in ("uuid", "name"):
        body = value_body()
        del body[missing]
        assert_error_shape(client.post(values_url(cast.patient), body), 400, field=missing)
    assert_error_shape(client.post(values_url(cast.patient), value_body(uuid="nope")), 400,
                       field="uuid")
    assert not Value.objects.exists()


def test_the_patient_and_the_care_team_list_values_by_name():
    cast = make_cast()
    for name in ("Learning", "Family", "Health"):
        own_value(cast.patient, name)
    own_value(cast.other_patient, MARKER)
    for user in (cast.patient_user, cast.clinician, cast.readonly):
        body = client_for(user).get(values_url(cast.patient), limit=2).json()
        assert body["count"] == 3
        assert [v["name"] for v in body["items"]] == ["Family", "Health"]
        assert MARKER not in str(body)
    rest = client_for(cast.readonly, ["read"]).get(values_url(cast.patient), offset=2).json()
    assert [v["name"] for v in rest["items"]] == ["Learning"]


# Activities ------------------------------------------------------------------------------

def test_a_patient_adds_an_activity_once_and_a_repeat_returns_it():
    cast = make_cast()
    value = own_value(cast.patient, "Family")
    client = client_for(cast.patient_user)
    url = activities_url(cast.patient)
    body = activity_body(value)
    first = client.post(url, body)
    assert first.status_code == 201, first.content
    stored = first.json()
    assert stored["uuid"] == body["uuid"] and stored["name"] == "Read a story at bedtime"
    assert stored["value"] == str(value.uuid) and stored["value_name"] == "Family"
    again = client.post(url, body)
    assert again.status_code == 200 and again.json() == stored
    other = own_value(cast.patient, "Health")
    for change in ({"name": "Cook dinner"}, {"value": None}, {"value": str(other.uuid)}):
        assert_error_shape(client.post(url, body | change), 409, field="uuid")
    assert Activity.objects.count() == 1
    assert AuditEvent.objects.filter(event="cbt.activity.created").count() == 1


def test_an_activity_may_serve_no_value():
    cast = make_cast()
    client = client_for(cast.patient_user)
    body = activity_body()
    del body["value"]
    response = client.post(activities_url(cast.patient), body)
    assert response.status_code == 201, response.content
    assert response.json()["value"] is None and response.json()["value_name"] is None
    # Sent as null, it is the same submission.
    assert client.post(activities_url(cast.patient), body | {"value": None}).status_code == 200


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"name": ""}, "name", "Activity is required"),
    ({"name": "x" * 121}, "name", "at most 120 characters"),
    ({"value": "00000000-0000-4000-8000-000000000000"}, "value", "choose one of your values"),
])
def test_a_bad_activity_names_the_field_and_stores_nothing(change, field, words):
    cast = make_cast()
    response = client_for(cast.patient_user).post(
        activities_url(cast.patient), activity_body() | change)
    body = assert_error_shape(response, 400, field=field)
    assert words in body["errors"][0]["problem"]
    assert not Activity.objects.exists()


def test_an_activity_for_another_patients_value_names_the_field():
    cast = make_cast()
    theirs = own_value(cast.other_patient, MARKER)
    response = client_for(cast.patient_user).post(
        activities_url(cast.patient), activity_body(theirs))
    assert_error_shape(response, 400, field="value")
    assert MARKER not in response.content.decode()
    assert not Activity.objects.exists()


def test_the_patient_and_the_care_team_list_activities_by_name():
    cast = make_cast()
    factories.activity(cast.patient, name="Walk 10 minutes")
    actions.do_add_activity(cast.patient, acting=cast.patient.user, uuid=uuid.uuid4(),
                            name="Call a friend")
    factories.activity(cast.other_patient, name=MARKER)
    for user in (cast.patient_user, cast.clinician, cast.readonly):
        body = client_for(user).get(activities_url(cast.patient)).json()
        assert body["count"] == 2
        assert [(a["name"], a["value_name"]) for a in body["items"]] == [
            ("Call a friend", None), ("Walk 10 minutes", "Health")]
        assert MARKER not in str(body)


# Who ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["values", "activities"])
def test_only_the_patient_writes_values_and_activities(what):
    cast = make_cast()
    mine = f"/api/patients/{cast.patient.uuid}/{what}"
    theirs = f"/api/patients/{cast.other_patient.uuid}/{what}"
    body = value_body() if what == "values" else activity_body()
    # The patient's own tool: the care team (write member too) gets 404, as on the web pages.
    for user in (cast.clinician, cast.readonly, cast.other_clinician, cast.other_patient_user,
                 cast.researcher, cast.admin):
        assert_error_shape(client_for(user).post(mine, body), 404)
    # A read-only token cannot write, even the patient's own.
    assert_error_shape(client_for(cast.patient_user, ["read"]).post(mine, body), 403)
    response = client_for(cast.patient_user).post(theirs, body)
    assert_error_shape(response, 404)
    assert MARKER not in response.content.decode()
    assert not Value.objects.exists() and not Activity.objects.exists()


@pytest.mark.parametrize("what", ["values", "activities"])
def test_another_teams_patient_is_404_and_shows_nothing(what):
    cast = make_cast()
    factories.activity(cast.other_patient, name=MARKER)
    own_value(cast.other_patient, MARKER)
    theirs = f"/api/patients/{cast.other_patient.uuid}/{what}"
    for user in (cast.clinician, cast.readonly, cast.patient_user, cast.researcher, cast.admin):
        response = client_for(user).get(theirs)
        assert_error_shape(response, 404)
        assert MARKER not in response.content.decode()
    # Its own care team reads it.
    assert client_for(cast.other_clinician).get(theirs).json()["count"] >= 1


@pytest.mark.parametrize("what", ["values", "activities"])
def test_a_write_only_token_cannot_list(what):
    cast = make_cast()
    response = client_for(cast.patient_user, ["write"]).get(
        f"/api/patients/{cast.patient.uuid}/{what}")
    assert_error_shape(response, 403)


def test_no_token_is_401():
    cast = make_cast()
    response = TokenClient(None).post(values_url(cast.patient), value_body())
    assert_error_shape(response, 401)
    assert not Value.objects.exists()


# The whole flow over REST ------------------------------------------------------------------

def test_from_a_value_to_a_completed_activity_over_rest():
    cast = make_cast()
    client = client_for(cast.patient_user)
    base = f"/api/patients/{cast.patient.uuid}"

    value = client.post(f"{base}/values", value_body(name="Health", why="More energy"))
    assert value.status_code == 201, value.content
    activity = client.post(f"{base}/activities", activity_body(
        name="Walk 10 minutes") | {"value": value.json()["uuid"]})
    assert activity.status_code == 201, activity.content
    assert activity.json()["value_name"] == "Health"
    # The new activity is in the list a client picks from.
    listed = client.get(f"{base}/activities").json()
    assert [a["uuid"] for a in listed["items"]] == [activity.json()["uuid"]]

    slot_uuid = str(uuid.uuid4())
    slot = client.post(f"{base}/activity-slots", {
        "uuid": slot_uuid, "activity": activity.json()["uuid"],
        "scheduled_for": str(timezone.localdate() + timedelta(days=1)), "at_time": "08:15"})
    assert slot.status_code == 201, slot.content
    assert slot.json()["activity_name"] == "Walk 10 minutes" and slot.json()["value"] == "Health"

    ratings = {"mastery": 6, "pleasure": 8, "mood_before": 3, "mood_after": 5}
    done = client.post(f"{base}/activity-slots/{slot_uuid}/complete", ratings)
    assert done.status_code == 200, done.content
    assert done.json()["completed_at"] is not None and done.json()["pleasure"] == 8

    # The care team sees it done; the database holds one of each, made by the patient.
    seen = client_for(cast.readonly).get(f"{base}/activity-slots").json()
    assert seen["count"] == 1 and seen["items"][0]["mastery"] == 6
    slot_row = ActivitySlot.objects.get(uuid=slot_uuid)
    assert slot_row.activity.value.name == "Health"
    assert slot_row.activity.created_by == cast.patient_user
    assert [e for e in AuditEvent.objects.filter(patient=cast.patient).order_by("pk").values_list(
        "event", flat=True) if e.startswith("cbt.")] == [
        "cbt.value.created", "cbt.activity.created", "cbt.activity_slot.scheduled",
        "cbt.activity_slot.completed"]
