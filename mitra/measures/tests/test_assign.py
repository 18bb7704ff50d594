"""Assigning schedules with their timing: questionnaires and the diary, cadences, anchors
(enrolment, the taper plan's start through `lib.dated_events`), errors that name the field and
write nothing, idempotency over every field, and the planner's first look (`next_fire_at`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.diary.tests.factories import make_plan
from mitra.measures.actions import (
    RuleError,
    ScheduleConflict,
    do_assign_schedule,
    do_assign_schedule_once,
    do_stop_schedule,
)
from mitra.measures.models import Schedule
from mitra.patients.models import Patient
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def assign(cast, **fields) -> Schedule:
    fields.setdefault("instrument", "phq9")
    if fields.get("anchor", "date") == "date":
        fields.setdefault("start", timezone.localdate())
    return do_assign_schedule(cast.patient, acting=cast.clinician, **fields)


def test_a_diary_schedule_has_no_instrument(cast):
    diary = assign(cast, form="diary", instrument="", every_days=1, time_of_day=time(20),
                   window_minutes=720)
    assert (diary.form, diary.instrument, diary.cadence, diary.label) == (
        "diary", "", "interval", "Diary")
    assert diary.cadence_label == "daily at 20:00" and diary.window_label == "12 hours"
    event = AuditEvent.objects.get(event="measures.schedule.assigned")
    assert event.detail == "diary daily at 20:00"
    with pytest.raises(RuleError) as caught:
        assign(cast, form="diary", instrument="phq9", every_days=1)
    assert caught.value.field == "instrument" and "leave it empty" in caught.value.message


def test_the_cadence_follows_from_the_fields_given(cast):
    weekly = assign(cast, weekdays="531")
    listed = assign(cast, instrument="gad7", weekdays=[7, 2])
    every = assign(cast, instrument="sows", every_days=3)
    once = assign(cast, instrument="auditc")
    assert (weekly.cadence, weekly.weekdays, weekly.cadence_label) == (
        "weekdays", "135", "Mon, Wed, Fri at 09:00")
    assert (listed.cadence, listed.weekdays) == ("weekdays", "27")
    assert (every.cadence, every.every_days) == ("interval", 3)
    assert (once.cadence, once.every_days, once.weekdays) == ("once", None, "")


def test_anchors_give_the_first_day(cast):
    Patient.objects.filter(pk=cast.patient.pk).update(
        enrolled_on=timezone.localdate() - timedelta(days=30))
    cast.patient.refresh_from_db()
    after_enrolment = assign(cast, anchor="enrolment", offset_days=7, every_days=14)
    assert after_enrolment.start == cast.patient.enrolled_on + timedelta(days=7)
    assert (after_enrolment.anchor, after_enrolment.offset_days) == ("enrolment", 7)
    # No taper plan yet: the error says so and names the anchor.
    with pytest.raises(RuleError) as caught:
        assign(cast, instrument="sows", anchor="taper_start", weekdays="14")
    assert caught.value.field == "anchor" and "no start of the taper plan" in caught.value.message
    plan = make_plan(cast.patient, by=cast.clinician)
    taper = assign(cast, instrument="sows", anchor="taper_start", offset_days=-2, weekdays="14")
    assert taper.start == plan.start_date - timedelta(days=2)


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"form": "letter"}, "form", "questionnaire, diary"),
    ({"instrument": "phq99"}, "instrument", "auditc, cows"),
    ({"instrument": ""}, "instrument", "choose one of"),
    ({"cadence": "monthly"}, "cadence", "once, interval, weekdays"),
    ({"every_days": 0}, "every_days", "empty (once) or 1-365"),
    ({"every_days": 400}, "every_days", "1-365"),
    ({"cadence": "weekdays", "every_days": 7, "weekdays": "1"}, "every_days",
     "only with the cadence interval"),
    ({"cadence": "interval", "every_days": 7, "weekdays": "1"}, "weekdays",
     "only with the cadence weekdays"),
    ({"cadence": "weekdays"}, "weekdays", "at least one weekday"),
    ({"weekdays": "18"}, "weekdays", "1 (Monday) to 7 (Sunday)"),
    ({"weekdays": [0, 3]}, "weekdays", "1 (Monday) to 7 (Sunday)"),
    ({"every_days": 1, "window_minutes": 0}, "window_minutes", "from 1 minute to 60 days"),
    ({"every_days": 1, "window_minutes": 60, "random_minutes": 60}, "random_minutes",
     "shorter than the answer window"),
    ({"start": None}, "start", "give the first day"),
    ({"anchor": "enrolment", "start": date(2026, 3, 1)}, "start", "leave start empty"),
    ({"offset_days": 3}, "offset_days", "only with an anchor of enrolment or taper_start"),
    ({"anchor": "enrolment", "offset_days": 400}, "offset_days", "-365 to 365"),
    ({"anchor": "birthday"}, "anchor", "date, enrolment, taper_start"),
    ({"start": date(2020, 1, 1)}, "start", "in the past: a one-off"),
    ({"pathway": "nosuch"}, "pathway", "anxiety"),
])
def test_bad_fields_are_named_and_nothing_is_written(cast, fields, field, words):
    with pytest.raises(RuleError) as caught:
        do_assign_schedule(cast.patient, acting=cast.clinician,
                           **({"instrument": "phq9", "start": timezone.localdate()} | fields))
    assert caught.value.field == field, caught.value
    assert words in caught.value.message
    assert str(caught.value).startswith(f"{field}: ")
    assert not Schedule.objects.exists() and not AuditEvent.objects.filter(
        event="measures.schedule.assigned").exists()


def test_an_unknown_time_zone_is_named(cast):
    Patient.objects.filter(pk=cast.patient.pk).update(time_zone="Atlantis/Capital")
    cast.patient.refresh_from_db()
    with pytest.raises(RuleError) as caught:
        assign(cast, every_days=7)
    assert caught.value.field == "time_zone" and "Atlantis/Capital" in caught.value.message
    assert not Schedule.objects.exists()


def test_a_repeat_of_the_uuid_compares_every_field(cast):
    key = uuid.uuid4()
    fields = dict(instrument="craving", every_days=1, start=timezone.localdate(),
                  time_of_day=time(17), window_minutes=300, random_minutes=120)
    first, created = do_assign_schedule_once(cast.patient, acting=cast.clinician, uuid=key,
                                             **fields)
    again, created_again = do_assign_schedule_once(cast.patient, acting=cast.clinician,
                                                   uuid=key, **fields)
    assert created and not created_again and again.pk == first.pk
    for change in ({"time_of_day": time(18)}, {"window_minutes": 301},
                   {"random_minutes": 0}, {"every_days": 2}, {"instrument": "phq9"},
                   {"every_days": None, "weekdays": "12"}):
        with pytest.raises(ScheduleConflict):
            do_assign_schedule_once(cast.patient, acting=cast.clinician, uuid=key,
                                    **(fields | change))
    assert Schedule.objects.count() == 1


def test_the_planner_gets_the_first_prompt_and_a_stop_clears_it(cast):
    Patient.objects.filter(pk=cast.patient.pk).update(time_zone="America/New_York")
    cast.patient.refresh_from_db()
    with time_machine.travel(datetime(2026, 3, 7, 23, 30, tzinfo=UTC), tick=False):
        # 18:30 in New York on 7 March: tonight's 20:00 (EST, 01:00 UTC) comes first, then the
        # clocks go forward and the next night's 20:00 is 00:00 UTC.
        diary = do_assign_schedule(cast.patient, acting=cast.clinician, form="diary",
                                   every_days=1, start=date(2026, 3, 7), time_of_day=time(20),
                                   window_minutes=60)
        assert diary.next_fire_at == datetime(2026, 3, 8, 1, 0, tzinfo=UTC)
        # A weekday schedule started today whose first chosen day is Monday.
        monday = do_assign_schedule(cast.patient, acting=cast.clinician, instrument="gad7",
                                    weekdays="1", start=date(2026, 3, 7))
        assert monday.next_fire_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 09:00 EDT
    do_stop_schedule(diary, acting=cast.clinician)
    diary.refresh_from_db()
    assert not diary.active and diary.next_fire_at is None


def test_a_time_of_day_may_come_as_text_and_bad_types_are_named(cast):
    evening = assign(cast, every_days=1, time_of_day="20:15:30")
    evening.refresh_from_db()
    assert evening.time_of_day == time(20, 15)
    for fields, field in (({"time_of_day": "8pm"}, "time_of_day"),
                          ({"time_of_day": 20}, "time_of_day"),
                          ({"window_minutes": "4320"}, "window_minutes"),
                          ({"random_minutes": True}, "random_minutes")):
        with pytest.raises(RuleError) as caught:
            assign(cast, instrument="gad7", every_days=1, **fields)
        assert caught.value.field == field
    assert Schedule.objects.count() == 1


@pytest.mark.parametrize("start", [date(1, 1, 1), date(9999, 12, 30)])
def test_a_start_far_from_today_is_refused_naming_the_field(cast, start):
    # A weekly schedule from year 1 would validate as a rule, and make every reader walk
    # two thousand years of occurrences; one in 9999 never fires in anyone's care.
    with pytest.raises(RuleError) as refused:
        assign(cast, cadence="weekdays", weekdays="1", start=start)
    assert refused.value.field == "start" and "a year ahead" in refused.value.message
    assert not Schedule.objects.filter(patient=cast.patient).exists()
