"""Every write to schedules and responses: atomic, audited, alerting in the same transaction."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.lib import jobs
from mitra.lib.bounds import check_time
from mitra.lib.idempotency import SubmissionConflict, stored_or_created
from mitra.measures.library import Instrument, get_instrument
from mitra.measures.models import Response, Schedule
from mitra.measures.scoring import (
    Answer,
    AnswerError,
    answers_from_mapping,
    change_over_time,
    normalize_answer_map,
    score,
)
from mitra.patients.models import Patient
from mitra.safety.actions import do_close_caught_up, do_raise_alert
from mitra.safety.models import Alert

if TYPE_CHECKING:
    from mitra.measures.schedules import Due

MAX_EVERY_DAYS = 365


class ResponseConflict(SubmissionConflict):
    """A response UUID reused with a different payload (HTTP 409)."""


class ScheduleConflict(SubmissionConflict):
    """A schedule UUID reused with a different instrument, cadence or start (HTTP 409)."""


def do_assign_schedule(
    patient: Patient, *, instrument: str, every_days: int | None, start: date, acting: Actor,
    uuid: UUID | None = None,
) -> Schedule:
    """Assign a schedule; the web form sends no UUID (a fresh one is made).

    With the client's `uuid` it is idempotent, as `do_assign_schedule_once` describes.
    """
    schedule, _created = do_assign_schedule_once(
        patient, instrument=instrument, every_days=every_days, start=start, acting=acting,
        uuid=uuid or uuidlib.uuid4(),
    )
    return schedule


@transaction.atomic
def do_assign_schedule_once(
    patient: Patient, *, instrument: str, every_days: int | None, start: date, acting: Actor,
    uuid: UUID,
) -> tuple[Schedule, bool]:
    """Assign a schedule under the client's UUID; (schedule, created).

    The same UUID with the same patient, instrument, cadence and start returns the stored
    schedule (stopped or not); with anything else it raises `ScheduleConflict`. These fields
    never change after creation, so they are compared directly (no payload digest needed).
    """
    get_instrument(instrument)  # KeyError naming the allowed ids
    if every_days is not None and not 1 <= every_days <= MAX_EVERY_DAYS:
        raise ValueError(f"every_days: {every_days} is not allowed; allowed values: empty (once)"
                         f" or 1-{MAX_EVERY_DAYS}")
    wanted = (patient.pk, instrument, every_days, start)

    def stored() -> Schedule | None:
        existing = Schedule.objects.filter(uuid=uuid).first()
        return None if existing is None else _same_schedule_or_conflict(existing, wanted)

    def create() -> Schedule:
        schedule = Schedule.objects.create(
            uuid=uuid, patient=patient, instrument=instrument, every_days=every_days,
            cadence=Schedule.Cadence.ONCE if every_days is None else Schedule.Cadence.INTERVAL,
            start=start, created_by=actor_user(acting),
        )
        record_audit(Event.MEASURES_SCHEDULE_ASSIGNED, acting=acting, patient=patient,
                     obj=schedule, detail=f"{instrument} {schedule.cadence_label}")
        return schedule

    return stored_or_created(stored, create)


def _same_schedule_or_conflict(existing: Schedule, wanted: tuple[Any, ...]) -> Schedule:
    if (existing.patient_id, existing.instrument, existing.every_days, existing.start) != wanted:
        raise ScheduleConflict(
            f"schedule {existing.uuid} was already assigned with a different instrument, "
            "cadence or start"
        )
    return existing


@transaction.atomic
def do_stop_schedule(schedule: Schedule, *, acting: Actor) -> Schedule:
    if schedule.active:
        schedule.active = False
        schedule.stopped_at = timezone.now()
        schedule.stopped_by = actor_user(acting)
        schedule.save(update_fields=["active", "stopped_at", "stopped_by"])
        record_audit(Event.MEASURES_SCHEDULE_STOPPED, acting=acting, patient=schedule.patient,
                     obj=schedule, detail=schedule.instrument)
    return schedule


def do_submit_response(
    patient: Patient,
    *,
    instrument: str,
    answers: Mapping[str, object],
    response_uuid: UUID,
    acting: Actor,
    submitted_at: datetime | None = None,
    readings: Mapping[str, int] | None = None,
) -> tuple[Response, bool]:
    """Store and score a response; (response, created).

    Idempotent by the client's UUID: the same answers again return the stored response; a
    reused UUID with other answers (or for another patient) raises `ResponseConflict`. Alerts
    (PHQ-9 item 9, reliable deterioration) are raised in the same transaction as the response.
    A `submitted_at` outside enrolment..now raises `bounds.OutOfBounds` (a score dated in the
    future would be "the newest" and hide the real one).
    """
    inst = get_instrument(instrument)
    if submitted_at is not None:
        check_time("submitted_at", submitted_at, enrolled_on=patient.enrolled_on)
    normalized = normalize_answer_map(inst, answers)  # AnswerError names the item
    measured = _checked_readings(inst, normalized, readings or {})

    def stored() -> Response | None:
        existing = Response.objects.filter(uuid=response_uuid).first()
        return None if existing is None else _same_or_conflict(
            existing, patient, instrument, normalized, measured)

    return stored_or_created(stored, lambda: _create(
        patient, inst, normalized, response_uuid, acting, submitted_at, measured))


def _checked_readings(inst: Instrument, answers: Mapping[str, object],
                      readings: Mapping[str, int]) -> dict[str, int]:
    """Readings only for items that take one, in range, and agreeing with the item's answer."""
    items = {item.link_id: (n, item) for n, item in enumerate(inst.items, start=1)}
    out: dict[str, int] = {}
    for link_id, reading in readings.items():
        number, item = items.get(link_id, (None, None))
        if item is None or item.measurement is None:
            takes = [i.link_id for i in inst.items if i.measurement is not None] or ["none"]
            raise AnswerError(f"readings: {link_id} takes no measured reading; allowed: "
                              f"{', '.join(takes)}")
        m = item.measurement
        if isinstance(reading, bool) or not isinstance(reading, int) or not (
                m.min <= reading <= m.max):
            raise AnswerError(f"item {number} ({link_id}), {m.label.lower()}: {reading!r} is "
                              f"not allowed; allowed: a whole number from {m.min} to {m.max} "
                              f"({m.unit})")
        if answers.get(link_id) != m.value_for(reading):
            raise AnswerError(f"item {number} ({link_id}): a {m.label.lower()} of {reading} "
                              f"{m.unit} scores {m.value_for(reading)}, not "
                              f"{answers.get(link_id)}")
        out[link_id] = reading
    return out


