import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.measures import actions
from mitra.measures.actions import (
    ResponseConflict,
    do_assign_schedule,
    do_stop_schedule,
    do_submit_response,
)
from mitra.measures.library import get_instrument
from mitra.measures.models import Response, Schedule
from mitra.measures.recurrence import RuleError
from mitra.measures.schedules import OVERDUE_AFTER_DAYS, due_for_patient, overdue
from mitra.measures.scoring import AnswerError
from mitra.safety.models import Alert
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db


def phq9(*values, q10=None):
    answers = {f"phq9.q{n}": v for n, v in enumerate(values, start=1)}
    answers["phq9.q10"] = q10
    return answers


@pytest.fixture
def cast():
    return make_cast()


def submit(cast, answers, rid=None, instrument="phq9", **kw):
    return do_submit_response(cast.patient, instrument=instrument, answers=answers,
                              response_uuid=rid or uuid.uuid4(), acting=cast.patient_user, **kw)


def test_it_stores_the_scored_response_and_audits_it(cast):
    response, created = submit(cast, phq9(2, 2, 2, 2, 1, 1, 2, 0, 0, q10=1))
    assert created
    response.refresh_from_db()
    assert (response.total, response.severity, response.complete) == (12, "Moderate", True)
    assert response.instrument_version == get_instrument("phq9").version  # as stored with it
    assert response.answers["phq9.q10"] == 1  # kept, never added to the total
    assert AuditEvent.objects.filter(event="measures.response.submitted",
                                     object_uuid=response.uuid).exists()


def test_the_same_uuid_and_answers_return_the_stored_response(cast):
    rid = uuid.uuid4()
    first, created = submit(cast, phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), rid)
    again, created_again = submit(cast, phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), rid)
    assert created and not created_again and again.pk == first.pk
    assert Response.objects.count() == 1


def test_a_reused_uuid_with_other_answers_is_refused(cast):
    rid = uuid.uuid4()
    submit(cast, phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), rid)
    with pytest.raises(ResponseConflict):
        submit(cast, phq9(3, 1, 1, 1, 1, 1, 1, 1, 0), rid)
    with pytest.raises(ResponseConflict):  # nor for another patient
        do_submit_response(cast.other_patient, instrument="phq9",
                           answers=phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), response_uuid=rid,
                           acting=cast.other_patient_user)
    assert Response.objects.get().total == 8


def test_bad_answers_write_nothing(cast):
    with pytest.raises(AnswerError, match=r"item 9 \(phq9\.q9\): 4 is not allowed"):
        submit(cast, phq9(1, 1, 1, 1, 1, 1, 1, 1, 4))
    with pytest.raises(AnswerError, match="phq9.q11: not an item"):
        submit(cast, {**phq9(0, 0, 0, 0, 0, 0, 0, 0, 0), "phq9.q11": 1})
    assert not Response.objects.exists() and not AuditEvent.objects.filter(
        event__startswith="measures.").exists()


def test_item9_raises_an_urgent_suicide_alert_once(cast):
    rid = uuid.uuid4()
    response, _ = submit(cast, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1), rid)
    submit(cast, phq9(0, 0, 0, 0, 0, 0, 0, 0, 1), rid)  # a resubmission: no second alert
    alert = Alert.objects.get(patient=cast.patient)
    assert alert.kind == Alert.Kind.SUICIDE_RISK and alert.priority == Alert.Priority.URGENT
    assert alert.source_uuid == response.uuid and "suicid" in alert.reason.lower()


def test_the_alert_and_the_response_share_one_transaction(cast, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("alert store down")

    monkeypatch.setattr(actions, "do_raise_alert", broken)
    with pytest.raises(RuntimeError):
        submit(cast, phq9(0, 0, 0, 0, 0, 0, 0, 0, 2))
    # No response without its alert: the care team never misses an item-9 answer.
    assert not Response.objects.exists()


def test_a_missing_item9_needs_review_but_is_not_urgent(cast):
    submit(cast, phq9(2, 2, 2, 2, 1, 1, 2, 0, None))
    alert = Alert.objects.get(patient=cast.patient)
    assert alert.priority == Alert.Priority.HIGH and "not assessed" in alert.reason


def test_reliable_deterioration_alerts_when_it_first_crosses(cast):
    now = timezone.now()
    cast.patient.enrolled_on = timezone.localdate() - timedelta(days=60)
    cast.patient.save(update_fields=["enrolled_on"])
    totals = [(4, 0), (10, 0), (11, 0)]  # baseline 4, then +6 (reliable), then still up
    for n, (total, _) in enumerate(totals):
        values = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]
        submit(cast, phq9(*values), submitted_at=now - timedelta(days=30 - n))
    alerts = Alert.objects.filter(patient=cast.patient, kind=Alert.Kind.DETERIORATION)
    assert alerts.count() == 1
    assert "baseline of 4 to 10" in alerts.get().reason


