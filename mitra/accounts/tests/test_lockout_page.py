"""The lockout page says how long the lock lasts in words, not as an ISO 8601 duration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from mitra.accounts.templatetags.lockout import in_words
from mitra.testing import TEST_PASSWORD, make_cast

LOGIN = "/accounts/login/"


@pytest.mark.django_db
@pytest.mark.parametrize("minutes, words", [(15, "15 minutes"), (60, "1 hour"),
                                            (90, "1 hour 30 minutes")])
def test_the_lockout_page_says_the_cool_off_in_words(settings, minutes, words):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=minutes)
    cache.clear()
    make_cast()
    client = Client()
    for _ in range(5):
        client.post(LOGIN, {"login": "pat", "password": "a wrong guess"})
    response = client.post(LOGIN, {"login": "pat", "password": TEST_PASSWORD})
    assert response.status_code == 429
    page = response.content.decode()
    assert f"Try again in {words}," in page
    assert "PT" not in page.split("<main", 1)[-1]  # no "PT15M" anywhere in the page body
    cache.clear()


@pytest.mark.parametrize("delta, words", [
    (timedelta(minutes=15), "15 minutes"),
    (timedelta(minutes=1), "1 minute"),
    (timedelta(hours=2), "2 hours"),
    (timedelta(hours=1, minutes=1), "1 hour 1 minute"),
    (timedelta(days=1, hours=3), "1 day 3 hours"),
    (timedelta(seconds=45), "45 seconds"),
    (timedelta(minutes=2, seconds=30), "2 minutes 30 seconds"),
])
def test_durations_in_words(delta, words):
    assert in_words(delta) == words


def test_a_missing_or_empty_duration_reads_as_a_while():
    assert in_words(None) == "a while"
    assert in_words(timedelta(0)) == "a while"
