"""The planner: next_fire_at kept by the save signals, prompts made once, quiet hours, pauses,
time zones across daylight-saving changes, and a query count that does not grow with the
number of due patients."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mitra.diary.models import DiaryEntry
from mitra.lib import jobs
from mitra.measures.models import Response, Schedule
from mitra.reminders.models import ChannelSetting, Delivery, Preference, Prompt
from mitra.reminders.planner import plan_due, replan, replan_all
from mitra.reminders.preferences import EMAIL
from mitra.reminders.tests.conftest import NOON, schedule
from mitra.testing import make_patient

pytestmark = pytest.mark.django_db


def _at(hour: int, minute: int = 0, day: date | None = None) -> datetime:
    return datetime.combine(day or NOON.date(), time(hour, minute), tzinfo=UTC)


def test_a_new_schedule_gets_its_first_fire_time_from_its_save(cast):
    s = schedule(cast.patient, at=time(20, 0))
    assert s.next_fire_at is None  # the signal wrote the row, not this instance
    s.refresh_from_db()
    assert s.next_fire_at == _at(20)


def test_planning_twice_makes_one_prompt_and_one_delivery(cast):
    s = schedule(cast.patient, at=time(12, 0))
    assert plan_due(NOON) == 1
    assert plan_due(NOON) == 0
    # Even with the schedule's time put back (a replan racing the planner), nothing new.
    Schedule.objects.filter(pk=s.pk).update(next_fire_at=_at(12))
    assert plan_due(NOON + timedelta(minutes=1)) == 0
    prompt = Prompt.objects.get()
    assert (prompt.due_on, prompt.fire_at, prompt.expires_at) == (
        NOON.date(), NOON, NOON + timedelta(hours=3))
    assert prompt.state == Prompt.State.PLANNED
    delivery = Delivery.objects.get()
    assert (delivery.prompt, delivery.channel, delivery.state, delivery.next_attempt_at) == (
        prompt, EMAIL, Delivery.State.PENDING, NOON)
    s.refresh_from_db()
    assert s.next_fire_at == NOON + timedelta(days=1)


def test_nothing_is_planned_before_its_time(cast):
    schedule(cast.patient, at=time(12, 1))
    assert plan_due(NOON) == 0
    assert plan_due(NOON + timedelta(minutes=1)) == 1


def test_no_email_delivery_without_an_address_or_with_the_channel_off(cast):
    cast.patient_user.email = ""
    cast.patient_user.save()
    schedule(cast.patient)
    ChannelSetting.objects.create(patient=cast.other_patient, channel=EMAIL, enabled=False)
    schedule(cast.other_patient)
    assert plan_due(NOON) == 2
    # Both prompts are there (the home page shows them), neither has a message to send.
    assert Prompt.objects.count() == 2 and Delivery.objects.count() == 0


def test_quiet_hours_move_the_prompt_to_their_end(cast):
    Preference.objects.create(patient=cast.patient, quiet_start=time(11, 0),
                              quiet_end=time(13, 30))
    s = schedule(cast.patient, at=time(12, 0))
    s.refresh_from_db()
    assert s.next_fire_at == _at(13, 30)
    assert plan_due(_at(13, 29)) == 0
    assert plan_due(_at(13, 30)) == 1
    prompt = Prompt.objects.get()
    # It still closes when the window from its nominal time does.
    assert (prompt.fire_at, prompt.expires_at) == (_at(13, 30), _at(15))


def test_a_pause_skips_its_days_and_changing_it_replans(cast):
    s = schedule(cast.patient, at=time(20, 0))
    pref = Preference.objects.create(patient=cast.patient, paused_from=NOON.date(),
                                     paused_until=NOON.date() + timedelta(days=1))
    s.refresh_from_db()
    assert s.next_fire_at == _at(20, day=NOON.date() + timedelta(days=2))
    pref.paused_from = pref.paused_until = None
    pref.save()
    s.refresh_from_db()
    assert s.next_fire_at == _at(20)


def test_a_new_time_zone_replans_and_other_saves_do_not(cast):
    s = schedule(cast.patient, at=time(20, 0))
    cast.patient.time_zone = "Asia/Bangkok"  # UTC+7: 20:00 there is 13:00 UTC
    cast.patient.save(update_fields=["time_zone"])
    s.refresh_from_db()
    assert s.next_fire_at == _at(13)
    Schedule.objects.filter(pk=s.pk).update(next_fire_at=None)
    cast.patient.save(update_fields=["display_name"])
    s.refresh_from_db()
    assert s.next_fire_at is None


def test_stopped_and_clinician_rated_schedules_are_never_planned(cast):
    stopped = schedule(cast.patient)
    stopped.active = False
    stopped.save(update_fields=["active"])
    rated = schedule(cast.patient, instrument="cows")
    assert Schedule.objects.filter(pk__in=[stopped.pk, rated.pk],
                                   next_fire_at__isnull=False).count() == 0
    assert plan_due(NOON) == 0


@pytest.mark.parametrize(("zone", "utc_hours"), [
    ("America/New_York", [1, 1, 0, 0]),  # EST until 8 March 2026, then EDT
    ("Europe/Berlin", [19, 19, 18, 18]),  # CET until 29 March 2026, then CEST
])
def test_a_daily_8pm_stays_8pm_local_across_daylight_saving(cast, clock, zone, utc_hours):
    tz = ZoneInfo(zone)
    days = {"America/New_York": [date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8),
                                 date(2026, 3, 9)],
            "Europe/Berlin": [date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29),
                              date(2026, 3, 30)]}[zone]
    clock.move_to(datetime.combine(days[0], time(9, 0), tzinfo=tz))
    cast.patient.time_zone = zone
    cast.patient.save(update_fields=["time_zone"])
    s = schedule(cast.patient, at=time(20, 0), start=days[0])
    for _day in days:
        s.refresh_from_db()
        assert plan_due(s.next_fire_at) == 1
    fire = [p.fire_at for p in Prompt.objects.order_by("fire_at")]
    assert [f.astimezone(tz).time() for f in fire] == [time(20, 0)] * 4
    assert [f.astimezone(tz).date() for f in fire] == days
    assert [f.astimezone(UTC).hour for f in fire] == utc_hours


def test_after_an_outage_only_the_latest_open_occurrence_is_prompted(cast):
    # A daily diary with a three-day window, nothing run for two days.
    schedule(cast.patient, form="diary", at=time(9, 0), window_minutes=3 * 24 * 60)
    later = _at(10, day=NOON.date() + timedelta(days=2))
    assert plan_due(later) == 1
    prompt = Prompt.objects.get()
    assert prompt.due_on == later.date()


def test_an_occurrence_answered_before_its_prompt_sends_nothing(cast, clock):
    s = schedule(cast.patient, at=time(20, 0))
    Response.objects.create(
        uuid="00000000-0000-4000-8000-000000000001", patient=cast.patient, instrument="phq9",
        instrument_version="1", answers={}, max_total=27, complete=True, scoring_method="sum",
        submitted_at=_at(8))
    diary = schedule(cast.patient, form="diary", at=time(20, 0))
    DiaryEntry.objects.create(uuid="00000000-0000-4000-8000-000000000002",
                              patient=cast.patient, date=NOON.date(), payload_hash="x")
    assert plan_due(_at(20)) == 2
    for sched in (s, diary):
        prompt = Prompt.objects.get(schedule=sched)
        assert prompt.state == Prompt.State.ANSWERED and prompt.answered_at is not None
    assert Delivery.objects.count() == 0


def test_an_unknown_zone_is_reported_and_the_others_are_planned(cast):
    schedule(cast.patient)
    bad = schedule(cast.other_patient)
    type(cast.other_patient).objects.filter(pk=cast.other_patient.pk).update(
        time_zone="Mars/Olympus")
    with pytest.raises(jobs.JobFailed) as failed:
        plan_due(NOON)
    assert failed.value.done == 1
    assert [f.item for f in failed.value.failures] == [f"schedule {bad.uuid}"]
    assert "time_zone" in failed.value.failures[0].line()
    bad.refresh_from_db()
    assert bad.next_fire_at is None  # not reported again each minute
    assert plan_due(NOON) == 0


def test_replan_all_sets_times_for_rows_made_without_signals(cast):
    Schedule.objects.bulk_create([
        Schedule(patient=cast.patient, instrument="phq9", every_days=14, start=NOON.date(),
                 time_of_day=time(18, 0)),
        Schedule(patient=cast.other_patient, form="diary", every_days=1, start=NOON.date(),
                 time_of_day=time(19, 0)),
    ])
    assert replan_all() == 2
    assert sorted(Schedule.objects.values_list("next_fire_at", flat=True)) == [_at(18), _at(19)]
    assert replan_all() == 0
    assert replan(cast.patient) == 0


def _due_patients(count: int, at: time, prefix: str) -> None:
    for n in range(count):
        patient = make_patient(f"{prefix}{n}", f"Patient {prefix}{n}")
        Preference.objects.create(patient=patient)
        schedule(patient, form="diary", at=at)


def test_the_planners_query_count_does_not_grow_with_the_due_patients(cast):
    _due_patients(10, time(13, 0), "a")
    _due_patients(50, time(14, 0), "b")
    with CaptureQueriesContext(connection) as ten:
        assert plan_due(_at(13), batch=100) == 10
    with CaptureQueriesContext(connection) as fifty:
        assert plan_due(_at(14), batch=100) == 50
    assert len(ten) == len(fifty), "\n".join(q["sql"][:200] for q in fifty)
    assert Delivery.objects.count() == 60
