import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.diary.tests.factories import make_entry
from mitra.safety.models import Alert
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db
API = "/diary/api/entries/"


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def patient_client(cast):
    return login(Client(enforce_csrf_checks=False), cast.patient_user)


def payload(**kw):
    body = {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(),
            "mood": 6, "anxiety": 4, "craving": 3, "sleep_quality": 7, "withdrawal": 2,
            "motives": ["pain", "energy"], "note": "",
            "uses": [{"substance": "kratom_powder", "amount": "3", "unit": "g", "time": "08:15"}]}
    body.update(kw)
    return body


def post(client, body):
    return client.post(API, data=json.dumps(body), content_type="application/json")


def test_a_new_submission_is_stored_with_its_use_events_and_audit(cast, patient_client):
    body = payload()
    response = post(patient_client, body)
    assert response.status_code == 201, response.content
    entry = DiaryEntry.objects.get(uuid=body["uuid"])
    assert (entry.patient, entry.mood, entry.version) == (cast.patient, 6, 1)
    use = entry.uses.get()
    assert (use.substance, use.grams, use.time.hour) == ("kratom_powder", 3, 8)
    assert AuditEvent.objects.filter(event="diary.entry.created", object_uuid=entry.uuid).exists()


def test_sending_the_same_uuid_and_payload_again_returns_the_stored_record(patient_client):
    body = payload()
    first = post(patient_client, body)
    again = post(patient_client, {**body, "uses": [{**body["uses"][0], "amount": "3.000"}]})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["uuid"] == body["uuid"] and again.json()["created"] is False
    assert DiaryEntry.objects.count() == 1 and UseEvent.objects.count() == 1


def test_a_reused_uuid_with_a_different_payload_is_refused(patient_client):
    body = payload()
    post(patient_client, body)
    response = post(patient_client, {**body, "mood": 1})
    assert response.status_code == 409
    assert "already used" in response.json()["errors"]["uuid"][0]
    assert DiaryEntry.objects.get().mood == 6


def test_another_patients_uuid_is_refused_without_showing_their_entry(cast, patient_client):
    other = make_entry(cast.other_patient)
    response = post(patient_client, payload(uuid=str(other.uuid)))
    assert response.status_code == 409
    assert DiaryEntry.objects.filter(patient=cast.patient).count() == 0


