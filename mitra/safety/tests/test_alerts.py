"""The alert inbox: access, acknowledge and resolve, escalation, the suicide-risk pathway."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from mitra.audit.models import AuditEvent
from mitra.measures.actions import do_submit_response
from mitra.measures.models import Response
from mitra.safety.actions import do_raise_alert, do_raise_new_alerts
from mitra.safety.escalation import escalate_due_alerts
from mitra.safety.models import Alert
from mitra.safety.tests.factories import make_alert
from mitra.testing import MARKER, login, make_cast, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _client(user) -> Client:
    return login(Client(), user)


def test_the_inbox_shows_urgent_alerts_first_and_only_the_own_teams(cast):
    make_alert(cast.patient, priority=Alert.Priority.LOW, key="low", reason="low one")
    make_alert(cast.patient, priority=Alert.Priority.URGENT, key="urgent", reason="urgent one")
    make_alert(cast.patient, priority=Alert.Priority.HIGH, key="high", reason="high one")
    make_alert(cast.other_patient, key="other", reason="other team's alert")
    page = _client(cast.clinician).get(reverse("safety:inbox")).content.decode()
    assert page.index("urgent one") < page.index("high one") < page.index("low one")
    assert "other team" not in page and MARKER not in page


def test_a_clinician_acknowledges_an_alert(cast):
    alert = make_alert(cast.patient)
    response = _client(cast.clinician).post(reverse("safety:alert_ack", args=[alert.uuid]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.acknowledged_by == cast.clinician and alert.acknowledged_at
    assert AuditEvent.objects.filter(event="alert.acknowledged", object_uuid=alert.uuid).exists()


def test_another_teams_clinician_gets_404(cast):
    alert = make_alert(cast.patient)
    response = _client(cast.other_clinician).post(reverse("safety:alert_ack", args=[alert.uuid]))
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_a_read_only_clinician_gets_403_on_acknowledge_and_resolve(cast):
    alert = make_alert(cast.patient)
    client = _client(cast.readonly)
    assert client.post(reverse("safety:alert_ack", args=[alert.uuid])).status_code == 403
    response = client.post(reverse("safety:alert_resolve", args=[alert.uuid]), {"note": "x"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_acknowledge_is_post_only(cast):
    alert = make_alert(cast.patient)
    response = _client(cast.clinician).get(reverse("safety:alert_ack", args=[alert.uuid]))
    assert response.status_code == 405


def test_resolving_needs_a_note_and_keeps_it_out_of_the_audit_detail(cast):
    alert = make_alert(cast.patient)
    client = _client(cast.clinician)
    client.post(reverse("safety:alert_resolve", args=[alert.uuid]), {"note": ""})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN
    client.post(reverse("safety:alert_resolve", args=[alert.uuid]),
                {"note": "Called the patient; safe, plan reviewed"})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolution_note == "Called the patient; safe, plan reviewed"
    event = AuditEvent.objects.get(event="alert.resolved", object_uuid=alert.uuid)
    assert "Called" not in event.detail


def test_escalation_runs_twice_and_notifies_once(cast):
    alert = make_alert(cast.patient)
    later = alert.created_at + timedelta(minutes=31)
    assert escalate_due_alerts(later) == 1
    assert escalate_due_alerts(later) == 0
    assert escalate_due_alerts(later + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1
    # The care team: the write and the read-only clinician of Team A, nobody from Team B.
    assert sorted(mail.outbox[0].to) == sorted([cast.clinician.email, cast.readonly.email])
    assert cast.patient.display_name not in mail.outbox[0].body
    alert.refresh_from_db()
    # The run's time when the mail went out: `later`, moved on by the seconds the run took.
    assert later <= alert.escalated_at < later + timedelta(minutes=1)
    assert alert.escalation_claim == "" and alert.escalation_claimed_at is None


def test_escalation_waits_for_the_configured_time(cast, settings):
    settings.MITRA_ALERT_ESCALATION_MINUTES = 10
    alert = make_alert(cast.patient)
    assert escalate_due_alerts(alert.created_at + timedelta(minutes=9)) == 0
    assert escalate_due_alerts(alert.created_at + timedelta(minutes=10)) == 1


def test_an_acknowledged_or_non_urgent_alert_is_not_escalated(cast):
    acked = make_alert(cast.patient, key="a")
    _client(cast.clinician).post(reverse("safety:alert_ack", args=[acked.uuid]))
    make_alert(cast.patient, key="b", priority=Alert.Priority.HIGH)
    assert escalate_due_alerts(timezone.now() + timedelta(hours=2)) == 0
    assert mail.outbox == []


def test_the_escalate_command_calls_the_same_job(cast):
    from io import StringIO

    from django.core.management import call_command

    alert = make_alert(cast.patient)
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("escalate", stdout=out)
    call_command("escalate", stdout=out)
    assert "Escalated 1 urgent alert " in out.getvalue()
    assert "Escalated 0 urgent alerts" in out.getvalue()
    assert len(mail.outbox) == 1


def test_the_task_escalates_too(cast):
    from mitra.safety.tasks import escalate_alerts

    alert = make_alert(cast.patient)
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert escalate_alerts.call() == 1
    assert escalate_alerts.call() == 0


# ---- the suicide-risk pathway, through the real PHQ-9 submission --------------------------

def phq9_post(values) -> dict:
    """The PHQ-9 form's POST: q1..q9 (an item left out when None) and a fresh submission UUID."""
    data = {f"q{n}": v for n, v in enumerate(values, start=1) if v is not None}
    return {**data, "response_uuid": str(uuid.uuid4())}


