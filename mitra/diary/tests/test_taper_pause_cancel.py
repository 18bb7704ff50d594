"""Cancelling a taper pause that has not begun: kept on record, left out of the plan."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.diary import actions
from mitra.diary.tests.factories import make_plan
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def plan_with_pause(cast, *, start_in: int):
    plan = make_plan(cast.patient, by=cast.clinician)  # 10 g, 10% every 7 days, from -14
    pause = plan.pauses.create(start_date=timezone.localdate() + timedelta(days=start_in),
                               end_date=None, reason="Holiday", created_by=cast.clinician)
    return plan, pause


def cancel_url(cast, plan, pause):
    return reverse("diary:taper_pause_cancel", kwargs={
        "patient_uuid": cast.patient.uuid, "plan_uuid": plan.uuid, "pause_uuid": pause.uuid})


def diary_page(client, cast) -> str:
    return client.get(reverse("diary:patient_diary",
                              kwargs={"patient_uuid": cast.patient.uuid})).content.decode()


def cancelled_events(pause):
    return AuditEvent.objects.filter(event="diary.taper_plan.pause_cancelled",
                                     object_uuid=pause.uuid)


def test_a_future_pause_is_cancelled_once_and_the_plan_steps_through_its_days(cast):
    plan, pause = plan_with_pause(cast, start_in=5)
    later = timezone.localdate() + timedelta(days=20)
    paused_amount = plan.as_plan().planned_amount(later)
    client = login(Client(), cast.clinician)
    html = diary_page(client, cast)
    assert "Cancel this pause" in html and cancel_url(cast, plan, pause) in html

    response = client.post(cancel_url(cast, plan, pause))
    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.cancelled_at is not None and pause.cancelled_by == cast.clinician
    plan.refresh_from_db()
    assert plan.as_plan().pauses == ()
    assert plan.as_plan().planned_amount(later) < paused_amount  # the steps go on
    event = cancelled_events(pause).get()
    assert event.actor == cast.clinician and event.patient == cast.patient

    # Idempotent; the page keeps it, struck through, with nothing left to do to it.
    assert client.post(cancel_url(cast, plan, pause)).status_code == 302
    assert cancelled_events(pause).count() == 1
    html = diary_page(client, cast)
    assert "cancelled before it began" in html and "<del>" in html
    assert "Cancel this pause" not in html and "End the pause" not in html


def test_a_pause_that_has_begun_is_ended_not_cancelled(cast):
    plan, pause = plan_with_pause(cast, start_in=0)
    client = login(Client(), cast.clinician)
    assert "Cancel this pause" not in diary_page(client, cast)
    response = client.post(cancel_url(cast, plan, pause))
    assert response.status_code == 409
    assert "end it instead" in response.content.decode()
    pause.refresh_from_db()
    assert pause.cancelled_at is None and not cancelled_events(pause).exists()
    with pytest.raises(ValueError, match="end it instead"):
        actions.do_cancel_taper_pause(pause, acting=cast.clinician)


def test_only_a_writer_on_the_care_team_cancels(cast):
    plan, pause = plan_with_pause(cast, start_in=5)
    for user in (cast.readonly, cast.other_clinician):
        response = login(Client(), user).post(cancel_url(cast, plan, pause))
        assert response.status_code in (403, 404)
    pause.refresh_from_db()
    assert pause.cancelled_at is None
