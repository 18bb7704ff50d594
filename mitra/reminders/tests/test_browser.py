"""On a phone (390x844), the patient follows the e-mailed one-tap link in Chromium: sign-in,
then the due questionnaire; the home page's notice leads there too; answering it answers the
prompt."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mitra.measures.models import Schedule
from mitra.reminders import dispatch
from mitra.reminders.models import Prompt
from mitra.reminders.planner import plan_due
from mitra.reminders.tests.conftest import parts
from mitra.safety.tests.smtpservers import SmtpSink
from mitra.testing import TEST_PASSWORD, make_patient
from tests.browser import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(chromium_browser, live_server, transactional_db):
    context = chromium_browser.new_context(base_url=live_server.url,
                                           viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_emailed_link_leads_through_sign_in_to_the_due_form(phone, live_server, smtp,
                                                                 settings):
    settings.MITRA_BASE_URL = live_server.url
    patient = make_patient("pat", "Pat Example")
    now = timezone.now()
    due = now - timedelta(minutes=1)
    Schedule.objects.create(patient=patient, instrument="phq9", every_days=14,
                            start=due.date(), time_of_day=due.time().replace(microsecond=0))
    assert plan_due(now) == 1
    with SmtpSink() as sink:
        smtp(sink.port)
        assert dispatch.send_due(now) == 1
    text, _html = parts(sink.received[0].message)
    link = re.search(r"Open it: (\S+)", text).group(1)
    assert link.startswith(f"{live_server.url}/r/")

    page = phone
    page.goto(link)
    assert "/accounts/login/" in page.url
    page.fill("input[name=login]", "pat")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/measures/me/phq9/")
    assert page.get_by_role("heading", name="PHQ-9").is_visible()
    assert Prompt.objects.get().state == Prompt.State.OPENED
    screenshot(page, "reminders-link-to-form-phone")

    # The home page's in-app notice leads to the same form.
    page.goto(reverse("core:me"))
    card = page.locator("section.card").filter(
        has=page.get_by_role("heading", name="Check-ins waiting"))
    assert card.is_visible()
    screenshot(page, "reminders-home-card-phone")
    card.get_by_role("link", name="PHQ-9").click()
    page.wait_for_load_state()
    assert page.url.endswith("/measures/me/phq9/")

    fieldsets = page.locator("fieldset")
    for index in range(9):
        fieldsets.nth(index).get_by_label("Not at all").check()
    fieldsets.nth(9).get_by_label("Not difficult at all").check()
    page.get_by_role("button", name="Save answers").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your PHQ-9 answers are saved").is_visible()
    prompt = Prompt.objects.get()
    assert prompt.state == Prompt.State.ANSWERED and prompt.answered_at is not None