def phq9_answers(*values) -> dict:
    return {f"phq9.q{n}": v for n, v in enumerate(values, start=1)}


ALERTED = "Your care team has been told"
NOT_ALERTED = "Opening this page does not contact your care team"


def test_item_9_above_zero_on_the_form_raises_the_urgent_alert_and_shows_the_crisis_page(cast):
    client = _client(cast.patient_user)
    page = client.post(reverse("measures:fill", args=["phq9"]),
                       phq9_post([0, 1, 0, 0, 0, 0, 0, 0, 2]), follow=True)
    assert page.redirect_chain == [(reverse("safety:crisis"), 302)]
    response = Response.objects.get(patient=cast.patient)
    alert = Alert.objects.get(patient=cast.patient)
    assert alert.priority == Alert.Priority.URGENT and alert.kind == Alert.Kind.SUICIDE_RISK
    assert alert.status == Alert.Status.OPEN and alert.source_uuid == response.uuid
    html = page.content.decode()
    assert "988" in html and "911" in html
    assert reverse("safety:my_plan") in html  # the crisis page opens the safety plan
    assert ALERTED in html and NOT_ALERTED not in html
    inbox = _client(cast.clinician).get(reverse("safety:inbox")).content.decode()
    # The card names the kind once and gives the reason without repeating it.
    assert escape("PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered"
                  " above 'Not at all', regardless of the total") in inbox
    assert "Possible suicide risk" not in inbox and "PHQ-9: " not in inbox


def test_the_alert_and_the_response_are_stored_together_or_not_at_all(cast, monkeypatch):
    from mitra.measures import actions as measures_actions

    real_raise = measures_actions.do_raise_alert

    def raise_then_fail(*args, **kwargs):
        real_raise(*args, **kwargs)  # the alert row is written...
        raise RuntimeError("...and then the submission fails")

    monkeypatch.setattr(measures_actions, "do_raise_alert", raise_then_fail)
    with pytest.raises(RuntimeError):
        do_submit_response(cast.patient, instrument="phq9",
                           answers=phq9_answers(0, 0, 0, 0, 0, 0, 0, 0, 3),
                           response_uuid=uuid.uuid4(), acting=cast.patient_user)
    assert not Alert.objects.exists() and not Response.objects.exists()

    monkeypatch.undo()
    response, created = do_submit_response(
        cast.patient, instrument="phq9", answers=phq9_answers(0, 0, 0, 0, 0, 0, 0, 0, 3),
        response_uuid=uuid.uuid4(), acting=cast.patient_user)
    assert created
    assert Alert.objects.get(source_uuid=response.uuid).priority == Alert.Priority.URGENT


def test_item_9_at_zero_raises_nothing_and_the_crisis_page_promises_no_call(cast):
    client = _client(cast.patient_user)
    page = client.post(reverse("measures:fill", args=["phq9"]),
                       phq9_post([1, 1, 0, 0, 0, 0, 0, 0, 0]))
    response = Response.objects.get(patient=cast.patient)
    # Not the crisis page: the confirmation with the score.
    assert page.status_code == 302
    assert page["Location"] == reverse("measures:saved", args=[response.uuid])
    assert not Alert.objects.filter(kind=Alert.Kind.SUICIDE_RISK).exists()
    html = client.get(reverse("safety:crisis")).content.decode()
    assert "988" in html and NOT_ALERTED in html and ALERTED not in html