def test_bad_input_names_the_field_and_allowed_range_and_writes_nothing(patient_client):
    body = payload(mood=11, uses=[{"substance": "kratom_powder", "amount": "-2", "unit": "g"},
                                  {"substance": "kratom", "amount": "1", "unit": "g"}])
    response = post(patient_client, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "0 (very low) to 10 (very good)" in errors["mood"][0]
    assert "more than 0 and at most 100 g" in errors["uses[0].amount"][0]
    assert "uses[1].substance" in errors
    assert DiaryEntry.objects.count() == 0 and UseEvent.objects.count() == 0


def test_a_body_that_is_not_a_json_object_is_a_400(patient_client):
    response = patient_client.post(API, data="[1]", content_type="application/json")
    assert response.status_code == 400


def test_a_second_submission_for_a_day_is_a_new_version_and_keeps_the_first(patient_client):
    first, second = payload(), payload(mood=2, uses=[])
    post(patient_client, first)
    response = post(patient_client, second)
    assert response.status_code == 201 and response.json()["version"] == 2
    v1, v2 = DiaryEntry.objects.order_by("version")
    assert (v1.is_current, v1.mood, v1.uses.count()) == (False, 6, 1)
    assert (v2.is_current, v2.mood, v2.uses.count()) == (True, 2, 0)
    assert UseEvent.objects.filter(is_current=True).count() == 0


def test_the_plain_form_post_saves_without_javascript(cast, patient_client):
    day = timezone.localdate().isoformat()
    data = {"uuid": str(uuid.uuid4()), "date": day, "mood": "5", "motives": ["sleep"],
            "uses-TOTAL_FORMS": "3", "uses-INITIAL_FORMS": "0",
            "uses-0-substance": "kratom_capsule", "uses-0-amount": "4",
            "uses-0-unit": "capsules", "uses-0-grams_per_unit": "0.5"}
    response = patient_client.post(reverse("diary:submit"), data)
    assert response.status_code == 302
    use = UseEvent.objects.get(patient=cast.patient)
    assert use.grams == 2
    page = patient_client.get(response["Location"])
    assert "is saved" in page.content.decode()


def test_the_form_keeps_the_answers_when_it_shows_an_error(patient_client):
    data = {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(),
            "mood": "5", "note": "rough morning",
            "uses-TOTAL_FORMS": "3", "uses-INITIAL_FORMS": "0",
            "uses-0-substance": "kratom_powder", "uses-0-amount": "500", "uses-0-unit": "g"}
    response = patient_client.post(reverse("diary:submit"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "at most 100 g" in html
    assert 'value="500"' in html and "rough morning" in html
    assert 'value="5" checked' in html
    assert DiaryEntry.objects.count() == 0


def test_co_use_and_first_7oh_raise_alerts_in_the_same_submission(cast, patient_client):
    body = payload(uses=[{"substance": "7oh_product", "amount": "1", "unit": "tablets"},
                         {"substance": "alcohol", "amount": "3", "unit": "standard_drinks"}])
    assert post(patient_client, body).status_code == 201
    kinds = set(Alert.objects.filter(patient=cast.patient).values_list("kind", flat=True))
    # ... and the screening the alcohol triggers (7-OH with alcohol is a major interaction).
    assert kinds == {Alert.Kind.CO_USE, Alert.Kind.CONCENTRATED_7OH, Alert.Kind.INTERACTION}
    # A repeat (or an edit of the same day) raises nothing new.
    post(patient_client, body)
    post(patient_client, {**body, "uuid": str(uuid.uuid4()), "mood": 1})
    assert Alert.objects.filter(patient=cast.patient).count() == 3


def test_a_second_7oh_day_is_not_a_first_use(cast):
    yesterday = timezone.localdate() - timedelta(days=1)
    make_entry(cast.patient, yesterday, uses=(("7oh_product", "1", "tablets"),))
    make_entry(cast.patient, uses=(("7oh_product", "1", "tablets"),))
    alerts = Alert.objects.filter(patient=cast.patient, kind=Alert.Kind.CONCENTRATED_7OH)
    assert [a.reason[-10:] for a in alerts] == [yesterday.isoformat()]


def test_escalating_use_raises_one_escalation_alert(cast):
    today = timezone.localdate()
    for n in range(34, -1, -1):
        grams = "4" if n >= 7 else "6"
        make_entry(cast.patient, today - timedelta(days=n), uses=(("kratom_powder", grams, "g"),))
    alerts = list(Alert.objects.filter(patient=cast.patient, kind=Alert.Kind.ESCALATION))
    assert len(alerts) == 1
    # The fourth 6 g day lifts the 7-day mean to (4*6+3*4)/7 = 5.143 g, 28.6% above 4 g.
    assert "5.143 is 28.6% above the previous 28-day mean (4.000)" in alerts[0].reason
    assert alerts[0].reason.endswith((today - timedelta(days=3)).isoformat())
    assert alerts[0].evidence_url.startswith(
        reverse("diary:patient_diary", kwargs={"patient_uuid": cast.patient.uuid}))


def test_clinicians_cannot_submit_a_patients_diary(cast):
    client = login(Client(), cast.clinician)
    assert post(client, payload()).status_code == 404


def test_the_home_card_and_form_show_the_diary(patient_client):
    home = patient_client.get(reverse("core:me")).content.decode()
    assert "Today&#x27;s diary" in home or "Today's diary" in home
    form = patient_client.get(reverse("diary:entry")).content.decode()
    assert "diary-form.js" in form and "<script>" not in form


def test_one_submission_takes_a_fixed_number_of_statements(cast, patient_client):
    """The diary submission's cost, pinned: a new day with two uses and an edit of it, each
    through the whole request (session, user, submission, audit, flags). A change here is
    measured with bench/rowsql_uses.py and bench/diary_submissions.py first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cast.patient.enrolled_on = timezone.localdate() - timedelta(days=30)
    cast.patient.save(update_fields=["enrolled_on"])
    post(patient_client, payload(date=(timezone.localdate() - timedelta(days=9)).isoformat()))
    two_uses = [{"substance": "kratom_powder", "amount": "3", "unit": "g", "time": "08:15"},
                {"substance": "kava", "amount": "250", "unit": "mL"}]
    with CaptureQueriesContext(connection) as new_day:
        assert post(patient_client, payload(uses=two_uses)).status_code == 201
    with CaptureQueriesContext(connection) as edit:
        assert post(patient_client, payload(uses=two_uses[:1], mood=2)).status_code == 201
    statements = [q["sql"].split()[0] for q in new_day.captured_queries]
    # PostgreSQL locks the patient's row first (one submission per patient at a time).
    expected = NEW_DAY_STATEMENTS + (1 if connection.features.has_select_for_update else 0)
    assert len(new_day) == expected, "\n".join(q["sql"] for q in new_day)
    assert len(edit) == expected + 2, "\n".join(q["sql"] for q in edit)
    # Two uses, one INSERT: the use events go in as one statement.
    assert sum(1 for q in new_day.captured_queries
               if q["sql"].startswith('INSERT INTO "diary_useevent"')) == 1, statements
    assert DiaryEntry.objects.filter(patient=cast.patient, is_current=True).count() == 2


NEW_DAY_STATEMENTS = 12  # session, user + patient, savepoint, day look-up, entry, uses, audit
#   (the chain head locked and moved on, the event), 42 days for the flags, missed-diary check,
#   release
