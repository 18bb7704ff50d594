"""`mitra remind`: plans, sends and closes once; exit 1 while the mail server is down (one line
per channel and error on stderr), 0 once it is back; `--json`; `--replan`."""

from __future__ import annotations

import json
from datetime import time

import pytest

from mitra.measures.models import Schedule
from mitra.reminders.models import Delivery, Prompt
from mitra.reminders.tests.conftest import NOON, schedule
from mitra.safety.tests.smtpservers import SmtpSink, free_port
from tests.clitools import call_mitra

pytestmark = pytest.mark.django_db(transaction=True)


def test_mitra_remind_exits_1_while_smtp_is_down_and_0_once_it_is_back(cast, smtp, clock):
    schedule(cast.patient, at=time(12, 0))
    port = free_port()
    smtp(port)
    ran = call_mitra("remind")
    assert ran.returncode == 1
    assert "Planned 1 prompts, sent 0 messages, closed 0 prompts" in ran.stdout
    line, summary = ran.stderr.strip().splitlines()
    assert line.startswith("email: 1 delivery: DeliveryError: cannot connect to the mail "
                           "server: ConnectionRefusedError")
    assert summary == ("mitra remind: error: 1 failure (listed above); the rest of the run was "
                       "done")
    assert Delivery.objects.get().state == Delivery.State.PENDING
    clock.shift(60)
    with SmtpSink(port) as sink:
        ran = call_mitra("remind", "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == {"planned": 0, "sent": 1, "closed": 0, "failures": []}
    assert len(sink.received) == 1
    assert Prompt.objects.get().state == Prompt.State.SENT


def test_mitra_remind_replan_sets_the_times_of_schedules_made_in_bulk(cast, clock, mailoutbox):
    Schedule.objects.bulk_create([Schedule(patient=cast.patient, instrument="phq9",
                                           every_days=14, start=NOON.date(),
                                           time_of_day=time(12, 0))])
    ran = call_mitra("remind")
    assert ran.returncode == 0 and "Planned 0 prompts" in ran.stdout
    ran = call_mitra("remind", "--replan")
    assert ran.returncode == 0, ran.stderr
    assert "Replanned 1 schedules." in ran.stdout and "Planned 1 prompts" in ran.stdout
    assert len(mailoutbox) == 1
