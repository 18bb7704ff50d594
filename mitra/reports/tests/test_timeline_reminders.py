"""The timeline's reminders panel: the patient's figures over 14 and 30 days, in words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mitra.reports.templatetags.reports_tags import wait
from mitra.reports.tests.helpers import add_prompts
from mitra.testing import MARKER, login, make_cast

pytestmark = pytest.mark.django_db


def _panel(body: str) -> str:
    start = body.index('class="card reminders-panel"')
    return body[start:body.index("</section>", start)]


def test_the_panel_shows_both_windows_the_median_and_the_streak(client):
    cast = make_cast()
    # 21 days, oldest first; today's "o" still open. Last 14: 13 settled, 6 answered.
    add_prompts(cast.patient, "aaaaaaa" + "mammamaammmaao")
    login(client, cast.readonly)  # read-only members of the team see it too
    response = client.get(reverse("reports:timeline", args=[cast.patient.uuid]))
    assert response.status_code == 200
    panel = _panel(response.content.decode())
    assert "6 of 13 (46%)" in panel
    assert "&#9660; low adherence" in panel
    assert "13 of 20 (65%)" in panel  # 30 days: the seven answered before count too
    assert "30 min" in panel and "(30 days)" in panel
    assert "2 answered in a row" in panel
    assert "1 still to answer" in panel
    assert "under 70% over 14 days, once at least 4 were sent" in panel


def test_a_patient_without_reminders_reads_none_sent(client):
    cast = make_cast()
    add_prompts(cast.other_patient, "mmmm")  # another team's patient: not counted here
    login(client, cast.clinician)
    panel = _panel(client.get(reverse("reports:timeline", args=[cast.patient.uuid]))
                   .content.decode())
    assert "No reminder sent in the last 30 days." in panel
    assert MARKER not in panel


def test_too_few_reminders_are_never_called_low(client):
    cast = make_cast()
    add_prompts(cast.patient, "mma")
    login(client, cast.clinician)
    panel = _panel(client.get(reverse("reports:timeline", args=[cast.patient.uuid]))
                   .content.decode())
    assert "1 of 3 (33%)" in panel and "too few to tell" in panel
    assert "low adherence</span>" not in panel


@pytest.mark.parametrize(("minutes", "words"), [
    (None, ""), (0.4, "under a minute"), (1, "1 min"), (45.4, "45 min"), (60, "1 h"),
    (130, "2 h 10 min"), (24 * 60, "1 d"), (3 * 24 * 60 + 4 * 60 + 20, "3 d 4 h"),
])
def test_a_wait_in_words(minutes, words):
    assert wait(minutes) == words
