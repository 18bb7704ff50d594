import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.cbt.models import Homework, ThoughtRecord
from mitra.cbt.tests import factories
from mitra.testing import MARKER, login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def payload(**overrides):
    data = {
        "uuid": str(uuid.uuid4()), "occurred_on": timezone.localdate().isoformat(),
        "situation": "Friend cancelled", "automatic_thoughts": "Nobody likes me",
        "emotion_1": "sad", "before_1": "80", "after_1": "40",
        "emotion_2": "lonely", "before_2": "60", "after_2": "50",
        "distortions": ["overgeneralising", "mind_reading"],
        "evidence_for": "She cancelled", "evidence_against": "She suggested Sunday",
        "balanced_thought": "She is busy, not avoiding me",
    }
    data.update(overrides)
    return data


def test_the_patient_records_a_thought_and_sees_it(cast):
    client = login(Client(), cast.patient_user)
    assert client.get(reverse("cbt:thought_new")).status_code == 200
    response = client.post(reverse("cbt:thought_create"), payload())
    record = ThoughtRecord.objects.get(patient=cast.patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("cbt:thought", args=[record.uuid])
    assert record.emotions == [{"emotion": "sad", "before": 80, "after": 40},
                               {"emotion": "lonely", "before": 60, "after": 50}]
    assert record.distortions == ["mind_reading", "overgeneralising"]
    assert record.intensity_drop() == 25
    assert record.created_by == cast.patient_user
    page = client.get(response["Location"]).content.decode()
    assert "She is busy, not avoiding me" in page and "Mind reading" in page
    assert AuditEvent.objects.filter(event="cbt.thought_record.created",
                                     object_uuid=record.uuid).count() == 1


def test_a_resubmission_returns_the_stored_record(cast):
    client = login(Client(), cast.patient_user)
    data = payload()
    first = client.post(reverse("cbt:thought_create"), data)
    second = client.post(reverse("cbt:thought_create"), data)
    assert first["Location"] == second["Location"]
    assert ThoughtRecord.objects.count() == 1


def test_a_reused_uuid_with_other_content_is_refused(cast):
    client = login(Client(), cast.patient_user)
    data = payload()
    client.post(reverse("cbt:thought_create"), data)
    response = client.post(reverse("cbt:thought_create"), {**data, "before_1": "90"})
    assert response.status_code == 409
    assert ThoughtRecord.objects.get().emotions[0]["before"] == 80


def test_another_patient_cannot_reuse_a_uuid(cast):
    data = payload()
    login(Client(), cast.patient_user).post(reverse("cbt:thought_create"), data)
    response = login(Client(), cast.other_patient_user).post(reverse("cbt:thought_create"), data)
    assert response.status_code == 409
    assert ThoughtRecord.objects.filter(patient=cast.other_patient).count() == 0


@pytest.mark.parametrize("field,value,message", [
    ("before_1", "120", "Emotion 1 intensity: enter a whole number from 0 to 100."),
    ("after_2", "-1", "Emotion 2 re-rated: enter a whole number from 0 to 100."),
    ("before_1", "", "Emotion 1 intensity is required: enter a whole number from 0 to 100."),
    ("situation", "", "Situation is required."),
    ("emotion_1", "", "Emotion 1 is required."),
    ("distortions", ["nonsense"], "Thinking traps: nonsense is not in the list."),
    ("occurred_on", "2020-13-01", "Date it happened: enter a date as YYYY-MM-DD."),
])
def test_validation_names_the_field_and_keeps_the_answers(cast, field, value, message):
    client = login(Client(), cast.patient_user)
    response = client.post(reverse("cbt:thought_create"), payload(**{field: value}))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "She suggested Sunday" in page  # the user's answers are kept
    if field != "distortions":
        assert 'value="mind_reading" checked' in page
    assert ThoughtRecord.objects.count() == 0


def test_a_future_date_is_refused_with_the_allowed_range(cast):
    # Tomorrow is allowed (lib/bounds.py: a phone east of the server is already there).
    client = login(Client(), cast.patient_user)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(reverse("cbt:thought_create"),
                           payload(occurred_on=(tomorrow + timedelta(days=1)).isoformat()))
    assert response.status_code == 400
    assert f"and {tomorrow:%Y-%m-%d}." in response.content.decode()
    response = client.post(reverse("cbt:thought_create"),
                           payload(occurred_on=tomorrow.isoformat()))
    assert response.status_code == 302
    assert ThoughtRecord.objects.get().occurred_on == tomorrow


def test_a_day_before_enrolment_is_refused_naming_the_range(cast):
    today = timezone.localdate()
    enrolled = today - timedelta(days=20)
    cast.patient.enrolled_on = enrolled
    cast.patient.save(update_fields=["enrolled_on"])
    client = login(Client(), cast.patient_user)
    form = client.get(reverse("cbt:thought_new")).content.decode()
    assert "Date it happened" in form
    response = client.post(reverse("cbt:thought_create"),
                           payload(occurred_on=(enrolled - timedelta(days=1)).isoformat()))
    assert response.status_code == 400
    assert (f"Date it happened must be between {enrolled:%Y-%m-%d} (enrolment) and "
            f"{today + timedelta(days=1):%Y-%m-%d}.") in response.content.decode()
    assert ThoughtRecord.objects.count() == 0
    response = client.post(reverse("cbt:thought_create"),
                           payload(occurred_on=enrolled.isoformat()))
    assert response.status_code == 302


def test_a_rating_without_an_emotion_name_is_refused(cast):
    client = login(Client(), cast.patient_user)
    response = client.post(reverse("cbt:thought_create"),
                           payload(emotion_3="", before_3="50"))
    assert "Emotion 3: name the emotion you rated." in response.content.decode()


def test_wrong_methods_are_405(cast):
    client = login(Client(), cast.patient_user)
    assert client.get(reverse("cbt:thought_create")).status_code == 405
    assert client.post(reverse("cbt:thought_new")).status_code == 405
    record = factories.thought(cast.patient)
    assert client.post(reverse("cbt:thought", args=[record.uuid])).status_code == 405


def test_another_patients_record_is_404(cast):
    record = factories.thought(cast.other_patient)
    client = login(Client(), cast.patient_user)
    response = client.get(reverse("cbt:thought", args=[record.uuid]))
    assert response.status_code == 404
    assert MARKER not in response.content.decode()


def test_history_shows_the_average_drop_with_n(cast):
    for i in range(5):
        factories.thought(cast.patient, on=timezone.localdate() - timedelta(days=i),
                          before=80, after=80 - 10 * (i + 1))
    page = login(Client(), cast.patient_user).get(reverse("cbt:thoughts")).content.decode()
    assert "fell by 30 points on average" in page
    assert "n = 5" in page
    assert "<svg" in page


def test_submitting_from_homework_completes_it(cast):
    homework = factories.homework(cast.patient, cast.clinician)
    client = login(Client(), cast.patient_user)
    form_page = client.get(reverse("cbt:thought_new") + f"?homework={homework.uuid}")
    assert str(homework.uuid) in form_page.content.decode()
    client.post(reverse("cbt:thought_create"), payload(homework=str(homework.uuid)))
    homework.refresh_from_db()
    assert homework.completed_at is not None


def test_homework_of_another_patient_is_not_completed(cast):
    homework = factories.homework(cast.other_patient, cast.other_clinician)
    client = login(Client(), cast.patient_user)
    client.post(reverse("cbt:thought_create"), payload(homework=str(homework.uuid)))
    assert Homework.objects.get(pk=homework.pk).completed_at is None
