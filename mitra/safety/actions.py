"""Writes of the safety app's alerts and safety plan. Each records its audit event.

Alerts: raised (`do_raise_alert`, `do_raise_new_alerts`: idempotent by dedupe key), acknowledged
and resolved by a clinician, closed when the patient caught up (`do_close_caught_up`). An
urgent one left unacknowledged is mailed to the care team by the periodic job in
`mitra.safety.escalation` (an outbox: no lock held across the mail). Other apps call
`do_raise_alert` inside their own transaction. Screening runs, and the intake and medication
changes that start one, are in `mitra.safety.screening`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.lib import conf, rowsql
from mitra.lib.idempotency import SubmissionConflict
from mitra.patients.models import Patient
from mitra.safety.models import Alert, SafetyPlan, SafetyPlanVersion

log = logging.getLogger(__name__)


def _alert_key(dedupe_key: str) -> str:
    """The key as stored: cut to its column, so a look-up finds what an insert wrote."""
    return dedupe_key[:Alert._meta.get_field("dedupe_key").max_length]


def do_raise_alert(
    patient: Patient,
    *,
    kind: str,
    priority: int,
    reason: str,
    dedupe_key: str,
    evidence_url: str = "",
    source_uuid: UUID | None = None,
    acting: Actor | None = None,
) -> tuple[Alert, bool]:
    """Create the alert unless one with this dedupe key exists; returns (alert, created).

    `acting` None: nobody acted (a periodic job); else whoever's write raised it."""
    existing = Alert.objects.filter(patient=patient, dedupe_key=_alert_key(dedupe_key)).first()
    if existing:
        return existing, False
    return _create_alert(patient, dict(kind=kind, priority=priority, reason=reason,
                                       dedupe_key=dedupe_key, evidence_url=evidence_url),
                         source_uuid, acting)


def _create_alert(patient: Patient, spec: dict[str, Any], source_uuid: UUID | None,
                  acting: Actor | None) -> tuple[Alert, bool]:
    """Insert the alert of `spec` (its key not found just before); (the alert, created)."""
    alert = Alert(patient=patient, **spec, source_uuid=source_uuid)
    alert.reason = alert.reason[:Alert._meta.get_field("reason").max_length]
    alert.dedupe_key = _alert_key(alert.dedupe_key)
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        # A concurrent request raised the same alert first; if no such alert is there, the
        # insert failed for another reason, which is the error to report.
        existing = Alert.objects.filter(patient=patient, dedupe_key=alert.dedupe_key).first()
        if existing is None:
            raise
        return existing, False
    record_audit(Event.ALERT_RAISED, acting=acting, patient=patient, obj=alert,
                 detail=alert.kind)
    if alert.priority == Alert.Priority.URGENT:
        transaction.on_commit(lambda: _schedule_escalation(alert))
    return alert, True


def do_raise_new_alerts(patient: Patient, specs: list[dict[str, Any]], *,
                        source_uuid: UUID | None = None,
                        acting: Actor | None = None) -> list[Alert]:
    """Raise each alert of `specs` (do_raise_alert's keyword arguments) whose dedupe key is new
    for the patient; returns the alerts created. The keys raised before are found in one query:
    a rule that finds the same episode day after day (diary escalation) would otherwise cost
    one look-up per alert on every submission."""
    if not specs:
        return []
    keys = [_alert_key(spec["dedupe_key"]) for spec in specs]
    raised_before = {key for key, in rowsql.rows(
        f"SELECT dedupe_key FROM {rowsql.table(Alert)} WHERE patient_id = %s "  # noqa: S608
        f"AND dedupe_key IN ({', '.join(['%s'] * len(keys))})", [patient.pk, *keys])}
    created_alerts = []
    for spec, key in zip(specs, keys, strict=True):
        if key in raised_before:
            continue
        raised_before.add(key)  # two specs with one key raise one alert
        alert, created = _create_alert(patient, spec, source_uuid, acting)
        if created:
            created_alerts.append(alert)
    return created_alerts


