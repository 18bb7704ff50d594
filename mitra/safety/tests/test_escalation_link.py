"""The escalation mail's link: absolute, from MITRA_BASE_URL (in development the address
`make run` serves); unset in production, the mail says where to go instead of a relative
link, and `mitra check` warns (tests/test_deploy_check.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.safety.escalation import escalate_due_alerts
from mitra.safety.models import Alert
from mitra.safety.tests.factories import make_alert
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cast = make_cast()
    alert = make_alert(cast.patient, key="link")
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    return alert


def test_the_link_is_the_base_urls_inbox(due, settings, mailoutbox):
    settings.MITRA_BASE_URL = "https://mitra.example.org/"
    assert escalate_due_alerts(timezone.now()) == 1
    assert "Open the alert inbox: https://mitra.example.org/safety/alerts/\n" \
        in mailoutbox[0].body


def test_without_a_base_url_the_mail_never_carries_a_relative_link(due, settings, mailoutbox):
    settings.MITRA_BASE_URL = ""
    assert escalate_due_alerts(timezone.now()) == 1
    body = mailoutbox[0].body
    assert "Sign in to Mitra and open Alerts" in body
    assert "inbox: /safety" not in body and ": /" not in body
