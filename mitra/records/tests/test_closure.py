"""Closing an account: the user cannot sign in, no reminder is sent after, invitations and
prompts are closed, the record is kept for the retention period; every step audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from mitra.accounts.actions import do_invite_user
from mitra.accounts.models import Membership
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.measures.models import Schedule
from mitra.records.closure import do_close_account, retain_until
from mitra.records.models import AccountClosure
from mitra.reminders import dispatch
from mitra.reminders.models import ChannelSetting, Delivery, Prompt
from mitra.reminders.planner import plan_due
from mitra.reminders.tests.conftest import NOON, schedule
from mitra.testing import TEST_PASSWORD, login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cast(clock):
    cast = make_cast()
    Membership.objects.create(team=cast.team_a, user=cast.admin)
    return cast


def test_without_closing_the_planned_reminder_is_sent(cast):
    """The control for the test below: the same set-up does send a message."""
    schedule(cast.patient)
    assert plan_due(NOON) == 1
    assert dispatch.send_due(NOON) == 1
    assert len(mail.outbox) == 1


def test_after_closing_no_reminder_is_sent_or_planned(cast):
    schedule(cast.patient)
    assert plan_due(NOON) == 1
    closure, created = do_close_account(cast.patient, acting=cast.admin, reason="On paper")
    assert created
    assert dispatch.send_due(NOON) == 0
    assert plan_due(NOON + timedelta(days=1)) == 0
    assert dispatch.send_due(NOON + timedelta(days=1)) == 0
    assert mail.outbox == []
    prompt = Prompt.objects.get(patient=cast.patient)
    assert prompt.state == Prompt.State.EXPIRED and prompt.failure == "account closed"
    assert not Delivery.objects.filter(state=Delivery.State.PENDING).exists()
    assert not Schedule.objects.filter(patient=cast.patient, active=True).exists()
    assert not ChannelSetting.objects.filter(patient=cast.patient, enabled=True).exists()
    assert ChannelSetting.objects.filter(patient=cast.patient, channel="email").exists()


def test_the_user_cannot_sign_in_and_their_session_ends(cast):
    client = login(Client(), cast.patient_user)
    assert client.get(reverse("core:me")).status_code == 200
    do_close_account(cast.patient, acting=cast.admin, reason="On paper")
    assert client.get(reverse("core:me")).status_code == 302
    fresh = Client()
    fresh.post(reverse("account_login"),
               {"login": cast.patient_user.username, "password": TEST_PASSWORD})
    assert "_auth_user_id" not in fresh.session
    assert fresh.get(reverse("core:me")).status_code == 302


def test_open_invitations_are_revoked(cast):
    cast.patient_user.set_unusable_password()  # enrolled, not signed up yet
    cast.patient_user.save()
    invitation, _url = do_invite_user(cast.patient_user, acting=None, send=False)
    do_close_account(cast.patient, acting=cast.admin, reason="On paper")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_the_record_is_kept_for_the_retention_period_and_each_step_audited(cast, settings):
    settings.MITRA_RETENTION_YEARS = 7
    schedule(cast.patient)
    closure, _ = do_close_account(cast.patient, acting=cast.admin, reason="On paper")
    assert closure.retain_until == NOON.date().replace(year=NOON.year + 7)
    assert closure.closed_by == cast.admin and closure.reason == "On paper"
    events = set(AuditEvent.objects.filter(patient=cast.patient).values_list("event", flat=True))
    assert {Event.ACCOUNT_CLOSED, Event.MEASURES_SCHEDULE_STOPPED} <= events
    assert AuditEvent.objects.filter(event=Event.ADMIN_USER_DEACTIVATED).exists()
    detail = AuditEvent.objects.get(event=Event.ACCOUNT_CLOSED).detail
    assert "schedules stopped 1" in detail and "kept until" in detail
    cast.patient.refresh_from_db()  # the clinical record is still there


def test_closing_twice_changes_nothing(cast):
    first, _ = do_close_account(cast.patient, acting=cast.admin, reason="On paper")
    again, created = do_close_account(cast.patient, acting=cast.admin, reason="Again")
    assert again.pk == first.pk and not created
    assert AuditEvent.objects.filter(event=Event.ACCOUNT_CLOSED).count() == 1


def test_29_february_is_kept_until_28_february():
    from datetime import date
    assert retain_until(date(2028, 2, 29), 6) == date(2034, 2, 28)


def test_the_admin_closes_from_the_patients_requests_page(cast):
    client = login(Client(), cast.admin)
    url = reverse("records:close_account", args=[cast.patient.uuid])
    refused = client.post(url, {"reason": "Asked at the desk"})
    assert refused.status_code == 400
    assert "Confirm that the patient asked" in refused.content.decode()
    assert not AccountClosure.objects.exists()
    assert client.post(url, {"reason": "Asked at the desk", "confirm": "on"}).status_code == 302
    assert AccountClosure.objects.filter(patient=cast.patient).exists()
    page = client.get(reverse("records:patient_requests", args=[cast.patient.uuid]))
    assert "Closed" in page.content.decode()