def _schedule_escalation(alert: Alert) -> None:
    """Ask the task backend to check this alert when its escalation time comes.

    A convenience only: `mitra escalate` (cron) finds every due alert whether or not this ran.
    """
    from django_tasks import default_task_backend

    from mitra.safety.tasks import escalate_alerts

    if not default_task_backend.supports_defer:
        return
    run_after = alert.created_at + timedelta(minutes=conf.alert_escalation_minutes(), seconds=5)
    try:
        escalate_alerts.using(run_after=run_after).enqueue()
    except Exception:  # the alert itself is saved; the cron path still escalates it
        log.exception("could not schedule escalation for alert %s", alert.uuid)


# ---- the inbox ------------------------------------------------------------------------------

@transaction.atomic
def do_acknowledge_alert(alert: Alert, *, acting: Actor) -> bool:
    """Mark an open alert acknowledged; False when it already was (or is resolved)."""
    changed = Alert.objects.filter(pk=alert.pk, status=Alert.Status.OPEN).update(
        status=Alert.Status.ACKNOWLEDGED, acknowledged_at=timezone.now(),
        acknowledged_by=actor_user(acting),
    )
    if changed:
        alert.refresh_from_db()
        record_audit(Event.ALERT_ACKNOWLEDGED, acting=acting, patient=alert.patient, obj=alert)
    return bool(changed)


@transaction.atomic
def do_resolve_alert(alert: Alert, *, note: str, acting: Actor) -> bool:
    """Resolve an alert with a note (acknowledging it too, if nobody had)."""
    user = actor_user(acting)
    now = timezone.now()
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == Alert.Status.RESOLVED:
        return False
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, user
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at, alert.resolved_by, alert.resolution_note = now, user, note
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "resolved_at",
                              "resolved_by", "resolution_note"])
    # The note is clinical free text: it stays on the alert, never in the audit detail.
    record_audit(Event.ALERT_RESOLVED, acting=acting, patient=alert.patient, obj=alert)
    return True


def do_close_caught_up(patient: Patient, *, kind: str, note: str, acting: Actor | None,
                       only: Q | None = None) -> int:
    """Resolve the patient's unresolved alerts of `kind` that the patient has now made good
    (a diary entry after a gap, a late questionnaire), with a note saying so. For alerts
    that only ask the care team to look (missed diary, overdue questionnaire): once the
    patient caught up there is nothing left to act on, and the history stays on the alert.
    `only` narrows them (e.g. to one instrument's schedules). Returns how many."""
    alerts = Alert.objects.select_for_update().filter(patient=patient, kind=kind).exclude(
        status=Alert.Status.RESOLVED)
    if only is not None:
        alerts = alerts.filter(only)
    now = timezone.now()
    closed = 0
    for alert in alerts:
        alert.status = Alert.Status.RESOLVED
        alert.resolved_at, alert.resolved_by, alert.resolution_note = now, None, note
        alert.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
        record_audit(Event.ALERT_RESOLVED_AUTOMATICALLY, acting=acting, patient=patient,
                     obj=alert)
        closed += 1
    return closed


# ---- safety plan ----------------------------------------------------------------------------

@transaction.atomic
def do_save_safety_plan(
    patient: Patient, *, content: dict[str, str], submission_uuid: UUID, acting: Actor
) -> tuple[SafetyPlanVersion, bool]:
    """Save a new version of the plan; a repeated submission returns the stored version."""
    previous = SafetyPlanVersion.objects.filter(submission_uuid=submission_uuid).first()
    if previous is not None:
        if previous.plan.patient_id != patient.pk or previous.content() != content:
            raise SubmissionConflict(str(submission_uuid))
        return previous, False
    plan, _ = SafetyPlan.objects.get_or_create(patient=patient)
    plan = SafetyPlan.objects.select_for_update().get(pk=plan.pk)
    last = plan.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = SafetyPlanVersion.objects.create(
        plan=plan, number=last + 1, submission_uuid=submission_uuid,
        created_by=actor_user(acting), **content,
    )
    record_audit(Event.SAFETY_PLAN_SAVED, acting=acting, patient=patient, obj=version,
                 detail=f"version {version.number}")
    return version, True