def _same_or_conflict(existing: Response, patient: Patient, instrument: str,
                      answers: dict[str, Any], readings: dict[str, int]) -> Response:
    if (existing.patient_id, existing.instrument, existing.answers, existing.readings) != (
        patient.pk, instrument, answers, readings
    ):
        raise ResponseConflict(
            f"response {existing.uuid} was already submitted with different answers"
        )
    return existing


def _create(patient: Patient, inst: Instrument, answers: dict[str, Answer], response_uuid: UUID,
            acting: Actor, submitted_at: datetime | None, readings: dict[str, int]) -> Response:
    result = score(inst, answers_from_mapping(inst, answers))
    response = Response.objects.create(
        uuid=response_uuid,
        patient=patient,
        instrument=inst.id,
        instrument_version=inst.version,
        answers=answers,
        readings=readings,
        total=result.total,
        max_total=result.max,
        severity=result.severity or "",
        complete=result.complete,
        prorated=result.prorated,
        scoring_method=result.method,
        alerts=result.alert_messages(),
        submitted_at=submitted_at or timezone.now(),
        submitted_by=actor_user(acting),
    )
    record_audit(Event.MEASURES_RESPONSE_SUBMITTED, acting=acting, patient=patient,
                 obj=response, detail=inst.id)
    evidence = reverse("measures:patient", args=[patient.uuid])
    do_close_caught_up(
        patient, kind=Alert.Kind.OVERDUE_MEASURE, acting=acting,
        note=(f"Closed automatically: {inst.short_name} completed on "
              f"{date_format(timezone.localdate(response.submitted_at))}."),
        # The overdue alerts of this instrument's schedules, raised before this response.
        only=Q(source_uuid__in=Schedule.objects.filter(patient=patient, instrument=inst.id)
               .values("uuid"), created_at__lte=response.submitted_at))
    for alert in result.alerts:
        urgent = alert.kind == "suicide_risk"
        do_raise_alert(
            patient,
            kind=Alert.Kind.SUICIDE_RISK,
            # A positive item 9 is urgent; a missing one needs review but is not a positive.
            priority=Alert.Priority.URGENT if urgent else Alert.Priority.HIGH,
            reason=f"{inst.short_name}: {alert.message}",
            dedupe_key=f"measures:{alert.id}:{response.uuid}",
            evidence_url=evidence,
            source_uuid=response.uuid,
            acting=acting,
        )
    _alert_on_deterioration(patient, inst, response, evidence, acting)
    spec = severe_withdrawal_alert_spec(patient, inst, response)
    if spec is not None:
        do_raise_alert(patient, **spec, source_uuid=response.uuid, acting=acting)
    return response


# Withdrawal scales whose top severity band raises a SEVERE_WITHDRAWAL alert.
WITHDRAWAL_INSTRUMENTS = ("cows", "sows")


