"""Homework is done by doing it: an exercise of an assignment's kind, made anywhere (the CBT menu,
the homework's Start link, the API), completes the oldest open assignment of that kind and is
linked to it (issue 18, item 10)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, token_for
from mitra.audit.models import AuditEvent
from mitra.cbt import actions
from mitra.cbt.models import Homework
from mitra.cbt.tests import factories
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db

DONE_EVENT = "cbt.homework.completed_by_exercise"


@pytest.fixture
def cast():
    return make_cast()


def _assign(cast, kind="thought_record", *, days=7, patient=None):
    return factories.homework(patient or cast.patient, cast.clinician, kind=kind,
                              due=timezone.localdate() + timedelta(days=days))


def _state(*homework):
    """(open?, linked record) of each assignment, fresh from the database."""
    rows = {hw.pk: hw for hw in Homework.objects.filter(pk__in=[h.pk for h in homework])}
    return [(rows[h.pk].completed_at is None, rows[h.pk].completed_with) for h in homework]


def test_a_thought_record_from_anywhere_completes_the_oldest_open_assignment(cast):
    first = _assign(cast, days=3)
    second = _assign(cast, days=1)  # due sooner, but assigned later
    exposure = _assign(cast, kind="exposure")
    record = factories.thought(cast.patient)
    assert _state(first, second, exposure) == [(False, record.uuid), (True, None), (True, None)]
    first.refresh_from_db()
    assert first.completed_at is not None and first.completion_note == ""
    assert actions.homework_done_with(record) == first
    event = AuditEvent.objects.get(event=DONE_EVENT)
    assert event.object_uuid == first.uuid and event.detail == "thought_record"
    assert event.patient_id == cast.patient.pk
    # The next record completes the next assignment; a third finds none and changes nothing.
    again = factories.thought(cast.patient)
    assert _state(first, second) == [(False, record.uuid), (False, again.uuid)]
    third = factories.thought(cast.patient)
    assert actions.homework_done_with(third) is None
    assert AuditEvent.objects.filter(event=DONE_EVENT).count() == 2


def test_started_from_an_assignment_the_record_completes_that_one(cast):
    oldest = _assign(cast)
    chosen = _assign(cast)
    record, created = actions.do_record_thought(
        cast.patient, acting=cast.patient_user, uuid=uuid.uuid4(), homework=chosen,
        data={"occurred_on": timezone.localdate(), "situation": "s", "automatic_thoughts": "t",
              "emotions": [{"emotion": "sad", "before": 70, "after": None}], "distortions": [],
              "evidence_for": "", "evidence_against": "", "balanced_thought": ""})
    assert created
    assert _state(oldest, chosen) == [(True, None), (False, record.uuid)]


def test_an_assignment_already_done_or_someone_elses_is_never_taken(cast):
    done = _assign(cast)
    actions.do_complete_homework(done, acting=cast.patient_user, note="did it on paper")
    theirs = _assign(cast, patient=cast.other_patient)
    open_one = _assign(cast)
    data = {"occurred_on": timezone.localdate(), "situation": "s", "automatic_thoughts": "t",
            "emotions": [{"emotion": "sad", "before": 70, "after": None}], "distortions": [],
            "evidence_for": "", "evidence_against": "", "balanced_thought": ""}
    # The Start link of another patient's assignment (or of a done one) falls back to the
    # patient's own oldest open assignment.
    record, _ = actions.do_record_thought(cast.patient, acting=cast.patient_user,
                                          uuid=uuid.uuid4(), data=data, homework=theirs)
    assert _state(done, theirs, open_one) == [(False, None), (True, None), (False, record.uuid)]
    done.refresh_from_db()
    assert done.completion_note == "did it on paper"


def test_a_repeated_submission_completes_nothing_more(cast):
    first, second = _assign(cast), _assign(cast)
    key = uuid.uuid4()
    data = {"occurred_on": timezone.localdate(), "situation": "s", "automatic_thoughts": "t",
            "emotions": [{"emotion": "sad", "before": 70, "after": None}], "distortions": [],
            "evidence_for": "", "evidence_against": "", "balanced_thought": ""}
    record, created = actions.do_record_thought(cast.patient, acting=cast.patient_user,
                                                uuid=key, data=data)
    again, created_again = actions.do_record_thought(cast.patient, acting=cast.patient_user,
                                                     uuid=key, data=data)
    assert created and not created_again and again == record
    assert _state(first, second) == [(False, record.uuid), (True, None)]


def test_each_exercise_completes_its_own_kind(cast):
    activation, exposure = _assign(cast, "activation"), _assign(cast, "exposure")
    plan, module = _assign(cast, "relapse_plan"), factories.homework(
        cast.patient, cast.clinician, kind="module", module_slug="cravings")
    thought = _assign(cast, "thought_record")

    slot = factories.slot(cast.patient)
    assert _state(activation) == [(True, None)]  # scheduling it is not doing it
    actions.do_complete_activity(slot, acting=cast.patient_user,
                                 ratings={"mastery": 5, "pleasure": 6})
    item = factories.exposure_item(cast.patient)
    log, _ = actions.do_log_exposure(
        item, acting=cast.patient_user, uuid=uuid.uuid4(),
        data={"done_on": timezone.localdate(), "suds_before": 60, "suds_peak": 70,
              "suds_after": 30, "minutes": 20, "note": ""})
    version, _ = actions.do_save_relapse_plan(
        cast.patient, acting=cast.patient_user, uuid=uuid.uuid4(),
        sections={"triggers": ["payday"], "coping_strategies": ["walk"]})
    assert _state(activation, exposure, plan, module, thought) == [
        (False, slot.uuid), (False, log.uuid), (False, version.uuid), (True, None), (True, None)]
    # Saving the same plan again is no new version: a second plan assignment stays open.
    later = _assign(cast, "relapse_plan")
    same, created = actions.do_save_relapse_plan(
        cast.patient, acting=cast.patient_user, uuid=uuid.uuid4(),
        sections={"triggers": ["payday"], "coping_strategies": ["walk"]})
    assert not created and same == version
    assert _state(later) == [(True, None)]


def test_the_cbt_menu_thought_record_page_says_the_homework_is_done(cast):
    homework = _assign(cast)
    client = login(Client(), cast.patient_user)
    data = {"uuid": str(uuid.uuid4()), "occurred_on": timezone.localdate().isoformat(),
            "situation": "After work", "automatic_thoughts": "I can't cope",
            "emotion_1": "anxious", "before_1": "80", "after_1": "40"}
    page = client.post(reverse("cbt:thought_create"), data, follow=True)
    assert page.status_code == 200, page.content.decode()
    html = page.content.decode()
    assert "Thought record saved. Your homework (Thought record) is marked as done." in html
    homework.refresh_from_db()
    assert homework.completed_with is not None and homework.completed_at is not None
    listing = client.get(reverse("cbt:homework")).content.decode()
    assert "No homework due." in listing and "by doing the exercise" in listing
    clinician = login(Client(), cast.clinician).get(reverse("cbt:patient",
                                                            args=[cast.patient.uuid]))
    assert "by doing the exercise" in clinician.content.decode()


def test_a_thought_record_sent_through_the_api_completes_it_too(cast):
    homework = _assign(cast)
    body = {"uuid": str(uuid.uuid4()), "occurred_on": timezone.localdate().isoformat(),
            "situation": "After work", "automatic_thoughts": "I can't cope",
            "emotions": [{"emotion": "anxious", "before": 80, "after": 40}]}
    answer = TokenClient(token_for(cast.patient_user)).post(
        f"/api/patients/{cast.patient.uuid}/thought-records", body)
    assert answer.status_code == 201, answer.content
    assert _state(homework) == [(False, uuid.UUID(body["uuid"]))]
    # The API's homework list names the record that completed it.
    listed = TokenClient(token_for(cast.patient_user)).get(
        f"/api/patients/{cast.patient.uuid}/homework").json()
    (row,) = [h for h in listed["items"] if h["uuid"] == str(homework.uuid)]
    assert row["completed_with"] == body["uuid"] and row["completed_at"] is not None
