"""Assigning questionnaire schedules over REST: the measures form checks, the measures action
stores, idempotent by the client's UUID."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.audit.models import AuditEvent
from mitra.measures.actions import (
    ScheduleConflict,
    do_assign_schedule,
    do_assign_schedule_once,
)
from mitra.measures.models import Schedule
from mitra.testing import MARKER, make_cast

pytestmark = pytest.mark.django_db


def client_for(user, scopes=None) -> TokenClient:
    return TokenClient(token_for(user, scopes))


def schedule_body(**changes):
    return {"uuid": str(uuid.uuid4()), "instrument": "gad7", "every_days": 14,
            "start": str(timezone.localdate())} | changes


def test_a_clinician_assigns_a_schedule_once_and_a_repeat_returns_it():
    cast = make_cast()
    client = client_for(cast.clinician)
    url = f"/api/patients/{cast.patient.uuid}/schedules"
    body = schedule_body()
    first = client.post(url, body)
    assert first.status_code == 201, first.content
    stored = first.json()
    assert stored["uuid"] == body["uuid"]
    assert stored["patient"] == str(cast.patient.uuid)
    assert (stored["instrument"], stored["cadence"], stored["active"]) == (
        "gad7", "every 2 weeks at 09:00", True)
    again = client.post(url, body)
    assert again.status_code == 200 and again.json() == stored
    for change in ({"every_days": 7}, {"instrument": "phq9"}, {"every_days": None},
                   {"start": str(timezone.localdate() + timedelta(days=1))}):
        assert_error_shape(client.post(url, body | change), 409, field="uuid")
    assert Schedule.objects.count() == 1
    assert AuditEvent.objects.filter(event="measures.schedule.assigned").count() == 1
    listed = client_for(cast.readonly).get(url).json()
    assert [s["uuid"] for s in listed["items"]] == [body["uuid"]]


def test_a_once_only_schedule_and_a_stopped_one_repeat_as_stored():
    cast = make_cast()
    client = client_for(cast.clinician)
    url = f"/api/patients/{cast.patient.uuid}/schedules"
    body = schedule_body(instrument="auditc")
    del body["every_days"]  # null (omitted): once
    first = client.post(url, body)
    assert first.status_code == 201, first.content
    assert first.json()["every_days"] is None and first.json()["cadence"] == "once at 09:00"
    assert client.post(f"{url}/{body['uuid']}/stop", {}).status_code == 200
    again = client.post(url, body | {"every_days": None})
    assert again.status_code == 200 and again.json()["active"] is False
    assert Schedule.objects.count() == 1


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"instrument": "phq99"}, "instrument", "phq9, gad7"),
    ({"every_days": 0}, "every_days", "allowed 1-365, or empty for once"),
    ({"every_days": 366}, "every_days", "allowed 1-365"),
])
def test_a_bad_schedule_names_the_field_and_the_allowed_values(change, field, words):
    cast = make_cast()
    response = client_for(cast.clinician).post(
        f"/api/patients/{cast.patient.uuid}/schedules", schedule_body(**change))
    body = assert_error_shape(response, 400, field=field)
    assert words in body["errors"][0]["problem"]
    assert body["errors"][0]["location"] == "body"
    assert not Schedule.objects.exists()


@pytest.mark.parametrize("missing", ["uuid", "instrument", "start"])
def test_a_schedule_without_a_required_field_is_400_naming_it(missing):
    # uuid from the schema; instrument (for a questionnaire) and start (counting from a date)
    # from the schedule form.
    cast = make_cast()
    body = schedule_body()
    del body[missing]
    response = client_for(cast.clinician).post(
        f"/api/patients/{cast.patient.uuid}/schedules", body)
    assert_error_shape(response, 400, field=missing)
    assert not Schedule.objects.exists()


def test_only_the_care_team_with_write_access_assigns_schedules():
    cast = make_cast()
    mine = f"/api/patients/{cast.patient.uuid}/schedules"
    theirs = f"/api/patients/{cast.other_patient.uuid}/schedules"
    # A patient does not set their own schedule (as on the web: the page is the care team's).
    assert_error_shape(client_for(cast.patient_user).post(mine, schedule_body()), 404)
    assert_error_shape(client_for(cast.readonly).post(mine, schedule_body()), 403)
    assert_error_shape(client_for(cast.clinician, ["read"]).post(mine, schedule_body()), 403)
    for user in (cast.other_clinician, cast.researcher, cast.admin):
        assert_error_shape(client_for(user).post(mine, schedule_body()), 404)
    response = client_for(cast.clinician).post(theirs, schedule_body())
    assert_error_shape(response, 404)
    assert MARKER not in response.content.decode()
    assert not Schedule.objects.exists()


def test_a_uuid_used_for_another_patient_is_a_conflict():
    cast = make_cast()
    shared = uuid.uuid4()
    today = timezone.localdate()
    do_assign_schedule_once(cast.other_patient, instrument="gad7", every_days=14, start=today,
                            acting=cast.other_clinician, uuid=shared)
    response = client_for(cast.clinician).post(
        f"/api/patients/{cast.patient.uuid}/schedules", schedule_body(uuid=str(shared)))
    body = assert_error_shape(response, 409, field="uuid")
    assert MARKER not in response.content.decode()
    assert "gad7" not in body["errors"][0]["problem"]
    assert not Schedule.objects.filter(patient=cast.patient).exists()


def test_the_action_without_a_uuid_makes_a_new_schedule_each_time_as_the_web_form_does():
    cast = make_cast()
    today = timezone.localdate()
    first = do_assign_schedule(cast.patient, instrument="phq9", every_days=14, start=today,
                               acting=cast.clinician)
    second = do_assign_schedule(cast.patient, instrument="phq9", every_days=14, start=today,
                                acting=cast.clinician)
    assert first.uuid != second.uuid
    chosen = uuid.uuid4()
    third = do_assign_schedule(cast.patient, instrument="phq9", every_days=14, start=today,
                               acting=cast.clinician, uuid=chosen)
    assert third.uuid == chosen
    assert do_assign_schedule(cast.patient, instrument="phq9", every_days=14, start=today,
                              acting=cast.clinician, uuid=chosen).pk == third.pk
    with pytest.raises(ScheduleConflict):
        do_assign_schedule(cast.patient, instrument="phq9", every_days=7, start=today,
                           acting=cast.clinician, uuid=chosen)
    assert Schedule.objects.count() == 3


def test_the_timing_fields_are_stored_and_returned():
    cast = make_cast()
    client = client_for(cast.clinician)
    url = f"/api/patients/{cast.patient.uuid}/schedules"
    body = schedule_body(instrument="craving", every_days=None, weekdays=[5, 1, 3],
                         time_of_day="19:30", window_minutes=240, random_minutes=60)
    first = client.post(url, body)
    assert first.status_code == 201, first.content
    stored = first.json()
    assert {k: stored[k] for k in ("form", "instrument", "every_days", "weekdays", "cadence",
                                   "anchor", "offset_days", "time_of_day", "window_minutes",
                                   "random_minutes", "pathway")} == {
        "form": "questionnaire", "instrument": "craving", "every_days": None,
        "weekdays": [1, 3, 5], "cadence": "Mon, Wed, Fri at 19:30 (within 60 minutes)",
        "anchor": "date", "offset_days": 0, "time_of_day": "19:30", "window_minutes": 240,
        "random_minutes": 60, "pathway": ""}
    assert client.post(url, body).status_code == 200
    assert_error_shape(client.post(url, body | {"time_of_day": "19:45"}), 409, field="uuid")
    # The diary, counted from enrolment.
    diary = client.post(url, {"uuid": str(uuid.uuid4()), "form": "diary", "every_days": 1,
                              "anchor": "enrolment", "offset_days": 1, "time_of_day": "20:00"})
    assert diary.status_code == 201, diary.content
    assert (diary.json()["instrument"], diary.json()["start"], diary.json()["cadence"]) == (
        "", str(cast.patient.enrolled_on + timedelta(days=1)), "daily at 20:00")
    listed = client.get(url).json()["items"]
    assert {s["form"] for s in listed} == {"questionnaire", "diary"}


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"form": "letter"}, "form", "not one of questionnaire, diary"),
    ({"weekdays": [8], "every_days": None}, "weekdays", "allowed 1 (Monday) to 7 (Sunday)"),
    ({"time_of_day": "25:61"}, "time_of_day", "HH:MM"),
    ({"window_minutes": 0}, "window_minutes", "allowed 1-86400 minutes"),
    ({"random_minutes": 4320}, "random_minutes", "allowed 0-1440"),
    ({"every_days": 1, "window_minutes": 30, "random_minutes": 30}, "random_minutes",
     "shorter than the answer window"),
    ({"anchor": "birthday"}, "anchor", "not one of date, enrolment, taper_start"),
    ({"anchor": "enrolment"}, "start", "leave start empty"),
    ({"anchor": "taper_start", "start": None}, "anchor", "no start of the taper plan"),
    ({"start": None}, "start", "YYYY-MM-DD"),
    ({"offset_days": 3}, "offset_days", "only with an anchor of enrolment or taper_start"),
    ({"every_days": None, "start": "2020-01-01"}, "start", "in the past: a one-off"),
    ({"form": "diary"}, "instrument", "leave it empty"),
])
def test_bad_timing_names_the_field_and_the_allowed_values(change, field, words):
    cast = make_cast()
    response = client_for(cast.clinician).post(
        f"/api/patients/{cast.patient.uuid}/schedules", schedule_body(**change))
    body = assert_error_shape(response, 400, field=field)
    assert words in body["errors"][0]["problem"], body
    assert not Schedule.objects.exists()
