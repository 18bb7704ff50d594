"""Writes of the safety app: alerts, screening, intake, safety plans. Each records its audit event.

Other apps call `do_raise_alert` inside their own transaction, and `do_screen_patient` when they
learn something screening should see (the diary, when a co-substance is recorded).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from mitra.accounts.models import Role, User
from mitra.audit.actions import record_audit
from mitra.audit.models import AuditEvent
from mitra.lib import rowsql
from mitra.lib.idempotency import SubmissionConflict
from mitra.patients.models import Condition, Intake, Medication, Patient
from mitra.safety.kb import SUBSTANCES, KnowledgeBase, knowledge_base, normalize
from mitra.safety.kb import Medication as KbMedication
from mitra.safety.models import Alert, SafetyPlan, SafetyPlanVersion, ScreeningRun
from mitra.safety.rules import screen

log = logging.getLogger(__name__)


def escalation_minutes() -> int:
    return int(getattr(settings, "MITRA_ALERT_ESCALATION_MINUTES", 30))


def _alert_key(dedupe_key: str) -> str:
    """The key as stored: cut to its column, so a look-up finds what an insert wrote."""
    return dedupe_key[:Alert._meta.get_field("dedupe_key").max_length]


def do_raise_alert(
    patient,
    *,
    kind: str,
    priority: int,
    reason: str,
    dedupe_key: str,
    evidence_url: str = "",
    source_uuid: UUID | None = None,
    acting_user=None,
) -> tuple[Alert, bool]:
    """Create the alert unless one with this dedupe key exists; returns (alert, created)."""
    existing = Alert.objects.filter(patient=patient, dedupe_key=_alert_key(dedupe_key)).first()
    if existing:
        return existing, False
    return _create_alert(patient, dict(kind=kind, priority=priority, reason=reason,
                                       dedupe_key=dedupe_key, evidence_url=evidence_url),
                         source_uuid, acting_user)


def _create_alert(patient, spec: dict, source_uuid: UUID | None,
                  acting_user) -> tuple[Alert, bool]:
    """Insert the alert of `spec` (its key not found just before); (the alert, created)."""
    alert = Alert(patient=patient, **spec, source_uuid=source_uuid)
    alert.reason = alert.reason[:Alert._meta.get_field("reason").max_length]
    alert.dedupe_key = _alert_key(alert.dedupe_key)
    try:
        with transaction.atomic():
            # Written out (`core.rowsql`): the diary raises alerts inside a submission.
            rowsql.insert(alert)
    except IntegrityError:
        # A concurrent request raised the same alert first.
        return Alert.objects.get(patient=patient, dedupe_key=alert.dedupe_key), False
    record_audit(acting_user, "alert.raised", patient=patient, obj=alert, detail=alert.kind)
    if alert.priority == Alert.Priority.URGENT:
        transaction.on_commit(lambda: _schedule_escalation(alert))
    return alert, True


def do_raise_new_alerts(patient, specs: list[dict], *, source_uuid: UUID | None = None,
                        acting_user=None) -> list[Alert]:
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
        alert, created = _create_alert(patient, spec, source_uuid, acting_user)
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
    run_after = alert.created_at + timedelta(minutes=escalation_minutes(), seconds=5)
    try:
        escalate_alerts.using(run_after=run_after).enqueue()
    except Exception:  # the alert itself is saved; the cron path still escalates it
        log.exception("could not schedule escalation for alert %s", alert.uuid)


# ---- the inbox ------------------------------------------------------------------------------

@transaction.atomic
def do_acknowledge_alert(alert: Alert, *, request_or_user) -> bool:
    """Mark an open alert acknowledged; False when it already was (or is resolved)."""
    user = getattr(request_or_user, "user", request_or_user)
    changed = Alert.objects.filter(pk=alert.pk, status=Alert.Status.OPEN).update(
        status=Alert.Status.ACKNOWLEDGED, acknowledged_at=timezone.now(), acknowledged_by=user
    )
    if changed:
        alert.refresh_from_db()
        record_audit(request_or_user, "alert.acknowledged", patient=alert.patient, obj=alert)
    return bool(changed)


@transaction.atomic
def do_resolve_alert(alert: Alert, *, note: str, request_or_user) -> bool:
    """Resolve an alert with a note (acknowledging it too, if nobody had)."""
    user = getattr(request_or_user, "user", request_or_user)
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
    record_audit(request_or_user, "alert.resolved", patient=alert.patient, obj=alert)
    return True


def do_close_caught_up(patient, *, kind: str, note: str, acting, only: Q | None = None) -> int:
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
        record_audit(acting, "alert.resolved_automatically", patient=patient, obj=alert)
        closed += 1
    return closed


def due_for_escalation(now: datetime):
    cutoff = now - timedelta(minutes=escalation_minutes())
    return Alert.objects.filter(
        priority=Alert.Priority.URGENT, status=Alert.Status.OPEN, escalated_at__isnull=True,
        created_at__lte=cutoff,
    )


def escalate_due_alerts(now: datetime) -> int:
    """Notify the care team of every urgent alert still unacknowledged after the set time.

    Each alert is handled in its own transaction: its row is locked (other runs skip it), the
    mail is sent, and only then is `escalated_at` set and committed. So a run after a success
    never notifies again, two workers at once never both notify, and a failed send (SMTP down)
    rolls back: the alert stays due for the next run, the error is logged, and the run goes on
    with the other alerts. (If the commit itself failed after the mail went out, the next run
    would mail again: a duplicate is preferred over a lost escalation.) Returns how many alerts
    this run escalated.
    """
    escalated = 0
    due = list(due_for_escalation(now).order_by("created_at").values_list("pk", flat=True))
    for pk in due:
        try:
            escalated += _escalate_one(pk, now)
        except Exception:
            log.exception("escalating alert %s failed; it stays due for the next run", pk)
    return escalated


def _escalate_one(pk: int, now: datetime) -> int:
    with transaction.atomic():
        alert = (
            due_for_escalation(now).filter(pk=pk)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("patient").first()
        )
        if alert is None:
            return 0  # another run holds it or took it, or someone acknowledged it meanwhile
        recipients = escalation_recipients(alert)
        if recipients:
            _send_escalation_mail(alert, recipients)
        else:
            log.warning("urgent alert %s has no care-team e-mail to escalate to", alert.uuid)
        Alert.objects.filter(pk=alert.pk).update(escalated_at=now)
        record_audit(None, "alert.escalated", patient=alert.patient, obj=alert,
                     detail=f"{len(recipients)} recipients")
    return 1


def escalation_recipients(alert: Alert) -> list[str]:
    """The e-mail addresses of "the rest of the care team" for this alert.

    Alerts have no assignee: the whole team shares one inbox, so every active clinician on the
    patient's care teams is notified, except the clinician who raised the alert by their own
    action (for example by entering the questionnaire in a session), who has already seen it.
    When nobody else is on the team, that clinician is reminded rather than nobody.
    """
    team = list(
        User.objects.filter(
            care_teams__patients=alert.patient, role=Role.CLINICIAN, is_active=True
        ).exclude(email="").values_list("pk", "email").distinct()
    )
    raised_by = set(
        AuditEvent.objects.filter(event="alert.raised", object_uuid=alert.uuid,
                                  actor_role=Role.CLINICIAN)
        .values_list("actor_id", flat=True)
    )
    rest = [email for pk, email in team if pk not in raised_by]
    return sorted(set(rest or [email for _pk, email in team]))


def _send_escalation_mail(alert: Alert, recipients: list[str]) -> None:
    base = getattr(settings, "MITRA_BASE_URL", "").rstrip("/")
    # No name, no clinical detail in the mail: only the study code and a link to sign in.
    send_mail(
        subject=f"[{settings.SITE_NAME}] Urgent alert not yet acknowledged "
                f"({alert.patient.pseudonym})",
        message=(
            f"An urgent {alert.get_kind_display().lower()} alert for {alert.patient.pseudonym} "
            f"has not been acknowledged for {escalation_minutes()} minutes.\n\n"
            f"Open the alert inbox: {base}{reverse('safety:inbox')}\n"
        ),
        from_email=None,
        recipient_list=recipients,
        fail_silently=False,
    )


# ---- screening and intake -----------------------------------------------------------------

def _age_conditions(patient: Patient, today: date) -> list[str]:
    if patient.date_of_birth is None:
        return []
    dob = patient.date_of_birth
    age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    # Condition rules for young people: under 21 (kratom purchase ages), under 12 (kava).
    return (["adolescent"] if age < 21 else []) + (["child"] if age < 12 else [])


def screening_inputs(patient: Patient, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    intake = Intake.objects.filter(patient=patient).first()
    meds = [m.name for m in patient.medications.all() if m.is_current(today)]
    conditions = list(
        patient.conditions.filter(resolved_on__isnull=True).values_list("code", flat=True)
    )
    for c in _age_conditions(patient, today):
        if c not in conditions:
            conditions.append(c)
    return {"substances": list(intake.substances) if intake else [], "medications": meds,
            "conditions": conditions}


def short_key(*parts: str) -> str:
    """A short, stable key from parts (case-insensitive): for dedupe keys."""
    return hashlib.sha256("|".join(parts).lower().encode()).hexdigest()[:16]


# Substance classes the diary records without naming the drug ("another opioid", "a
# benzodiazepine"). They are screened as the class's common members, so the rules about the class
# fire (kratom with an opioid, 7-OH with a sedative) but not rules about one member only
# (fentanyl's CYP3A rule, tramadol's serotonergic rule). `matched` shows the class name.
CO_SUBSTANCE_CLASSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "opioid": ("opioid (class, recorded in the diary)",
               ("oxycodone", "hydrocodone", "morphine", "heroin")),
    "benzodiazepine": ("benzodiazepine (class, recorded in the diary)",
                       ("alprazolam", "clonazepam", "lorazepam", "diazepam")),
}
_CLASS_KB: dict[int, tuple[KnowledgeBase, KnowledgeBase]] = {}


def knowledge_base_with_classes() -> KnowledgeBase:
    """The knowledge base plus the diary's class names (`CO_SUBSTANCE_CLASSES`)."""
    kb = knowledge_base()
    cached = _CLASS_KB.get(id(kb))
    if cached is not None and cached[0] is kb:
        return cached[1]
    medications, names, display = dict(kb.medications), dict(kb.names), dict(kb.display_names)
    for name, (label, members) in CO_SUBSTANCE_CLASSES.items():
        generic = f"class:{name}"
        medications[generic] = KbMedication(generic=generic, label=label, names=(name,),
                                            contains=tuple(m for m in members
                                                           if m in kb.medications))
        names[normalize(name)], display[normalize(name)] = generic, name
    derived = dataclasses.replace(kb, medications=medications, names=names,
                                  display_names=display)
    _CLASS_KB.clear()
    _CLASS_KB[id(kb)] = (kb, derived)
    return derived


