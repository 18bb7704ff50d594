"""The one-tap link's refusals, one-click unsubscribe (RFC 8058), the patient's reminder
settings and history, the home card and the panel on the clinician's patient page."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.measures.models import Schedule
from mitra.reminders import links
from mitra.reminders.models import ChannelSetting, Delivery, Preference, Prompt
from mitra.reminders.planner import plan_due
from mitra.reminders.preferences import EMAIL
from mitra.reminders.tests.conftest import NOON, schedule
from mitra.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def prompt(cast):
    schedule(cast.patient, form="diary", at=time(12, 0))
    plan_due(NOON)
    return Prompt.objects.get()


def _open(prompt, token=None):
    return reverse("reminders:open", kwargs={"prompt_uuid": prompt.uuid,
                                             "token": token or links.open_token(prompt.uuid)})


def test_the_link_opens_the_diary_for_its_day(cast, prompt):
    client = login(Client(), cast.patient_user)
    page = client.get(_open(prompt))
    assert page.status_code == 302
    assert page["Location"] == f"{reverse('diary:entry')}?date={NOON.date().isoformat()}"
    prompt.refresh_from_db()
    assert prompt.state == Prompt.State.OPENED
    # Once opened, again: still to the form, and audited once.
    assert client.get(_open(prompt)).status_code == 302
    assert AuditEvent.objects.filter(event=Event.REMINDERS_PROMPT_OPENED).count() == 1


def test_an_altered_or_closed_link_is_refused_with_410_and_a_way_home(cast, prompt, clock):
    client = login(Client(), cast.patient_user)
    token = links.open_token(prompt.uuid)
    altered = client.get(_open(prompt, token=("A" if token[0] != "A" else "B") + token[1:]))
    assert altered.status_code == 410
    assert b"This reminder is no longer valid" in altered.content
    assert reverse("core:home").encode() in altered.content
    # Anonymous too: no sign-in asked for a link that leads nowhere.
    assert Client().get(_open(prompt, token="nonsense")).status_code == 410
    clock.move_to(prompt.expires_at)
    assert client.get(_open(prompt)).status_code == 410
    prompt.refresh_from_db()
    assert prompt.state == Prompt.State.PLANNED and prompt.opened_at is None


def test_another_patient_following_the_link_gets_404_and_opens_nothing(cast, prompt):
    assert login(Client(), cast.other_patient_user).get(_open(prompt)).status_code == 404
    assert login(Client(), cast.clinician).get(_open(prompt)).status_code == 404
    prompt.refresh_from_db()
    assert prompt.state == Prompt.State.PLANNED


def _unsubscribe(patient, channel=EMAIL, token=None):
    return reverse("reminders:unsubscribe", kwargs={
        "patient_uuid": patient.uuid, "channel": channel,
        "token": token or links.unsubscribe_token(patient.uuid, channel)})


def test_one_click_unsubscribe_needs_no_sign_in_and_no_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    url = _unsubscribe(cast.patient)
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"Stop e-mail reminders?" in confirm.content
    assert not ChannelSetting.objects.exists()  # a GET (a link scanner) changes nothing
    done = client.post(url, "List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and b"E-mail reminders are off" in done.content
    setting = ChannelSetting.objects.get(patient=cast.patient, channel=EMAIL)
    assert setting.enabled is False
    event = AuditEvent.objects.get(event=Event.REMINDERS_UNSUBSCRIBED)
    assert (event.patient_id, event.detail, event.actor_id) == (cast.patient.pk, EMAIL, None)
    # Again: no second event.
    client.post(url, {"List-Unsubscribe": "One-Click"})
    assert AuditEvent.objects.filter(event=Event.REMINDERS_UNSUBSCRIBED).count() == 1


def test_the_confirm_pages_own_post_is_csrf_checked(cast):
    client = Client(enforce_csrf_checks=True)
    url = _unsubscribe(cast.patient)
    assert client.post(url, {}).status_code == 403
    assert not ChannelSetting.objects.exists()
    client.get(url)
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 200
    assert ChannelSetting.objects.get(patient=cast.patient).enabled is False


def test_an_unsubscribe_link_for_another_patient_or_channel_is_refused(cast):
    forged = reverse("reminders:unsubscribe", kwargs={
        "patient_uuid": cast.other_patient.uuid, "channel": EMAIL,
        "token": links.unsubscribe_token(cast.patient.uuid, EMAIL)})
    assert Client().post(forged, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert Client().get(_unsubscribe(cast.patient, channel="carrier-pigeon")).status_code == 404
    assert not ChannelSetting.objects.exists()


def test_a_delivery_pending_when_the_patient_unsubscribes_is_not_sent(cast, prompt,
                                                                      mailoutbox):
    from mitra.reminders.dispatch import send_due

    Client().post(_unsubscribe(cast.patient), {"List-Unsubscribe": "One-Click"})
    assert send_due(NOON) == 0 and mailoutbox == []
    assert Delivery.objects.get().state == Delivery.State.CANCELLED


def test_the_preferences_page_saves_and_replans(cast):
    s = schedule(cast.patient, at=time(20, 0))
    client = login(Client(), cast.patient_user)
    page = client.get(reverse("reminders:preferences"))
    assert page.status_code == 200 and b'name="quiet_start"' in page.content
    saved = client.post(reverse("reminders:preferences"),
                        {"email": "on", "quiet_start": "19:30", "quiet_end": "21:15"})
    assert saved.status_code == 302
    pref = Preference.objects.get(patient=cast.patient)
    assert (pref.quiet_start, pref.quiet_end) == (time(19, 30), time(21, 15))
    s.refresh_from_db()
    assert s.next_fire_at == NOON.replace(hour=21, minute=15)
    half = client.post(reverse("reminders:preferences"), {"email": "on", "quiet_start": "19:30"})
    assert half.status_code == 400 and b"both the start and the end" in half.content
    # A pause is a holiday near today: year 1 is refused naming the field, nothing stored.
    ancient = client.post(reverse("reminders:preferences"), {
        "email": "on", "paused_from": "0001-01-01", "paused_until": "0001-01-05"})
    assert ancient.status_code == 400
    assert b"paused_from: 0001-01-01 is not allowed" in ancient.content
    assert Preference.objects.get(patient=cast.patient).paused_from is None


def test_the_history_shows_each_state_with_its_time_and_a_failure_with_its_reason(cast,
                                                                                  prompt):
    Prompt.objects.filter(pk=prompt.pk).update(
        state=Prompt.State.FAILED, closed_at=NOON, failure="email: address refused: 550")
    page = login(Client(), cast.patient_user).get(reverse("reminders:history"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Failed: email: address refused: 550" in html and "Diary" in html
    assert "2 Mar 2026" in html


def test_the_home_page_shows_waiting_check_ins_with_their_link(cast, prompt):
    schedule(cast.patient, instrument="phq9")
    plan_due(NOON)
    questionnaire = Prompt.objects.get(schedule__form="questionnaire")
    html = login(Client(), cast.patient_user).get(reverse("core:me")).content.decode()
    assert "Check-ins waiting" in html
    assert f'href="{links.open_path(prompt)}">Diary</a>' in html
    assert f'href="{links.open_path(questionnaire)}">PHQ-9</a>' in html
    Prompt.objects.update(state=Prompt.State.ANSWERED)
    html = login(Client(), cast.patient_user).get(reverse("core:me")).content.decode()
    assert "Check-ins waiting" not in html  # the card shows only when one is waiting


def test_the_clinicians_patient_page_lists_recent_reminders_and_their_states(cast, prompt):
    Prompt.objects.filter(pk=prompt.pk).update(state=Prompt.State.SENT,
                                               sent_at=NOON + timedelta(minutes=1))
    page = login(Client(), cast.clinician).get(reverse("core:patient", args=[cast.patient.uuid]))
    html = page.content.decode()
    assert 'id="panel-reminders"' in html and ">Sent<" in html
    other = login(Client(), cast.clinician).get(
        reverse("core:patient", args=[cast.other_patient.uuid]))
    assert other.status_code == 404
    assert Schedule.objects.filter(patient=cast.patient).count() == 1
