"""The demo's alert follow-up: an inbox that looks like a working clinic's, stories kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.lib import conf
from mitra.patients.cohort import SUICIDE_RISK, app_populators, build_cohort, team_for
from mitra.safety import escalation
from mitra.safety.actions import do_raise_alert
from mitra.safety.demo import ONGOING_DAYS, RESOLVED_AFTER_DAYS, REVIEWED_AFTER_DAYS
from mitra.safety.models import Alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    ctx = build_cohort(patients=20, days=120, seed=5)
    for _label, step in app_populators():
        step(ctx)
    return ctx


@pytest.mark.slow
def test_old_alerts_were_followed_up_by_the_patients_own_team(cohort):
    now = timezone.now()
    alerts = list(Alert.objects.select_related("acknowledged_by", "resolved_by", "patient"))
    assert alerts, "the demo raises alerts"
    team_of = {dp.patient.pk: team_for(dp.index) for dp in cohort.patients}
    story_of = {dp.patient.pk: dp.trajectory for dp in cohort.patients}
    resolved = [a for a in alerts if a.status == Alert.Status.RESOLVED]
    assert resolved
    for alert in alerts:
        age = now - alert.created_at
        if story_of[alert.patient_id] == SUICIDE_RISK and alert.kind == Alert.Kind.SUICIDE_RISK:
            # Acknowledged by the patient's own team before the escalation time, never
            # resolved: the team still follows the risk.
            assert alert.status == Alert.Status.ACKNOWLEDGED
            assert [t.name for t in alert.acknowledged_by.care_teams.all()] == [
                team_of[alert.patient_id]]
            assert alert.created_at < alert.acknowledged_at < alert.created_at + timedelta(
                minutes=conf.alert_escalation_minutes())
            continue
        if age < timedelta(days=REVIEWED_AFTER_DAYS):
            assert alert.status == Alert.Status.OPEN
            continue
        assert alert.status != Alert.Status.OPEN
        reviewer = alert.acknowledged_by
        assert [t.name for t in reviewer.care_teams.all()] == [team_of[alert.patient_id]]
        assert alert.created_at < alert.acknowledged_at < alert.created_at + timedelta(hours=11)
        if alert.status == Alert.Status.RESOLVED:
            assert age > timedelta(days=RESOLVED_AFTER_DAYS)
            assert alert.resolution_note
            assert alert.resolved_by == reviewer
            assert alert.resolved_at > alert.acknowledged_at
        else:
            assert age < timedelta(days=ONGOING_DAYS)
    # The demo's urgent story is still in the inbox (which hides only resolved alerts).
    story = next(dp for dp in cohort.patients if dp.trajectory == SUICIDE_RISK)
    assert Alert.objects.filter(patient=story.patient, kind=Alert.Kind.SUICIDE_RISK,
                                status=Alert.Status.ACKNOWLEDGED, resolved_at=None).exists()


@pytest.mark.slow
def test_starting_the_demo_mails_no_one_about_its_weeks_old_alerts(cohort, settings, mailoutbox):
    """`make run` used to e-mail the console about the demo's weeks-old suicide-risk alert
    five seconds after start: the escalation job found it open and unacknowledged."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    old_urgent = Alert.objects.filter(priority=Alert.Priority.URGENT,
                                      created_at__lt=timezone.now() - timedelta(days=1))
    assert old_urgent.exists(), "the demo has its old urgent alert"
    assert not escalation.due_for_escalation(timezone.now()).exists()
    assert escalation.escalate_due_alerts(timezone.now()) == 0
    assert mailoutbox == []
    # A fresh urgent alert is still escalated as ever: the job itself is not switched off.
    story = next(dp for dp in cohort.patients if dp.trajectory == SUICIDE_RISK)
    fresh, _ = do_raise_alert(story.patient, kind=Alert.Kind.SUICIDE_RISK,
                              priority=Alert.Priority.URGENT, reason="test: new answer",
                              dedupe_key="test:fresh")
    later = timezone.now() + timedelta(minutes=conf.alert_escalation_minutes() + 1)
    assert escalation.escalate_due_alerts(later) == 1
    assert len(mailoutbox) == 1 and story.patient.pseudonym in mailoutbox[0].subject
