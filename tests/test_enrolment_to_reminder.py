"""The whole way, with real parts: a clinician enrols a patient from the caseload; the invitation
arrives through a real SMTP server (aiosmtpd on loopback); the patient signs up on a phone-sized
Chromium; the clinician applies a care pathway (the diary daily at 20:00); the next evening at
20:00 in the patient's own zone (Europe/Berlin) the reminder is mailed, the patient follows its
link to the diary, records the day, and the clinician sees the prompt answered.

The clock is moved with time-machine to the next day's 20:00 in Berlin, as cron would reach it;
the planner and dispatcher are the jobs `mitra remind` runs.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from mitra.measures.models import Schedule
from mitra.patients.models import Patient
from mitra.reminders import dispatch
from mitra.reminders.models import Prompt
from mitra.reminders.planner import plan_due
from mitra.safety.tests.smtpservers import SmtpSink
from mitra.testing import TEST_PASSWORD, make_cast
from tests.browser import screenshot, ui_login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
BERLIN = ZoneInfo("Europe/Berlin")
PASSWORD = "a phrase only mara knows 47"  # noqa: S105


def _body(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return bytes(part.get_payload(decode=True)).decode()
    raise AssertionError("no plain-text part")


def test_enrolment_invitation_sign_up_reminder_and_answer(browser_page, live_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = "127.0.0.1", False, 5
    settings.MITRA_BASE_URL = live_server.url
    make_cast()
    clinician = browser_page
    with SmtpSink() as sink:
        settings.EMAIL_PORT = sink.port

        # The clinician enrols Mara from the caseload.
        ui_login(clinician, "alice", TEST_PASSWORD)
        clinician.goto("/caseload/")
        clinician.get_by_role("link", name="Add patient").click()
        clinician.get_by_label("Name", exact=True).fill("Mara Beispiel")
        clinician.get_by_label("Date of birth").fill("1988-02-11")
        clinician.get_by_label("E-mail address").fill("mara@example.org")
        clinician.get_by_label("Where they live").select_option("DE")
        clinician.get_by_label("Time zone").fill("Europe/Berlin")
        clinician.get_by_label("Care team").select_option(label="Team A")
        clinician.get_by_role("button", name="Enrol and send the invitation").click()
        clinician.get_by_text("is enrolled and an invitation was sent").wait_for()
        patient = Patient.objects.get(display_name="Mara Beispiel")
        assert patient.time_zone == "Europe/Berlin"

        # The invitation arrives by SMTP.
        # Mailed after the enrolment's commit, within the request: here by now.
        assert len(sink.received) == 1, "the invitation did not arrive"
        invitation = sink.received[0]
        assert invitation.rcpt_tos == ["mara@example.org"]
        link = re.search(r"https?://\S+/accounts/invitation/[\w-]+/",
                         _body(invitation.message)).group(0)

        # Mara signs up on her phone.
        phone = clinician.context.browser.new_context(viewport=PHONE, base_url=live_server.url)
        mara = phone.new_page()
        mara.goto(link)
        mara.get_by_label("I have read the terms").check()
        mara.get_by_label("New password", exact=True).fill(PASSWORD)
        mara.get_by_label("New password confirmation").fill(PASSWORD)
        mara.get_by_role("button", name="Accept and set my password").click()
        # The consent step: she consents to sharing for treatment, payment and operations.
        mara.get_by_role("heading", name="May your care team share your records?").wait_for()
        mara.get_by_label("All my records").check()
        mara.get_by_label("Anyone receiving it for treatment").check()
        mara.get_by_label("Purpose").select_option("tpo")
        mara.get_by_label("Or until an event").fill("the end of my care here")
        mara.get_by_label("Type your full name to sign").fill("Mara Beispiel")
        screenshot(mara, "journey-consent-phone")
        mara.get_by_role("button", name="Sign this consent").click()
        mara.get_by_role("heading", name="When may we remind you?").wait_for()
        assert patient.consents.get().is_active()
        mara.get_by_label("Quiet hours from").fill("22:30")
        mara.get_by_label("Quiet hours until").fill("07:00")
        mara.get_by_role("button", name="Save and continue").click()
        mara.get_by_role("heading", name="Hello, Mara Beispiel").wait_for()
        screenshot(mara, "journey-signed-up-phone")

        # The clinician applies the anxiety pathway: the diary daily at 20:00, among others.
        clinician.goto(f"/measures/patients/{patient.uuid}/")
        clinician.get_by_label("Care pathway").select_option("anxiety")
        clinician.get_by_role("button", name="Apply pathway").click()
        clinician.wait_for_load_state()
        diary = Schedule.objects.get(patient=patient, form=Schedule.Form.DIARY, active=True)
        assert diary.time_of_day == time(20, 0)

        # Tomorrow at 20:00:30 in Berlin, as the minute's cron run finds it.
        tomorrow = timezone.now().astimezone(BERLIN).date() + timedelta(days=1)
        evening = datetime.combine(tomorrow, time(20, 0, 30), tzinfo=BERLIN)
        sink.received.clear()
        with time_machine.travel(evening, tick=True):
            plan_due(timezone.now())
            dispatch.send_due(timezone.now())
            prompt = Prompt.objects.get(schedule=diary)
            assert prompt.due_on == tomorrow
            assert prompt.fire_at.astimezone(BERLIN).time() == time(20, 0)
            assert prompt.state == Prompt.State.SENT
            reminders = [m for m in sink.received if m.rcpt_tos == ["mara@example.org"]]
            assert len(reminders) >= 1
            diary_mail = next(m for m in reminders
                              if f"/r/{prompt.uuid}/" in _body(m.message))
            assert diary_mail.message["Subject"] == "You have a check-in waiting"
            one_tap = re.search(r"Open it: (\S+)", _body(diary_mail.message)).group(1)

            # She follows it: straight to the diary (still signed in on her phone).
            mara.goto(one_tap)
            if "/accounts/login/" in mara.url:
                mara.fill("input[name=login]", patient.user.username)
                mara.fill("input[name=password]", PASSWORD)
                mara.click("form button[type=submit]")
                mara.wait_for_load_state()
            assert "/diary/" in mara.url, mara.url
            prompt.refresh_from_db()
            assert prompt.state == Prompt.State.OPENED
            mara.get_by_role("button", name="Save diary").click()
            mara.wait_for_load_state()
            screenshot(mara, "journey-diary-saved-phone")
            prompt.refresh_from_db()
            assert prompt.state == Prompt.State.ANSWERED, prompt.state

            # The clinician sees it answered on the record (signing in again: a day passed).
            ui_login(clinician, "alice", TEST_PASSWORD)
            clinician.goto(f"/patients/{patient.uuid}/")
            panel = clinician.locator("section.reminders-panel")
            panel.wait_for()
            assert "Answered" in panel.inner_text()
            screenshot(clinician, "journey-clinician-sees-answered")
        phone.close()
