"""The channel interface as another channel (SMS, Web Push) plugs into it, the links a batch
builds, a connection lost in mid-batch (the message under way is never resent), a site without
a public address, and two senders at once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse

from mitra.lib import jobs
from mitra.reminders import channels, dispatch, links
from mitra.reminders.models import Delivery, Prompt
from mitra.reminders.planner import plan_due
from mitra.reminders.tests.conftest import NOON, parts, schedule
from mitra.safety.tests.smtpservers import SmtpSink, free_port

pytestmark = pytest.mark.django_db


class FakeSms(channels.Channel):
    """A channel as an SMS backend would be: reaches patients with a phone number."""

    name = "sms"
    label = "Text message"

    def __init__(self, answer: channels.Outcome = channels.SENT, raises: bool = False):
        self.answer, self.raises = answer, raises
        self.sent: list[str] = []

    def reachable(self, patients):
        return {p.pk for p in patients if p.phone}

    def send_many(self, deliveries: Sequence[Delivery], deadline: float):
        if self.raises:
            raise RuntimeError("provider SDK bug")
        self.sent += [links.open_path(d.prompt) for d in deliveries]
        return [self.answer] * len(deliveries)


@pytest.fixture
def sms():
    def install(**kwargs) -> FakeSms:
        channel = FakeSms(**kwargs)
        channels.register(channel)
        return channel
    yield install
    channels.unregister("sms")


def test_a_registered_channel_gets_a_delivery_for_each_patient_it_can_reach(cast, sms, smtp):
    channel = sms()
    type(cast.patient).objects.filter(pk=cast.patient.pk).update(phone="+4915112345678")
    schedule(cast.patient)
    schedule(cast.other_patient)  # no phone: e-mail only
    plan_due(NOON)
    assert sorted(Delivery.objects.values_list("prompt__patient_id", "channel")) == sorted([
        (cast.patient.pk, "email"), (cast.patient.pk, "sms"), (cast.other_patient.pk, "email")])
    smtp(free_port())  # e-mail is down; the text message still reaches the patient
    with pytest.raises(jobs.JobFailed) as failed:
        dispatch.send_due(NOON)
    assert failed.value.done == 1 and len(channel.sent) == 1
    assert Prompt.objects.get(patient=cast.patient).state == Prompt.State.SENT
    assert Prompt.objects.get(patient=cast.other_patient).state == Prompt.State.PLANNED


def test_a_channel_that_raises_fails_its_batch_as_outcome_unknown(cast, sms, mailoutbox):
    sms(raises=True)
    type(cast.patient).objects.filter(pk=cast.patient.pk).update(phone="+4915112345678")
    schedule(cast.patient)
    plan_due(NOON)
    with pytest.raises(jobs.JobFailed) as failed:
        dispatch.send_due(NOON)
    assert "outcome unknown, not resent: the channel failed: RuntimeError" in (
        failed.value.failures[0].line())
    assert Delivery.objects.get(channel="sms").state == Delivery.State.FAILED
    assert len(mailoutbox) == 1  # the e-mail went all the same
    assert Prompt.objects.get().state == Prompt.State.SENT


def test_not_attempted_deliveries_go_back_untouched_and_the_run_stops(cast, sms):
    sms(answer=channels.NOT_ATTEMPTED)
    channels.unregister("email")
    try:
        type(cast.patient).objects.filter(pk=cast.patient.pk).update(phone="+4915112345678")
        schedule(cast.patient)
        plan_due(NOON)
        assert dispatch.send_due(NOON) == 0  # no failure reported
    finally:
        channels.register(channels.EmailChannel())
    delivery = Delivery.objects.get(channel="sms")
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (
        Delivery.State.PENDING, 0, NOON)


def test_a_batch_builds_the_same_links_as_reverse(cast):
    schedule(cast.patient)
    plan_due(NOON)
    prompt = Prompt.objects.get()
    paths = links.Paths()
    assert paths.open_path(prompt) == links.open_path(prompt) == reverse(
        "reminders:open", kwargs={"prompt_uuid": prompt.uuid,
                                  "token": links.open_token(prompt.uuid)})
    assert paths.unsubscribe_path(cast.patient.uuid, "email") == links.unsubscribe_path(
        cast.patient.uuid, "email")
    assert links.valid_open_token(prompt.uuid, links.open_token(prompt.uuid))
    assert not links.valid_open_token(prompt.uuid, links.open_token(cast.patient.uuid))


def test_without_a_public_address_the_mail_names_no_link(cast, mailoutbox, settings):
    settings.MITRA_BASE_URL = ""
    schedule(cast.patient)
    plan_due(NOON)
    assert dispatch.send_due(NOON) == 1
    (mail,) = mailoutbox
    assert "List-Unsubscribe" not in mail.extra_headers
    assert "Sign in to Mitra to open it." in mail.body and "/r/" not in mail.body


def test_a_connection_lost_under_a_message_never_resends_it(cast, smtp):
    schedule(cast.patient)
    schedule(cast.other_patient)
    plan_due(NOON)
    with SmtpSink(hang=True) as hung:  # takes the first message's DATA, never answers
        smtp(hung.port)
        with pytest.raises(jobs.JobFailed) as failed:
            dispatch.send_due(NOON)
    lines = sorted(f.line() for f in failed.value.failures)
    assert any("outcome unknown, not resent: SMTPServerDisconnected" in line and "timed out"
               in line for line in lines), lines
    assert any("mail connection lost" in line for line in lines), lines
    states = dict(Delivery.objects.values_list("state", "attempts").order_by("pk"))
    assert states == {Delivery.State.FAILED: 1, Delivery.State.PENDING: 1}
    with SmtpSink() as sink:
        smtp(sink.port)
        assert dispatch.send_due(NOON + timedelta(minutes=1)) == 1
        assert dispatch.send_due(NOON + timedelta(minutes=5)) == 0
    assert len(sink.received) == 1  # the second patient's; the first one's is not sent again
    failed_prompt = Prompt.objects.get(state=Prompt.State.FAILED)
    assert failed_prompt.failure.startswith("email: outcome unknown, not resent")


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_never_send_a_message_twice(cast, smtp):
    for n in range(3):
        schedule(cast.patient, instrument=("phq9", "gad7", "phq2")[n])
        schedule(cast.other_patient, instrument=("phq9", "gad7", "phq2")[n])
    plan_due(NOON)
    with SmtpSink(delay=0.2) as sink:  # slow enough for the senders to overlap
        smtp(sink.port)
        barrier, sent = threading.Barrier(2), []

        def run():
            barrier.wait()
            try:
                sent.append(dispatch.send_due(NOON, batch=2))
            except Exception:  # noqa: S110 - SQLite's test database may refuse a write at once
                pass
            finally:
                connections.close_all()
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    ids = [r.message["Message-ID"] for r in sink.received]
    assert len(ids) == len(set(ids))
    if connection.vendor == "postgresql":  # SKIP LOCKED: they shared the work, all of it
        assert len(ids) == sum(sent) == 6 and all(sent)
    text, _html = parts(sink.received[0].message)
    assert "You have a check-in waiting" in text
