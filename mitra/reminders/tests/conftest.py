"""Helpers of the reminder tests: schedules at a chosen local time, a fixed clock, SMTP on
loopback (the escalation tests' real servers, `mitra.safety.tests.smtpservers`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from email.message import Message
from urllib.parse import urlsplit

import pytest
import time_machine

from mitra.measures.models import Schedule
from mitra.patients.models import Patient
from mitra.testing import make_cast

# A Monday, noon UTC: the tests' clock unless they move it.
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TIMEOUT = 2  # EMAIL_TIMEOUT in these tests, seconds


@pytest.fixture
def clock():
    """Time stands still at NOON (`clock.move_to(...)` moves it)."""
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cast(db, clock):
    return make_cast()


def schedule(patient: Patient, *, at: time = time(12, 0), form: str = "questionnaire",
             instrument: str = "phq9", every_days: int | None = 1, start: date | None = None,
             window_minutes: int = 180, random_minutes: int = 0) -> Schedule:
    """A schedule saved the way an action saves one (its save signal plans its first time)."""
    return Schedule.objects.create(
        patient=patient, form=form, instrument="" if form == "diary" else instrument,
        cadence=Schedule.Cadence.INTERVAL if every_days else Schedule.Cadence.ONCE,
        every_days=every_days, start=start or NOON.date(), time_of_day=at,
        window_minutes=window_minutes, random_minutes=random_minutes)


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend pointed at a port on loopback; returns a function taking it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = TIMEOUT
    settings.EMAIL_USE_TLS = False
    settings.MITRA_BASE_URL = "http://mitra.test"

    def use(port: int) -> None:
        settings.EMAIL_PORT = port
    return use


def parts(message: Message) -> tuple[str, str]:
    """(plain text, HTML) of a reminder as received."""
    text = html = ""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if part.get_content_type() == "text/plain":
            text = bytes(payload).decode()
        elif part.get_content_type() == "text/html":
            html = bytes(payload).decode()
    return text, html


def path_of(url: str) -> str:
    return urlsplit(url).path
