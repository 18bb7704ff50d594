"""Property tests over the alert resolution form (issue 16, item 16).

A hostile note (NUL, lone surrogates, very long text) and a hostile `next` address: never a
5xx; a refused note leaves the alert open, with no note and no "resolved" audit event; a
resolved alert holds text a database can hold.
"""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mitra.audit.models import AuditEvent
from mitra.lib.untrusted import text_problem
from mitra.safety.models import Alert
from mitra.safety.tests.factories import make_alert
from mitra.testing import login, make_cast
from tests.hostile import form_encoded, hostile_text

keys = itertools.count()
next_url = st.one_of(st.none(), hostile_text, st.sampled_from(
    ["/safety/alerts/", "//evil.example/", "https://evil.example/", "/\x00", "/a\r\nb",
     "javascript:alert(1)"]))


@pytest.mark.slow
@pytest.mark.django_db
def test_resolving_an_alert_is_never_a_5xx_and_a_refused_note_changes_nothing(client):
    cast = make_cast()
    login(client, cast.clinician)

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(note=hostile_text, back=next_url)
    @example(note="before\x00after", back=None)
    @example(note="done", back="inbox")  # a bare word: once taken for a view name (500)
    def resolve(note, back):
        alert = make_alert(cast.patient, kind=Alert.Kind.MISSED_DIARY,
                           priority=Alert.Priority.NORMAL, key=f"fuzz-{next(keys)}")
        sent = {"note": note} | ({} if back is None else {"next": back})
        response = client.post(reverse("safety:alert_resolve", args=[alert.uuid]),
                               form_encoded(sent),
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 302, response.status_code
        alert.refresh_from_db()
        resolved = AuditEvent.objects.filter(event="alert.resolved", object_uuid=alert.uuid)
        if alert.status == Alert.Status.RESOLVED:
            assert alert.resolution_note and text_problem(alert.resolution_note) is None
            assert resolved.count() == 1
        else:
            assert alert.resolution_note == "" and not resolved.exists()
            assert alert.resolved_at is None

    resolve()