def co_substance_has_rules(name: str, substances: Iterable[str] = SUBSTANCES) -> bool:
    """True when an interaction rule of one of `substances` names this drug or diary class:
    only then is a co-substance from the diary worth a screening run."""
    kb = knowledge_base_with_classes()
    generic = kb.names.get(normalize(name))
    if generic is None:
        return False
    ingredients = kb.medications[generic].ingredients
    subs = set(substances)
    return any(rule.kind == "interaction" and rule.substance in subs
               and ingredients & set(rule.drugs) for rule in kb.rules)


@transaction.atomic
def do_screen_patient(
    patient: Patient,
    *,
    acting_user=None,
    trigger: str = ScreeningRun.Trigger.INTAKE,
    co_substances: Iterable[str] = (),
    substances: Iterable[str] = (),
) -> ScreeningRun:
    """Screen the patient's intake and store the run; raise alerts for major findings.

    `co_substances`: names the diary just recorded (alcohol, a drug name, or a class from
    `CO_SUBSTANCE_CLASSES`), screened together with the current medications. `substances`:
    kratom, kava or 7oh recorded in the diary, screened with the intake's substances.

    A diary run whose inputs and knowledge-base version are those of the patient's latest run
    stores nothing new and returns that run (a daily drinker is screened once, not every day).
    Alerts are deduplicated by rule and matched names, so the same finding alerts only once.
    """
    inputs = screening_inputs(patient)
    for sub in substances:
        if sub not in inputs["substances"]:
            inputs["substances"].append(sub)
    extra = sorted({c for c in co_substances if c and c not in inputs["medications"]})
    inputs["co_substances"] = extra
    kb = knowledge_base_with_classes() if extra else knowledge_base()
    if trigger == ScreeningRun.Trigger.DIARY:
        latest = ScreeningRun.objects.filter(patient=patient).first()
        if latest is not None and latest.inputs == inputs and latest.kb_version == kb.version:
            return latest
    result = screen(inputs["substances"], inputs["medications"] + extra, inputs["conditions"],
                    kb=kb)
    run = ScreeningRun.objects.create(
        patient=patient, trigger=trigger, kb_version=result.kb_version, inputs=inputs,
        result=result.to_dict(),
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    record_audit(acting_user, "safety.screening.run", patient=patient, obj=run, detail=trigger)
    url = reverse("safety:intake", kwargs={"patient_uuid": patient.uuid})
    for f in result.findings:
        if f.severity != "major":
            continue
        do_raise_alert(
            patient, kind=Alert.Kind.INTERACTION, priority=Alert.Priority.HIGH,
            reason=f"{f.summary} (matched: {', '.join(f.matched)})",
            dedupe_key=f"screen:{f.rule}:{short_key(*sorted(f.matched))}",
            evidence_url=f"{url}#rule-{f.rule}", source_uuid=run.uuid, acting_user=acting_user,
        )
    for u in result.unrecognized:
        if u.kind != "medication":
            continue
        do_raise_alert(
            patient, kind=Alert.Kind.INTERACTION, priority=Alert.Priority.LOW,
            reason=f"Medication not recognized — not screened: {u.name}",
            dedupe_key=f"unrecognized:{short_key(u.name)}", evidence_url=f"{url}#not-screened",
            source_uuid=run.uuid, acting_user=acting_user,
        )
    return run


@transaction.atomic
def do_save_intake(
    patient: Patient, *, jurisdiction: str, substances: list[str], conditions: list[str],
    request_or_user,
) -> ScreeningRun:
    intake, _ = Intake.objects.get_or_create(patient=patient)
    intake.jurisdiction, intake.substances = jurisdiction, substances
    intake.save(update_fields=["jurisdiction", "substances", "updated_at"])
    today = timezone.localdate()
    current = {c.code: c for c in patient.conditions.filter(resolved_on__isnull=True)}
    for code in conditions:
        if code not in current:
            Condition.objects.create(patient=patient, code=code, noted_on=today)
    for code, cond in current.items():
        if code not in conditions:
            cond.resolved_on = today
            cond.save(update_fields=["resolved_on"])
    record_audit(request_or_user, "patient.intake.saved", patient=patient, obj=intake,
                 detail="jurisdiction,substances,conditions")
    user = getattr(request_or_user, "user", request_or_user)
    return do_screen_patient(patient, acting_user=user, trigger=ScreeningRun.Trigger.INTAKE)


@transaction.atomic
def do_add_medication(
    patient: Patient, *, name: str, started_on: date | None, request_or_user
) -> Medication:
    med = Medication.objects.create(patient=patient, name=name, started_on=started_on)
    record_audit(request_or_user, "patient.medication.added", patient=patient, obj=med)
    user = getattr(request_or_user, "user", request_or_user)
    do_screen_patient(patient, acting_user=user, trigger=ScreeningRun.Trigger.MEDICATIONS)
    return med


@transaction.atomic
def do_stop_medication(med: Medication, *, stopped_on: date, request_or_user) -> Medication:
    med.stopped_on = stopped_on
    med.save(update_fields=["stopped_on"])
    record_audit(request_or_user, "patient.medication.stopped", patient=med.patient, obj=med)
    user = getattr(request_or_user, "user", request_or_user)
    do_screen_patient(med.patient, acting_user=user, trigger=ScreeningRun.Trigger.MEDICATIONS)
    return med


# ---- safety plan ----------------------------------------------------------------------------



@transaction.atomic
def do_save_safety_plan(
    patient: Patient, *, content: dict[str, str], submission_uuid: UUID, request_or_user
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
    user = getattr(request_or_user, "user", request_or_user)
    version = SafetyPlanVersion.objects.create(
        plan=plan, number=last + 1, submission_uuid=submission_uuid,
        created_by=user if getattr(user, "is_authenticated", False) else None, **content,
    )
    record_audit(request_or_user, "safety.plan.saved", patient=patient, obj=version,
                 detail=f"version {version.number}")
    return version, True
