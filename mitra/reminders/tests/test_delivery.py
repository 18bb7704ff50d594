"""Sending through a real SMTP server on loopback: what the message says (and does not), its
one-tap link through sign-in to the form, retries while the server is down, exactly one
message, a dead worker's delivery failed and never resent, expiry, and a query count that does
not grow with the number of deliveries."""

from __future__ import annotations

import re
import uuid
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.lib import jobs
from mitra.measures.actions import do_submit_response
from mitra.measures.library import library
from mitra.reminders import dispatch
from mitra.reminders.channels import SUBJECT
from mitra.reminders.models import Delivery, Prompt
from mitra.reminders.planner import plan_due
from mitra.reminders.tests.conftest import NOON, parts, path_of, schedule
from mitra.safety.tests.smtpservers import SmtpSink, free_port
from mitra.testing import TEST_PASSWORD, make_patient

pytestmark = pytest.mark.django_db

# Words a reminder must never carry, besides every instrument's id, short name and name.
CLINICAL = ("depress", "anxi", "alcohol", "kratom", "kava", "craving", "withdrawal", "mood",
            "substance", "suicid", "diary", "questionnaire", "opioid")


def _without_links(text: str) -> str:
    return re.sub(r"https?://\S+", "", text)


def _forbidden_words() -> list[str]:
    words = list(CLINICAL)
    for inst in library().values():
        words += [inst.id, inst.short_name, inst.name]
    return [w.lower() for w in words]


def _link(text: str, path_start: str) -> str:
    (url,) = re.findall(rf"https?://\S*{re.escape(path_start)}\S*", text)[:1]
    return url