def test_need_help_now_without_an_alert_does_not_claim_the_team_was_told(cast):
    client = _client(cast.patient_user)
    html = client.get(reverse("safety:crisis")).content.decode()
    assert NOT_ALERTED in html and ALERTED not in html and "will contact" not in html
    # Nor for alerts that are not an urgent suicide-risk alert of this patient, just now:
    make_alert(cast.patient, key="high", priority=Alert.Priority.HIGH)  # item 9 left out
    make_alert(cast.patient, key="interaction", kind=Alert.Kind.INTERACTION)
    make_alert(cast.other_patient, key="other")
    old = make_alert(cast.patient, key="old")
    Alert.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    resolved = make_alert(cast.patient, key="resolved")
    Alert.objects.filter(pk=resolved.pk).update(status=Alert.Status.RESOLVED)
    html = client.get(reverse("safety:crisis")).content.decode()
    assert NOT_ALERTED in html and ALERTED not in html
    # A made-up query string claims nothing either.
    html = client.get(reverse("safety:crisis") + "?alerted=1").content.decode()
    assert ALERTED not in html


def test_a_clinician_opening_the_crisis_page_sees_no_claim_either_way(cast):
    make_alert(cast.patient)
    html = _client(cast.clinician).get(reverse("safety:crisis")).content.decode()
    assert "988" in html and ALERTED not in html and NOT_ALERTED not in html


def test_the_crisis_page_follows_the_patients_country(cast):
    from mitra.patients.models import Intake

    Intake.objects.create(patient=cast.patient, jurisdiction="GB", substances=["kratom"])
    html = _client(cast.patient_user).get(reverse("safety:crisis")).content.decode()
    assert "116 123" in html and "999" in html
    html = _client(cast.patient_user).get(reverse("safety:crisis") + "?locale=en-US").content
    assert b"988" in html


def test_only_alerts_with_new_dedupe_keys_are_raised(cast):
    def spec(key: str) -> dict:
        return dict(kind=Alert.Kind.ESCALATION, priority=Alert.Priority.NORMAL,
                    reason=f"reason {key}", dedupe_key=key)

    before = make_alert(cast.patient, key="diary:escalation:kratom_powder:2026-11-01")
    source = uuid.uuid4()
    raised = do_raise_new_alerts(
        cast.patient, [spec(before.dedupe_key), spec("diary:co_use:2026-11-02")],
        source_uuid=source, acting=cast.patient_user)
    assert [a.dedupe_key for a in raised] == ["diary:co_use:2026-11-02"]
    assert raised[0].source_uuid == source
    assert AuditEvent.objects.filter(event="alert.raised", object_uuid=raised[0].uuid).exists()
    assert AuditEvent.objects.filter(event="alert.raised", object_uuid=before.uuid).count() == 1
    again = do_raise_new_alerts(cast.patient, [spec("diary:co_use:2026-11-02")])
    assert again == [] and Alert.objects.filter(patient=cast.patient).count() == 2


def test_new_alerts_are_stored_as_the_orm_would_and_once_per_key(cast):
    key = "diary:co_use:2026-11-03"
    spec = dict(kind=Alert.Kind.CO_USE, priority=Alert.Priority.HIGH, reason="r" * 400,
                dedupe_key=key, evidence_url="/diary/")
    raised = do_raise_new_alerts(cast.patient, [spec, {**spec, "reason": "again"}])
    assert len(raised) == 1
    stored = Alert.objects.get(patient=cast.patient, dedupe_key=key)
    assert (stored.pk, stored.uuid, stored.created_at) == (
        raised[0].pk, raised[0].uuid, raised[0].created_at)
    assert stored.status == Alert.Status.OPEN and stored.reason == "r" * 300
    assert stored.kind == Alert.Kind.CO_USE and stored.priority == Alert.Priority.HIGH
    # The same key for another patient is that patient's own alert.
    other = make_patient("other-keys", "Other Keys", cast.team_a)
    assert len(do_raise_new_alerts(other, [spec])) == 1


def test_a_key_longer_than_its_column_is_found_again(cast):
    spec = dict(kind=Alert.Kind.ESCALATION, priority=Alert.Priority.NORMAL, reason="long key",
                dedupe_key="diary:escalation:" + "x" * 150)
    first, created = do_raise_alert(cast.patient, **spec)
    again, created_again = do_raise_alert(cast.patient, **spec)
    assert created and not created_again and again.pk == first.pk
    assert do_raise_new_alerts(cast.patient, [spec]) == []
    assert len(first.dedupe_key) == 120
