"""Bad diary input: a 400 naming the field and the allowed values, every problem at once, and
nothing stored; the same messages on the web form and on the diary's JSON endpoint (the REST
endpoint: mitra/api/tests/test_rest_diary_validation.py)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.diary.json_submission import parse_json_submission
from mitra.diary.models import MOTIVES, DiaryEntry, UseEvent
from mitra.diary.units import SUBSTANCES, UNITS
from mitra.patients.models import Patient
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db
API = "/diary/api/entries/"
USE = {"substance": "kratom_powder", "amount": "3", "unit": "g"}


@pytest.fixture
def patient_client():
    return login(Client(), make_cast().patient_user)


def payload(**kw):
    body = {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": 6,
            "motives": ["pain"], "note": "", "uses": [USE]}
    body.update(kw)
    return body


def refused(client, body) -> dict:
    response = client.post(API, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert not DiaryEntry.objects.exists() and not UseEvent.objects.exists()
    assert not AuditEvent.objects.filter(event__startswith="diary.").exists()
    return response.json()["errors"]


@pytest.mark.parametrize("uses", ["notalist", None, 3, {"substance": "kratom_powder"}])
def test_uses_that_is_not_a_list_is_refused_not_stored_as_a_day_without_use(
        patient_client, uses):
    errors = refused(patient_client, payload(uses=uses))
    assert list(errors) == ["uses"]
    assert errors["uses"][0].startswith("uses: send a list of use objects")
    assert "substance, amount and unit" in errors["uses"][0]


def test_a_use_that_is_not_an_object_or_is_empty_is_refused_by_its_position(patient_client):
    errors = refused(patient_client, payload(uses=[USE, "3 g kratom", {}, [USE], USE]))
    assert set(errors) == {"uses[1]", "uses[2]", "uses[3]"}
    assert "uses[1] must be a use object with substance, amount and unit" in errors["uses[1]"][0]
    assert "'3 g kratom'" in errors["uses[1]"][0]
    assert "uses[2] is empty" in errors["uses[2]"][0]
    assert "uses[3] must be a use object" in errors["uses[3]"][0]


def test_a_day_without_use_is_still_accepted_as_an_empty_list_or_left_out(patient_client):
    for body in (payload(uses=[]), {k: v for k, v in payload().items() if k != "uses"}):
        response = patient_client.post(API, data=json.dumps(body),
                                       content_type="application/json")
        assert response.status_code == 201, response.content
    assert UseEvent.objects.count() == 0


# (use or entry fields sent, error key, words the message must contain)
BAD_FIELDS = [
    ({"uses": [{**USE, "substance": "xx"}]}, "uses[0].substance",
     ["substance must be one of", *SUBSTANCES, "not 'xx'"]),
    ({"uses": [{**USE, "unit": "kg"}]}, "uses[0].unit",
     ["unit must be one of", *UNITS, "not 'kg'"]),
    ({"uses": [{**USE, "amount": "lots"}]}, "uses[0].amount",
     ["amount must be a number more than 0 and at most 100 g", "not 'lots'"]),
    ({"uses": [{**USE, "amount": "2", "unit": "mg"}, {**USE, "amount": "x", "unit": "mL"}]},
     "uses[1].amount", ["amount must be a number more than 0 and at most 2000 mL"]),
    ({"uses": [{**USE, "amount": "lots", "unit": "??"}]}, "uses[0].amount",
     ["amount must be a number more than 0 and at most the maximum for its unit",
      "100 g", "100000 mg", "50 tablets", "40 standard_drinks"]),
    ({"uses": [{**USE, "amount": "250"}]}, "uses[0].amount",
     ["amount must be more than 0 and at most 100 g, not 250"]),
    ({"uses": [{**USE, "amount": "1.23456"}]}, "uses[0].amount",
     ["amount must be a number more than 0 and at most 100 g", "3 decimal places"]),
    ({"uses": [{"substance": "kratom_powder", "unit": "g"}]}, "uses[0].amount",
     ["amount must be a number more than 0 and at most 100 g"]),
    ({"uses": [{**USE, "time": "25:00"}]}, "uses[0].time", ["time must be", "HH:MM", "'25:00'"]),
    ({"uses": [{**USE, "unit": "capsules", "substance": "kratom_capsule",
                "grams_per_unit": "a lot"}]},
     "uses[0].grams_per_unit", ["grams_per_unit must be a number", "at most 2 g"]),
    ({"uses": [{**USE, "product_label": {"brand": "x"}}]}, "uses[0].product_label",
     ["product_label must be text"]),
    ({"motives": ["pain", "boredom"]}, "motives",
     ["motives must be a list of any of", *MOTIVES, "not 'boredom'"]),
    ({"motives": "pain"}, "motives", ["motives must be a list of any of", *MOTIVES]),
    ({"date": "yesterday"}, "date", ["date must be a day as YYYY-MM-DD from",
                                     "(enrolment) to today", "not 'yesterday'"]),
    ({"date": "2999-01-01"}, "date", ["date must be a day as YYYY-MM-DD", "not 2999-01-01"]),
    ({"date": None}, "date", ["date must be a day as YYYY-MM-DD"]),
    ({"uuid": "not-a-uuid"}, "uuid", ["uuid must be a UUID", "not 'not-a-uuid'"]),
    ({"mood": "great"}, "mood", ["mood must be a whole number from 0 (very low) to 10"]),
    ({"note": 5}, "note", ["note must be text"]),
    ({"uses": [USE] * 21}, "uses", ["uses must hold at most 20 use events"]),
]


@pytest.mark.parametrize(("sent", "field", "words"), BAD_FIELDS,
                         ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_FIELDS)])
def test_each_bad_field_is_named_with_the_allowed_values(patient_client, sent, field, words):
    errors = refused(patient_client, payload(**sent))
    assert field in errors, errors
    message = " ".join(errors[field])
    for word in words:
        assert word in message, (word, message)
    assert "Select a valid choice" not in message and "Enter a" not in message


def test_the_date_message_gives_the_window(patient_client):
    today = timezone.localdate()
    Patient.objects.update(enrolled_on=today - timedelta(days=800))
    message = refused(patient_client, payload(date="01.02.2026"))["date"][0]
    assert message.startswith("date must be a day as YYYY-MM-DD within the last year")
    assert f"from {today - timedelta(days=366)} to today ({today})" in message


# Diary days and use times are bounded by the patient's enrolment (lib/bounds.py), on the JSON
# endpoint (its plain fast path included) and on the web form (issue 16, item 7).

def test_a_day_before_enrolment_is_refused_naming_the_range(patient_client):
    today = timezone.localdate()
    enrolled = today - timedelta(days=10)
    Patient.objects.update(enrolled_on=enrolled)
    # A plainly shaped payload: the fast path used to take any day of the last year.
    errors = refused(patient_client, payload(date=(enrolled - timedelta(days=1)).isoformat()))
    assert errors == {"date": [f"date must be a day as YYYY-MM-DD from {enrolled} (enrolment) "
                               f"to today ({today}), not {enrolled - timedelta(days=1)}"]}


def test_the_enrolment_day_and_tomorrow_are_accepted(patient_client):
    today = timezone.localdate()
    Patient.objects.update(enrolled_on=today - timedelta(days=10))
    for day in (today - timedelta(days=10), today + timedelta(days=1)):
        response = patient_client.post(API, data=json.dumps(payload(date=day.isoformat())),
                                       content_type="application/json")
        assert response.status_code == 201, response.content
    assert DiaryEntry.objects.count() == 2


def test_a_use_time_more_than_a_day_ahead_is_refused_naming_the_range(patient_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    latest = timezone.localtime().replace(tzinfo=None, second=0, microsecond=0) \
        + timedelta(days=1)
    # One minute past the limit, on tomorrow's page: a day further than any time zone.
    late = latest + timedelta(minutes=1)
    if late.date() != tomorrow:  # just before midnight: the limit is already the day after
        pytest.skip("the limit falls on the day after tomorrow")
    clock = late.strftime("%H:%M")
    errors = refused(patient_client, payload(date=tomorrow.isoformat(),
                                             uses=[USE, {**USE, "time": clock}]))
    assert list(errors) == ["uses[1].time"]
    (message,) = errors["uses[1].time"]
    assert message.startswith(f"time: {tomorrow}T{clock}:00 is not allowed; allowed: from ")
    assert f"(enrolment) to {latest.date()}T" in message and "(now, plus a day" in message


def test_a_use_time_today_is_accepted(patient_client):
    body = payload(uses=[{**USE, "time": "00:00"}, {**USE, "time": "23:59"}])
    response = patient_client.post(API, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content


def test_the_web_form_refuses_a_day_before_enrolment_and_a_late_use_time(patient_client):
    today = timezone.localdate()
    enrolled = today - timedelta(days=3)
    Patient.objects.update(enrolled_on=enrolled)
    form = patient_client.get(reverse("diary:entry")).content.decode()
    assert f'min="{enrolled}"' in form and f'max="{today + timedelta(days=1)}"' in form
    data = {"uuid": str(uuid.uuid4()), "date": (today - timedelta(days=4)).isoformat(),
            "uses-TOTAL_FORMS": "1", "uses-INITIAL_FORMS": "0",
            "uses-0-substance": "kratom_powder", "uses-0-amount": "3", "uses-0-unit": "g"}
    response = patient_client.post(reverse("diary:submit"), data)
    assert response.status_code == 400
    assert (f"date must be a day as YYYY-MM-DD from {enrolled} (enrolment) to today ({today}), "
            f"not {today - timedelta(days=4)}") in response.content.decode()
    latest = timezone.localtime().replace(tzinfo=None) + timedelta(days=1)
    if latest.strftime("%H:%M") == "23:59":
        pytest.skip("no minute of tomorrow is past the limit")
    data.update({"date": (today + timedelta(days=1)).isoformat(), "uses-0-time": "23:59"})
    if latest.date() > today + timedelta(days=1):
        pytest.skip("the limit falls on the day after tomorrow")
    response = patient_client.post(reverse("diary:submit"), data)
    assert response.status_code == 400
    assert f"time: {today + timedelta(days=1)}T23:59:00 is not allowed" in \
        response.content.decode()
    assert not DiaryEntry.objects.exists()


def test_every_problem_is_reported_at_once(patient_client):
    body = payload(mood=11, motives=["nope"], uses=[
        {"substance": "xx", "amount": "-2", "unit": "g", "time": "noon"},
        {"substance": "kratom_powder", "amount": "abc", "unit": "g"},
        7,
    ])
    errors = refused(patient_client, body)
    assert list(errors) == ["mood", "motives", "uses[0].amount", "uses[0].substance",
                            "uses[0].time", "uses[1].amount", "uses[2]"]
    # The range is checked even though the same use event has another bad field.
    assert errors["uses[0].amount"] == ["amount must be more than 0 and at most 100 g, not -2"]


def test_the_amount_message_uses_the_configured_maximum(patient_client, settings):
    settings.MITRA_DIARY_MAX_AMOUNT = {"g": 60}
    errors = refused(patient_client, payload(uses=[{**USE, "amount": "many"}]))
    assert "at most 60 g" in errors["uses[0].amount"][0]
    errors = refused(patient_client, payload(uses=[{**USE, "amount": "70"}]))
    assert errors["uses[0].amount"] == ["amount must be more than 0 and at most 60 g, not 70"]


def test_a_body_that_is_not_an_object_names_what_to_send(patient_client):
    for body in ("[1]", "null", "{"):
        response = patient_client.post(API, data=body, content_type="application/json")
        assert response.status_code == 400
        assert "send a JSON object with uuid, date" in response.json()["errors"]["__all__"][0]
    assert parse_json_submission([USE])[0] is None


def test_the_web_form_shows_the_same_messages(patient_client):
    data = {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(),
            "motives": ["pain", "boredom"],
            "uses-TOTAL_FORMS": "3", "uses-INITIAL_FORMS": "0",
            "uses-0-substance": "kratom_pwdr", "uses-0-amount": "3", "uses-0-unit": "g",
            "uses-1-substance": "kratom_powder", "uses-1-amount": "three", "uses-1-unit": "g",
            "uses-2-substance": "alcohol", "uses-2-amount": "1", "uses-2-unit": "standard_drinks",
            "uses-2-time": "7pm"}
    response = patient_client.post(reverse("diary:submit"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "substance must be one of kratom_powder, kratom_capsule" in html
    assert "amount must be a number more than 0 and at most 100 g, not &#x27;three&#x27;" in html
    assert "time must be a time of day as HH:MM" in html
    assert "motives must be a list of any of pain, energy" in html
    assert "Select a valid choice" not in html and "Enter a number" not in html
    assert "Enter a valid time" not in html
    assert not DiaryEntry.objects.exists()