def test_the_mail_says_only_that_a_check_in_waits_and_its_link_leads_to_the_form(
        cast, smtp, django_capture_on_commit_callbacks):
    schedule(cast.patient, instrument="phq9")
    assert plan_due(NOON) == 1
    with SmtpSink() as sink:
        smtp(sink.port)
        assert dispatch.send_due(NOON) == 1
        assert dispatch.send_due(NOON) == 0
    (received,) = sink.received
    message = received.message
    assert received.rcpt_tos == [cast.patient_user.email]
    assert message["Subject"] == SUBJECT == "You have a check-in waiting"
    text, html = parts(message)
    assert "You have a check-in waiting" in text and "Open my check-in" in html
    for part in (message["Subject"], _without_links(text), re.sub(r'"https?://[^"]+"', "", html)):
        found = [w for w in _forbidden_words() if w in part.lower()]
        assert not found, f"clinical words in the message: {found}"
    # RFC 8058 one-click unsubscribe, with a signed URL.
    # (A long header is folded onto a second line, as RFC 5322 allows.)
    unsubscribe = "".join(message["List-Unsubscribe"].split()).strip("<>")
    assert unsubscribe.startswith("http://mitra.test/r/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    prompt = Prompt.objects.get()
    assert prompt.state == Prompt.State.SENT and prompt.sent_at == NOON
    assert message["Message-ID"].startswith(f"<reminder.{prompt.uuid}.email@")

    # The one-tap link: sign-in first, then straight on to the due form.
    link = path_of(_link(text, "/r/"))
    assert link == path_of(re.search(r'href="([^"]+/r/[^"]+)"', html).group(1))
    client = Client()
    to_login = client.get(link)
    assert to_login.status_code == 302
    assert to_login["Location"] == f"{reverse('account_login')}?next={link}"
    landed = client.post(to_login["Location"], {"login": "pat", "password": TEST_PASSWORD},
                         follow=True)
    assert landed.status_code == 200
    assert landed.redirect_chain[-1][0] == reverse("measures:fill", args=["phq9"])
    prompt.refresh_from_db()
    assert prompt.state == Prompt.State.OPENED and prompt.opened_at is not None
    assert AuditEvent.objects.filter(event=Event.REMINDERS_PROMPT_OPENED,
                                     object_uuid=prompt.uuid).count() == 1

    # Submitting the form answers the prompt (after the response's commit).
    answers = {f"q{n}": "0" for n in range(1, 10)} | {"response_uuid": str(uuid.uuid4())}
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(reverse("measures:fill", args=["phq9"]), answers)
    assert saved.status_code == 302
    prompt.refresh_from_db()
    assert prompt.state == Prompt.State.ANSWERED and prompt.answered_at is not None
    # Its link now says so rather than reopen it.
    again = client.get(link)
    assert again.status_code == 302 and again["Location"] == reverse("core:me")


def test_while_smtp_is_down_it_retries_with_backoff_then_sends_exactly_one(cast, smtp):
    schedule(cast.patient)
    plan_due(NOON)
    port = free_port()  # nothing listens: connection refused
    smtp(port)
    with pytest.raises(jobs.JobFailed) as failed:
        dispatch.send_due(NOON)
    (failure,) = failed.value.failures
    assert failure.item == "email: 1 delivery"
    assert "cannot connect to the mail server: ConnectionRefusedError" in failure.line()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (
        Delivery.State.PENDING, 1, NOON + timedelta(minutes=1))
    assert "ConnectionRefusedError" in delivery.last_error
    assert dispatch.send_due(NOON + timedelta(seconds=30)) == 0  # not due yet: no try
    with pytest.raises(jobs.JobFailed):
        dispatch.send_due(NOON + timedelta(minutes=1))
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (2, NOON + timedelta(minutes=3))
    assert Prompt.objects.get().state == Prompt.State.PLANNED
    with SmtpSink(port) as sink:
        assert dispatch.send_due(NOON + timedelta(minutes=3)) == 1
        assert dispatch.send_due(NOON + timedelta(minutes=10)) == 0
    assert len(sink.received) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (Delivery.State.SENT, 3)
    assert Prompt.objects.get().state == Prompt.State.SENT


def test_undelivered_when_the_window_closes_the_prompt_fails_with_the_reason(cast, smtp):
    schedule(cast.patient, window_minutes=180)
    plan_due(NOON)
    smtp(free_port())
    at, tries = NOON, 0
    delivery = Delivery.objects.get()
    while delivery.state == Delivery.State.PENDING:
        with pytest.raises(jobs.JobFailed):
            dispatch.send_due(at)
        tries += 1
        delivery.refresh_from_db()
        at = delivery.next_attempt_at
    # 1, 2, 4, 8, 16, 32, 60 minutes later; the next after that would be past the close.
    assert tries == 8 and delivery.attempts == 8
    assert delivery.state == Delivery.State.FAILED
    assert delivery.last_error.startswith("not delivered before the check-in closed: cannot "
                                          "connect")
    prompt = Prompt.objects.get()
    assert prompt.state == Prompt.State.FAILED and prompt.closed_at is not None
    assert prompt.failure.startswith("email: not delivered before the check-in closed")
    dispatch.expire(prompt.expires_at)
    prompt.refresh_from_db()
    assert prompt.state == Prompt.State.FAILED  # the failure stays the story


def test_a_dead_workers_delivery_fails_as_outcome_unknown_and_is_never_resent(cast, smtp):
    schedule(cast.patient)
    plan_due(NOON)
    claimed = dispatch._claim(NOON, 10, set())  # a worker claims it ... and dies
    assert len(claimed) == 1
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.SENDING
    with SmtpSink() as sink:
        smtp(sink.port)
        assert dispatch.send_due(NOON + timedelta(minutes=5)) == 0  # a live claim: left alone
        with pytest.raises(jobs.JobFailed) as failed:
            dispatch.send_due(delivery.claimed_until + timedelta(seconds=1))
        assert dispatch.send_due(delivery.claimed_until + timedelta(minutes=5)) == 0
    assert sink.received == []
    assert "outcome unknown, not resent" in failed.value.failures[0].line()
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED
    prompt = Prompt.objects.get()
    assert prompt.state == Prompt.State.FAILED
    assert prompt.failure.startswith("email: outcome unknown, not resent")


def test_a_refused_address_fails_at_once_and_the_others_are_sent(cast, smtp):
    schedule(cast.patient)
    schedule(cast.other_patient)
    plan_due(NOON)
    with SmtpSink(refuse=frozenset({cast.patient_user.email})) as sink:
        smtp(sink.port)
        with pytest.raises(jobs.JobFailed) as failed:
            dispatch.send_due(NOON)
    assert failed.value.done == 1 and len(sink.received) == 1
    assert "address refused" in failed.value.failures[0].line()
    ours = Prompt.objects.get(patient=cast.patient)
    assert ours.state == Prompt.State.FAILED and "550" in ours.failure
    assert Prompt.objects.get(patient=cast.other_patient).state == Prompt.State.SENT


def test_a_prompt_answered_while_smtp_was_down_is_not_mailed_afterwards(
        cast, smtp, django_capture_on_commit_callbacks):
    schedule(cast.patient, instrument="gad7")
    plan_due(NOON)
    port = free_port()
    smtp(port)
    with pytest.raises(jobs.JobFailed):
        dispatch.send_due(NOON)
    with django_capture_on_commit_callbacks(execute=True):
        do_submit_response(cast.patient, instrument="gad7",
                           answers={f"gad7.q{n}": 0 for n in range(1, 8)},
                           response_uuid=uuid.uuid4(), acting=cast.patient_user)
    assert Prompt.objects.get().state == Prompt.State.ANSWERED
    with SmtpSink(port) as sink:
        assert dispatch.send_due(NOON + timedelta(minutes=1)) == 0
    assert sink.received == []
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.CANCELLED
    assert delivery.last_error == "not needed: the check-in was answered first"


def test_expiry_closes_unanswered_prompts_and_leaves_answered_ones(cast):
    sent = schedule(cast.patient, window_minutes=60)
    schedule(cast.other_patient, window_minutes=60)
    plan_due(NOON)
    Prompt.objects.filter(schedule=sent).update(state=Prompt.State.SENT, sent_at=NOON)
    Prompt.objects.filter(patient=cast.other_patient).update(state=Prompt.State.ANSWERED)
    Delivery.objects.filter(prompt__patient=cast.other_patient).delete()
    assert dispatch.expire(NOON + timedelta(minutes=59)) == 0
    # Our prompt was sent (expires); Team B's was answered (stays); no delivery is pending.
    Delivery.objects.filter(prompt__schedule=sent).update(state=Delivery.State.SENT)
    assert dispatch.expire(NOON + timedelta(minutes=60)) == 1
    ours = Prompt.objects.get(schedule=sent)
    assert ours.state == Prompt.State.EXPIRED and ours.closed_at == NOON + timedelta(hours=1)
    assert Prompt.objects.get(patient=cast.other_patient).state == Prompt.State.ANSWERED
    assert dispatch.expire(NOON + timedelta(hours=2)) == 0


def test_a_pending_delivery_when_the_window_closes_fails_with_its_prompt(cast):
    schedule(cast.patient, window_minutes=60)
    plan_due(NOON)  # never sent: the sender did not run at all
    assert dispatch.expire(NOON + timedelta(hours=1)) == 1
    prompt = Prompt.objects.get()
    assert prompt.state == Prompt.State.FAILED
    assert prompt.failure == "email: not delivered before the check-in closed"


def _due_patients(count: int, at: time, prefix: str) -> None:
    for n in range(count):
        schedule(make_patient(f"{prefix}{n}", f"Patient {prefix}{n}"), form="diary", at=at)


def test_the_senders_query_count_does_not_grow_with_the_deliveries(cast, mailoutbox):
    _due_patients(10, time(13, 0), "a")
    _due_patients(50, time(14, 0), "b")
    one, two = NOON + timedelta(hours=1), NOON + timedelta(hours=2)
    plan_due(one)
    plan_due(two)
    with CaptureQueriesContext(connection) as ten:
        assert dispatch.send_due(one, batch=100) == 10
    with CaptureQueriesContext(connection) as fifty:
        assert dispatch.send_due(two, batch=100) == 50
    assert len(ten) == len(fifty), "\n".join(q["sql"][:200] for q in fifty)
    assert len(mailoutbox) == 60
    assert {m.subject for m in mailoutbox} == {SUBJECT}