def test_schedules_assign_stop_and_due(cast):
    today = date(2026, 3, 1)
    schedule = do_assign_schedule(cast.patient, instrument="gad7", every_days=14,
                                  start=today - timedelta(days=14), acting=cast.clinician)
    due = due_for_patient(cast.patient, today)
    assert [(d.schedule.pk, d.due_on, d.days_late) for d in due] == [(schedule.pk, today, 0)]
    do_stop_schedule(schedule, acting=cast.clinician)
    schedule.refresh_from_db()
    assert not schedule.active and schedule.stopped_by == cast.clinician
    assert due_for_patient(cast.patient, today) == []
    assert AuditEvent.objects.filter(event="measures.schedule.stopped").count() == 1
    with pytest.raises(ValueError, match="every_days: 0 is not allowed"):
        do_assign_schedule(cast.patient, instrument="gad7", every_days=0, start=today,
                           acting=cast.clinician)
    with pytest.raises(RuleError, match="instrument: unknown instrument 'nosuch'"):
        do_assign_schedule(cast.patient, instrument="nosuch", every_days=None, start=today,
                           acting=cast.clinician)


def test_a_response_on_or_after_the_due_day_completes_it(cast):
    start = timezone.localdate() - timedelta(days=20)
    Schedule.objects.create(patient=cast.patient, instrument="phq9", every_days=14, start=start)
    # Due on start+14 (6 days ago): overdue after OVERDUE_AFTER_DAYS.
    today = timezone.localdate()
    [item] = overdue(today)
    assert item.due_on == start + timedelta(days=14) and item.days_late == 6 > OVERDUE_AFTER_DAYS
    submit(cast, phq9(0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert overdue(today) == [] and due_for_patient(cast.patient, today) == []


def test_a_once_schedule_in_the_future_is_not_due_and_clinician_rated_is_not_offered(cast):
    today = timezone.localdate()
    Schedule.objects.create(patient=cast.patient, instrument="auditc", start=today + timedelta(1))
    Schedule.objects.create(patient=cast.patient, instrument="cows", start=today)
    assert due_for_patient(cast.patient, today, self_report_only=True) == []
    assert [d.schedule.instrument for d in due_for_patient(cast.patient, today)] == ["cows"]


def test_overdue_is_limited_to_the_patients_given(cast):
    old = timezone.localdate() - timedelta(days=10)
    Schedule.objects.create(patient=cast.other_patient, instrument="phq9", start=old)
    from mitra.patients.access import patients_for_user

    assert overdue(timezone.localdate(), patients_for_user(cast.clinician)) == []
    assert len(overdue(timezone.localdate(), patients_for_user(cast.other_clinician))) == 1


def test_a_reading_must_fit_its_item_and_agree_with_the_answer(cast):
    answers = {f"cows.q{n}": v for n, v in enumerate([1, 2, 1, 1, 2, 1, 2, 1, 1, 2, 3], 1)}
    kw = dict(instrument="cows", answers=answers, acting=cast.clinician)
    with pytest.raises(AnswerError, match=r"cows.q1\): a resting pulse of 130 beats/minute "
                                          r"scores 4, not 1"):
        do_submit_response(cast.patient, response_uuid=uuid.uuid4(),
                           readings={"cows.q1": 130}, **kw)
    with pytest.raises(AnswerError, match=r"readings: cows.q2 takes no measured reading; "
                                          r"allowed: cows.q1"):
        do_submit_response(cast.patient, response_uuid=uuid.uuid4(),
                           readings={"cows.q2": 3}, **kw)
    with pytest.raises(AnswerError, match=r"from 20 to 250 \(beats/minute\)"):
        do_submit_response(cast.patient, response_uuid=uuid.uuid4(),
                           readings={"cows.q1": 900}, **kw)
    assert not Response.objects.exists()
    rid = uuid.uuid4()
    stored, created = do_submit_response(cast.patient, response_uuid=rid,
                                         readings={"cows.q1": 92}, **kw)
    assert created and stored.readings == {"cows.q1": 92}
    # The same UUID with another reading is not a repeat.
    with pytest.raises(ResponseConflict):
        do_submit_response(cast.patient, response_uuid=rid, readings={"cows.q1": 95}, **kw)
