"""REST endpoints that write through the other apps' actions: idempotent by client UUID."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.diary.models import DiaryEntry
from mitra.measures.actions import do_assign_schedule
from mitra.measures.models import Response
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db


def phq9(values):
    return {f"phq9.q{i}": v for i, v in enumerate(values, start=1)}


def test_a_patient_submits_a_response_once_and_a_repeat_returns_it():
    cast = make_cast()
    client = TokenClient(token_for(cast.patient_user))
    url = f"/api/patients/{cast.patient.uuid}/responses"
    body = {"uuid": str(uuid.uuid4()), "instrument": "phq9", "answers": phq9([2] * 9)}
    first = client.post(url, body)
    assert first.status_code == 201, first.content
    assert first.json()["total"] == 18
    assert first.json()["severity"] == "Moderately severe"
    assert client.post(url, body).status_code == 200
    body["answers"] = phq9([0] * 9)
    assert_error_shape(client.post(url, body), 409, field="uuid")
    assert Response.objects.count() == 1


def test_a_bad_answer_names_the_item_and_nothing_is_stored():
    cast = make_cast()
    client = TokenClient(token_for(cast.patient_user))
    url = f"/api/patients/{cast.patient.uuid}/responses"
    body = {"uuid": str(uuid.uuid4()), "instrument": "phq9", "answers": phq9([0] * 8 + [7])}
    problem = assert_error_shape(client.post(url, body), 400, field="answers")
    assert "phq9.q9" in problem["errors"][0]["problem"]
    assert "0, 1, 2, 3" in problem["errors"][0]["problem"]
    body["instrument"] = "phq99"
    problem = assert_error_shape(client.post(url, body), 400, field="instrument")
    assert "gad7" in problem["errors"][0]["problem"]
    assert_error_shape(client.post(url, {"instrument": "phq9"}), 400, field="uuid")
    assert not Response.objects.exists()


def test_writes_need_the_write_scope_and_write_access():
    cast = make_cast()
    url = f"/api/patients/{cast.patient.uuid}/responses"
    body = {"uuid": str(uuid.uuid4()), "instrument": "phq9", "answers": phq9([0] * 9)}
    assert_error_shape(TokenClient(token_for(cast.patient_user, ["read"])).post(url, body), 403)
    assert_error_shape(TokenClient(token_for(cast.readonly)).post(url, body), 403)
    assert_error_shape(TokenClient(token_for(cast.other_clinician)).post(url, body), 404)
    assert_error_shape(TokenClient(token_for(cast.researcher)).post(url, body), 404)
    assert not Response.objects.exists()


def test_the_care_team_reads_responses_and_schedules_and_stops_one():
    cast = make_cast()
    schedule = do_assign_schedule(cast.patient, instrument="gad7", every_days=14,
                                  start=timezone.localdate(), acting=cast.clinician)
    clinician = TokenClient(token_for(cast.clinician))
    base = f"/api/patients/{cast.patient.uuid}"
    listed = clinician.get(f"{base}/schedules").json()
    assert listed["items"][0]["cadence"] == "every 2 weeks at 09:00"
    stop = f"{base}/schedules/{schedule.uuid}/stop"
    assert_error_shape(TokenClient(token_for(cast.readonly)).post(stop, {}), 403)
    assert_error_shape(TokenClient(token_for(cast.patient_user)).post(stop, {}), 404)
    stopped = clinician.post(stop, {})
    assert stopped.status_code == 200 and stopped.json()["active"] is False
    assert clinician.post(stop, {}).status_code == 200
    assert_error_shape(clinician.post(f"{base}/schedules/{uuid.uuid4()}/stop", {}), 404)


def diary_body(**kw):
    body = {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": 6,
            "craving": 4, "uses": [{"substance": "kratom_powder", "amount": "3", "unit": "g"}]}
    body.update(kw)
    return body


def test_a_patient_writes_their_diary_idempotently():
    cast = make_cast()
    client = TokenClient(token_for(cast.patient_user))
    body = diary_body()
    first = client.post("/api/diary", body)
    assert first.status_code == 201, first.content
    assert first.json()["uses"][0]["grams"] == "3.000"
    assert client.post("/api/diary", body).status_code == 200
    assert_error_shape(client.post("/api/diary", {**body, "mood": 2}), 409, field="uuid")
    assert DiaryEntry.objects.count() == 1
    listed = TokenClient(token_for(cast.clinician)).get(f"/api/patients/{cast.patient.uuid}/diary")
    assert listed.json()["count"] == 1
    assert listed.json()["items"][0]["mood"] == 6


def test_a_diary_error_names_the_field_with_the_diarys_own_rule():
    cast = make_cast()
    client = TokenClient(token_for(cast.patient_user))
    body = assert_error_shape(client.post("/api/diary", diary_body(mood=11)), 400, field="mood")
    assert "0" in body["errors"][0]["problem"] and "10" in body["errors"][0]["problem"]
    bad_unit = diary_body(uses=[{"substance": "kratom_powder", "amount": "3",
                                 "unit": "standard_drinks"}])
    body = assert_error_shape(client.post("/api/diary", bad_unit), 400)
    assert body["errors"][0]["field"].startswith("uses[0]")
    future = diary_body(date=date(2999, 1, 1).isoformat())
    assert_error_shape(client.post("/api/diary", future), 400, field="date")
    assert not DiaryEntry.objects.exists()


def test_only_a_patient_writes_a_diary():
    cast = make_cast()
    assert_error_shape(TokenClient(token_for(cast.clinician)).post("/api/diary", diary_body()),
                       404)


def test_a_response_dated_outside_enrolment_to_now_is_refused_naming_the_range():
    """A PHQ-9 of 0 dated 9999-12-30 would be the "newest" score and hide a real 18."""
    cast = make_cast()
    cast.patient.enrolled_on = date(2026, 1, 5)
    cast.patient.save(update_fields=["enrolled_on"])
    client = TokenClient(token_for(cast.patient_user))
    url = f"/api/patients/{cast.patient.uuid}/responses"
    real = {"uuid": str(uuid.uuid4()), "instrument": "phq9", "answers": phq9([2] * 9)}
    assert client.post(url, real).status_code == 201
    for when in ("9999-12-30T00:00:00Z", "2025-12-31T12:00:00Z",
                 (timezone.now() + timedelta(minutes=30)).isoformat()):
        body = {"uuid": str(uuid.uuid4()), "instrument": "phq9", "answers": phq9([0] * 9),
                "submitted_at": when}
        problem = assert_error_shape(client.post(url, body), 400, field="submitted_at")
        text = problem["errors"][0]["problem"]
        assert "not allowed" in text and "from 2026-01-05 (enrolment) to now" in text, text
    assert list(Response.objects.values_list("total", flat=True)) == [18]
    # A time within the range (a little ahead of the server's clock too) is kept as sent.
    ok = {"uuid": str(uuid.uuid4()), "instrument": "phq9", "answers": phq9([1] * 9),
          "submitted_at": (timezone.now() + timedelta(minutes=2)).isoformat()}
    assert client.post(url, ok).status_code == 201