def severe_withdrawal_alert_spec(patient: Patient, inst: Instrument,
                                 response: Response) -> dict[str, Any] | None:
    """The SEVERE_WITHDRAWAL alert when a withdrawal scale's total reaches its top band, or
    the file's `alert_threshold` for a scale published without bands.

    COWS: 37-48, "Severe" (more than 36, Wesson & Ling 2003). SOWS: no published bands; the
    alert comes at 21 or more, the "severe" cut-off of a later convention, which the file marks
    unverified: the reason says so. Shared by the live action and the demo cohort.
    """
    if inst.id not in WITHDRAWAL_INSTRUMENTS or response.total is None:
        return None
    total = f"{response.total:g}"
    threshold = inst.alert_threshold
    if threshold is not None:
        if response.total < threshold.at_least:
            return None
        reason = (f"{inst.short_name} total {total} of {inst.scoring.max}: "
                  f"{threshold.label}")
        if threshold.note:
            reason += f" ({threshold.note})"
        unverified = threshold.unverified
    elif inst.severity_bands:
        top = inst.severity_bands[-1]
        if response.total < top.min:
            return None
        reason = f"{inst.short_name} total {total}: top band \"{top.label}\" ({top.min}-{top.max}"
        if top.note:
            reason += f"; {top.note}"
        reason += ")"
        unverified = top.unverified or inst.severity_bands_unverified
    else:
        return None
    if unverified:
        reason += ". The cut-off is unverified: not confirmed against the original publication"
    return dict(
        kind=Alert.Kind.SEVERE_WITHDRAWAL, priority=Alert.Priority.HIGH, reason=reason,
        dedupe_key=f"measures:severe_withdrawal:{response.uuid}",
        evidence_url=reverse("measures:patient", args=[patient.uuid]),
    )


# ---- overdue questionnaires (the periodic job) ---------------------------------------------

def overdue_alert_spec(due: Due[Schedule]) -> dict[str, Any]:
    """The OVERDUE_MEASURE alert for one schedule occurrence (`schedules.Due`, overdue).

    Shared by the periodic job and the demo cohort."""
    inst = due.instrument
    who = "" if inst.administration == "self_report" else " (clinician-rated)"
    patient = due.schedule.patient
    return dict(
        kind=Alert.Kind.OVERDUE_MEASURE, priority=Alert.Priority.LOW,
        reason=(f"{inst.short_name}{who} due on {date_format(due.due_on)} "
                f"({due.schedule.cadence_label}) not done after {due.days_late} days"),
        dedupe_key=f"measures:overdue:{due.schedule.uuid}:{due.due_on.isoformat()}",
        source_uuid=due.schedule.uuid,
        evidence_url=reverse("measures:patient", args=[patient.uuid]),
    )


def raise_overdue_alerts(today: date | None = None) -> list[Alert]:
    """One OVERDUE_MEASURE alert per overdue schedule occurrence (`schedules.overdue`: more
    than `OVERDUE_AFTER_DAYS` late). Idempotent: the dedupe key is the schedule and the day
    the occurrence was due, so running the job again raises nothing new."""
    from mitra.measures.schedules import overdue

    today = today or timezone.localdate()
    specs = [(due.schedule.patient, overdue_alert_spec(due)) for due in overdue(today)]
    if not specs:
        return []
    existing = set(
        Alert.objects.filter(kind=Alert.Kind.OVERDUE_MEASURE,
                             dedupe_key__in=[spec["dedupe_key"] for _p, spec in specs])
        .values_list("patient_id", "dedupe_key")
    )

    def raise_one(unit: tuple[Patient, dict[str, Any]]) -> Alert | None:
        patient, spec = unit
        with transaction.atomic():
            alert, created = do_raise_alert(patient, **spec)
        return alert if created else None

    # One patient's failure (a lock, a bad row) leaves the others' alerts raised.
    new = [(p, spec) for p, spec in specs if (p.pk, spec["dedupe_key"]) not in existing]
    return jobs.each(new, raise_one,
                     lambda unit: f"patient {unit[0].uuid} ({unit[1]['dedupe_key']})")


def _alert_on_deterioration(patient: Patient, inst: Instrument, response: Response,
                            evidence: str, acting: Actor) -> None:
    """A DETERIORATION alert when this response first crosses the reliable-change threshold."""
    if response.total is None or inst.thresholds.reliable_change is None:
        return
    if inst.thresholds.reliable_change.points is None:
        return
    totals = list(
        Response.objects.filter(patient=patient, instrument=inst.id, total__isnull=False)
        .order_by("submitted_at", "pk")
        .values_list("total", flat=True)
    )
    points = change_over_time(inst, totals)
    if len(points) < 2 or points[-1].reliable != "deteriorated":
        return
    if points[-2].reliable == "deteriorated":
        return  # already raised when it first crossed
    last = points[-1]
    do_raise_alert(
        patient,
        kind=Alert.Kind.DETERIORATION,
        priority=Alert.Priority.HIGH,
        reason=(f"{inst.short_name} rose from a baseline of {last.baseline:g} to"
                f" {last.total:g} (reliable change: {inst.thresholds.reliable_change.points}"
                " points or more)"),
        dedupe_key=f"measures:deterioration:{response.uuid}",
        evidence_url=evidence,
        source_uuid=response.uuid,
        acting=acting,
    )


__all__ = [
    "AnswerError",
    "ResponseConflict",
    "ScheduleConflict",
    "do_assign_schedule",
    "do_assign_schedule_once",
    "do_stop_schedule",
    "do_submit_response",
]
