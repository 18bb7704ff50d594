"""Ending an open-ended taper pause; invalid taper forms answer 400; the clinician's chart
shows the recorded amount in the plan's terms."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.diary.models import TaperPause
from mitra.diary.tests.factories import make_entry, make_plan
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def paused_plan(cast, *, start_ago=10, end=None):
    plan = make_plan(cast.patient, by=cast.clinician)  # 10 g, 10% every 7 days, from -14
    pause = plan.pauses.create(start_date=timezone.localdate() - timedelta(days=start_ago),
                               end_date=end, reason="Flu", created_by=cast.clinician)
    return plan, pause


def end_url(cast, plan, pause):
    return reverse("diary:taper_pause_end", kwargs={
        "patient_uuid": cast.patient.uuid, "plan_uuid": plan.uuid, "pause_uuid": pause.uuid})


def ended_events(pause):
    return AuditEvent.objects.filter(event="diary.taper_plan.pause_ended",
                                     object_uuid=pause.uuid)


def test_the_clinician_ends_an_open_pause_today_once(cast):
    plan, pause = paused_plan(cast)
    client = login(Client(), cast.clinician)
    page = client.get(reverse("diary:patient_diary", kwargs={"patient_uuid": cast.patient.uuid}))
    html = page.content.decode()
    assert "until further notice" in html and "End the pause" in html
    assert end_url(cast, plan, pause) in html
    response = client.post(end_url(cast, plan, pause))
    assert response.status_code == 302
    pause.refresh_from_db()
    today = timezone.localdate()
    assert pause.end_date == today
    event = ended_events(pause).get()
    assert event.actor == cast.clinician and event.patient == cast.patient
    # Idempotent: ending it again, with or without a date, changes nothing and audits nothing.
    assert client.post(end_url(cast, plan, pause)).status_code == 302
    later = {f"end-{pause.pk}-end_date": (today + timedelta(days=3)).isoformat()}
    assert client.post(end_url(cast, plan, pause), later).status_code == 302
    pause.refresh_from_db()
    assert pause.end_date == today and ended_events(pause).count() == 1
    html = client.get(reverse("diary:patient_diary",
                              kwargs={"patient_uuid": cast.patient.uuid})).content.decode()
    assert "End the pause" not in html  # nothing left to end


def test_a_given_end_date_ends_the_pause_then_and_the_plan_steps_on(cast):
    plan, pause = paused_plan(cast, start_ago=10)
    end = timezone.localdate() - timedelta(days=8)
    response = login(Client(), cast.clinician).post(
        end_url(cast, plan, pause), {f"end-{pause.pk}-end_date": end.isoformat()})
    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.end_date == end
    # 14 days of plan, 3 of them paused: 11 active days, one 10% step.
    assert plan.as_plan().planned_amount(timezone.localdate()) == Decimal("9.00")


def test_a_pause_ending_later_can_be_ended_sooner(cast):
    today = timezone.localdate()
    plan, pause = paused_plan(cast, start_ago=2, end=today + timedelta(days=10))
    assert login(Client(), cast.clinician).post(end_url(cast, plan, pause)).status_code == 302
    pause.refresh_from_db()
    assert pause.end_date == today and ended_events(pause).count() == 1


def test_an_end_before_the_start_is_a_400_naming_the_field(cast):
    plan, pause = paused_plan(cast, start_ago=3)
    bad = (timezone.localdate() - timedelta(days=5)).isoformat()
    response = login(Client(), cast.clinician).post(end_url(cast, plan, pause),
                                                    {f"end-{pause.pk}-end_date": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert "end_date must be on or after the pause&#x27;s start" in html
    assert f'value="{bad}"' in html  # the answer is kept
    pause.refresh_from_db()
    assert pause.end_date is None and not ended_events(pause).exists()


def test_only_the_care_team_with_write_access_ends_a_pause(cast):
    plan, pause = paused_plan(cast)
    assert login(Client(), cast.readonly).post(end_url(cast, plan, pause)).status_code == 403
    assert login(Client(), cast.other_clinician).post(
        end_url(cast, plan, pause)).status_code == 404
    html = login(Client(), cast.readonly).get(reverse(
        "diary:patient_diary", kwargs={"patient_uuid": cast.patient.uuid})).content.decode()
    assert "until further notice" in html and "End the pause" not in html
    assert TaperPause.objects.get(pk=pause.pk).end_date is None


def test_a_pause_of_a_replaced_plan_is_404(cast):
    plan, pause = paused_plan(cast)
    make_plan(cast.patient, by=cast.clinician)  # replaces it
    assert login(Client(), cast.clinician).post(end_url(cast, plan, pause)).status_code == 404


def test_an_invalid_pause_is_a_400_naming_the_field(cast):
    plan = make_plan(cast.patient, by=cast.clinician)
    url = reverse("diary:taper_pause", kwargs={"patient_uuid": cast.patient.uuid,
                                               "plan_uuid": plan.uuid})
    today = timezone.localdate()
    response = login(Client(), cast.clinician).post(url, {
        "start_date": today.isoformat(), "end_date": (today - timedelta(days=1)).isoformat(),
        "reason": "Holiday"})
    assert response.status_code == 400
    assert "end_date must be on or after the start date" in response.content.decode()
    assert "Holiday" in response.content.decode()
    assert not plan.pauses.exists()


def test_the_clinicians_chart_counts_capsules_for_a_capsule_plan(cast):
    make_plan(cast.patient, by=cast.clinician, substance="kratom_capsule", unit="capsules",
              start_amount=Decimal("7"), target_amount=Decimal("2"), step_kind="amount",
              step_size=Decimal("1"), interval_days=30)
    make_entry(cast.patient, uses=(("kratom_capsule", "12", "capsules", "0.5"),))
    html = login(Client(), cast.clinician).get(reverse(
        "diary:patient_diary", kwargs={"patient_uuid": cast.patient.uuid})).content.decode()
    chart = json.loads(re.search(r'<script id="diary-chart-data" type="application/json">'
                                 r"(.*?)</script>", html).group(1))
    assert chart["actual_label"] == "capsules of kratom capsules"
    assert chart["actual"][-1] == 12.0 and chart["planned"][-1] == 7.0
