"""POST /api/diary with bad input: the API's one error shape listing every problem, fields named
as the diary names them (`uses[0].amount`, never pydantic's `uses.0.amount`), the diary's own
messages with the allowed values, and nothing stored."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.diary.units import SUBSTANCES
from mitra.patients.models import Patient
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db
USE = {"substance": "kratom_powder", "amount": "3", "unit": "g"}


@pytest.fixture
def client():
    return TokenClient(token_for(make_cast().patient_user))


def body(**kw):
    out = {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": 6,
           "uses": [USE]}
    out.update(kw)
    return out


def refused(client, sent) -> dict[str, str]:
    """{field: problem} of a 400 that stored nothing."""
    answer = assert_error_shape(client.post("/api/diary", sent), 400)
    assert not DiaryEntry.objects.exists() and not UseEvent.objects.exists()
    assert all(p["location"] == "body" for p in answer["errors"])
    return {p["field"]: p["problem"] for p in answer["errors"]}


@pytest.mark.parametrize("uses", ["notalist", None, 3, {"substance": "kratom_powder"}])
def test_uses_that_is_not_a_list_is_a_400_naming_uses(client, uses):
    problems = refused(client, body(uses=uses))
    assert list(problems) == ["uses"]
    assert problems["uses"].startswith("uses: send a list of use objects")


def test_a_use_that_is_not_an_object_is_a_400_naming_its_position(client):
    problems = refused(client, body(uses=[USE, "notanobject", {}]))
    assert list(problems) == ["uses[1]", "uses[2]"]
    assert problems["uses[1]"].startswith("uses[1] must be a use object with substance, amount")


def test_every_problem_is_listed_with_the_diarys_names_and_messages(client):
    sent = body(date="someday", mood=12, motives=["boredom"], uses=[
        {"substance": "xx", "amount": "abc", "unit": "g", "time": "25:00"},
        {"substance": "kratom_powder", "amount": "500", "unit": "g"},
    ])
    problems = refused(client, sent)
    assert list(problems) == ["date", "mood", "motives", "uses[0].amount", "uses[0].substance",
                              "uses[0].time", "uses[1].amount"]
    assert not any(name.startswith("uses.") for name in problems)
    assert problems["date"].startswith("date must be a day as YYYY-MM-DD from")
    assert "0 (very low) to 10 (very good)" in problems["mood"]
    assert "pain, energy, mood" in problems["motives"]
    assert problems["uses[0].amount"] == ("amount must be a number more than 0 and at most "
                                          "100 g, not 'abc'")
    assert all(s in problems["uses[0].substance"] for s in SUBSTANCES)
    assert "HH:MM" in problems["uses[0].time"]
    assert problems["uses[1].amount"] == "amount must be more than 0 and at most 100 g, not 500"


def test_type_errors_get_the_diarys_messages_not_pydantics(client):
    # These used to stop in pydantic ("Input should be a valid decimal", field `uses.0.amount`).
    problems = refused(client, body(uses=[{**USE, "amount": [3]}], note={"x": 1}, uuid="x"))
    assert set(problems) == {"uuid", "note", "uses[0].amount"}
    assert problems["uses[0].amount"].startswith("amount must be a number more than 0 and at "
                                                 "most 100 g")
    assert problems["uuid"].startswith("uuid must be a UUID")
    assert not any("Input should be" in p for p in problems.values())


def test_a_body_that_is_not_an_object_is_a_400_without_a_field(client):
    answer = assert_error_shape(client.post("/api/diary", [USE]), 400)
    assert answer["errors"][0]["field"] is None
    assert "send a JSON object with uuid, date" in answer["errors"][0]["problem"]


def test_a_valid_body_is_still_stored(client):
    sent = body(uses=[{**USE, "amount": 2.5, "time": "08:15"}], motives=["pain"])
    response = client.post("/api/diary", sent)
    assert response.status_code == 201, response.content
    assert response.json()["uses"][0]["amount"] == "2.500"
    assert client.post("/api/diary", body(uses=[])).status_code == 201


def test_a_day_before_enrolment_or_a_use_time_a_day_ahead_is_a_400_naming_the_range(client):
    today = timezone.localdate()
    enrolled = today - timedelta(days=5)
    Patient.objects.update(enrolled_on=enrolled)
    problems = refused(client, body(date=(enrolled - timedelta(days=1)).isoformat()))
    assert problems == {"date": f"date must be a day as YYYY-MM-DD from {enrolled} (enrolment) "
                                f"to today ({today}), not {enrolled - timedelta(days=1)}"}
    tomorrow = today + timedelta(days=1)
    latest = timezone.localtime().replace(tzinfo=None) + timedelta(days=1)
    if latest.date() > tomorrow or latest.strftime("%H:%M") == "23:59":
        pytest.skip("no minute of tomorrow is past the limit")
    problems = refused(client, body(date=tomorrow.isoformat(), uses=[{**USE, "time": "23:59"}]))
    assert list(problems) == ["uses[0].time"]
    assert problems["uses[0].time"].startswith(f"time: {tomorrow}T23:59:00 is not allowed; "
                                               f"allowed: from {enrolled} (enrolment) to ")


def test_the_enrolment_day_is_accepted(client):
    enrolled = timezone.localdate() - timedelta(days=5)
    Patient.objects.update(enrolled_on=enrolled)
    assert client.post("/api/diary", body(date=enrolled.isoformat())).status_code == 201
