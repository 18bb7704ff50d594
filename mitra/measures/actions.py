"""Every write to schedules and responses: atomic, audited, alerting in the same transaction."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
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
from mitra.lib import dated_events, jobs
from mitra.lib.bounds import OutOfBounds, check_plan_day, check_time
from mitra.lib.idempotency import SubmissionConflict, stored_or_created
from mitra.measures import recurrence
from mitra.measures.library import Instrument, get_instrument
from mitra.measures.models import (
    DEFAULT_WINDOW_MINUTES,
    Response,
    Schedule,
    make_rule,
    zone_of,
)
from mitra.measures.pathways import (
    APPLIED,
    PathwaySchedule,
    get_pathway,
    pathway_ids,
    pathways_version,
)
from mitra.measures.recurrence import RuleError
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

MAX_EVERY_DAYS = recurrence.MAX_EVERY_DAYS
MAX_OFFSET_DAYS = 365
DEFAULT_TIME_OF_DAY = time(9, 0)


class ResponseConflict(SubmissionConflict):
    """A response UUID reused with a different payload (HTTP 409)."""


class ScheduleConflict(SubmissionConflict):
    """A schedule UUID reused with a different instrument, cadence, timing or start (HTTP
    409)."""


def do_assign_schedule(patient: Patient, *, acting: Actor, uuid: UUID | None = None,
                       **fields: Any) -> Schedule:
    """Assign a schedule; the web form sends no UUID (a fresh one is made). The fields are
    those of `do_assign_schedule_once`.

    With the client's `uuid` it is idempotent, as `do_assign_schedule_once` describes.
    """
    schedule, _created = do_assign_schedule_once(
        patient, acting=acting, uuid=uuid or uuidlib.uuid4(), **fields)
    return schedule


# The fields a repeat of the same UUID must carry unchanged (they never change after creation,
# so they are compared directly: no payload digest needed).
_COMPARED = ("patient_id", "form", "instrument", "cadence", "every_days", "weekdays", "start",
             "anchor", "offset_days", "time_of_day", "window_minutes", "random_minutes",
             "pathway")


@transaction.atomic
def do_assign_schedule_once(
    patient: Patient, *, acting: Actor, uuid: UUID,
    form: str = Schedule.Form.QUESTIONNAIRE,
    instrument: str = "",
    cadence: str | None = None,
    every_days: int | None = None,
    weekdays: str | Iterable[int] = "",
    start: date | None = None,
    anchor: str = Schedule.Anchor.DATE,
    offset_days: int = 0,
    time_of_day: time | str = DEFAULT_TIME_OF_DAY,
    window_minutes: int = DEFAULT_WINDOW_MINUTES,
    random_minutes: int = 0,
    pathway: str = "",
) -> tuple[Schedule, bool]:
    """Assign a schedule under the client's UUID; (schedule, created).

    What is asked: `form` questionnaire (with an `instrument` id) or diary (no instrument).
    When: `cadence` once, interval (`every_days`) or weekdays (ISO digits, "135"); left None
    it follows from the fields given (weekdays, else every_days, else once). From: `start`
    (anchor date), or `offset_days` after the patient's enrolment or the start of their taper
    plan in force (anchor enrolment, taper_start; a dated event the diary registers in
    `lib.dated_events`), worked out now and stored as `start`. At `time_of_day` in the
    patient's own zone, plus a seeded random delay of up to `random_minutes`; the prompt
    expires `window_minutes` after that time.

    Bad input raises `RuleError` (a ValueError) naming the field and the allowed values:
    the rule is checked by `recurrence.validate` (a one-off before the patient's today never
    fires). Quiet hours are the reminders app's, a layer above: the planner checks them.

    The same UUID with the same fields returns the stored schedule (stopped or not); with
    anything else it raises `ScheduleConflict`.
    """
    tz = zone_of(patient)
    today = timezone.now().astimezone(tz).date()
    fields = _schedule_fields(patient, form=form, instrument=instrument, cadence=cadence,
                              every_days=every_days, weekdays=weekdays, start=start,
                              anchor=anchor, offset_days=offset_days, time_of_day=time_of_day,
                              window_minutes=window_minutes, random_minutes=random_minutes,
                              pathway=pathway)
    rule = make_rule(**{k: fields[k] for k in (
        "cadence", "start", "time_of_day", "window_minutes", "every_days", "weekdays",
        "random_minutes")}, seed=str(uuid))
    recurrence.validate(rule, today=today)
    try:  # a start in year 1 (or 9999) is a typo, and would make every page walk its days
        check_plan_day("start", fields["start"], enrolled_on=patient.enrolled_on, today=today)
    except OutOfBounds as exc:
        raise recurrence.RuleError("start", str(exc).removeprefix("start: ")) from None
    wanted = tuple(patient.pk if name == "patient_id" else fields[name] for name in _COMPARED)

    def stored() -> Schedule | None:
        existing = Schedule.objects.filter(uuid=uuid).first()
        return None if existing is None else _same_schedule_or_conflict(existing, wanted)

    def create() -> Schedule:
        first = recurrence.next_occurrence(rule, tz, from_day=rule.start, now=timezone.now())
        schedule = Schedule.objects.create(
            uuid=uuid, patient=patient, created_by=actor_user(acting),
            # The planner's first look (quiet hours and pauses, which only delay a prompt, are
            # applied when it plans).
            next_fire_at=first.fire_at if first else None, **fields)
        record_audit(Event.MEASURES_SCHEDULE_ASSIGNED, acting=acting, patient=patient,
                     obj=schedule, detail=f"{schedule.instrument or schedule.form} "
                                          f"{schedule.cadence_label}")
        return schedule

    return stored_or_created(stored, create)


def _schedule_fields(patient: Patient, *, form: str, instrument: str,
                     cadence: str | None, every_days: int | None,
                     weekdays: str | Iterable[int], start: date | None, anchor: str,
                     offset_days: int, time_of_day: time | str, window_minutes: int,
                     random_minutes: int, pathway: str) -> dict[str, Any]:
    """The checked, normalised fields of a new schedule (RuleError naming the first bad one)."""
    if form not in Schedule.Form.values:
        raise RuleError("form", f"{form!r}: choose one of {', '.join(Schedule.Form.values)}")
    if form == Schedule.Form.DIARY:
        if instrument:
            raise RuleError("instrument", "a diary schedule asks for the diary, not an "
                            "instrument: leave it empty")
    else:
        try:
            get_instrument(instrument)
        except KeyError as exc:
            raise RuleError("instrument", str(exc.args[0])) from None
    days = _weekday_digits(weekdays)
    if cadence is None:
        cadence = (recurrence.WEEKDAYS if days else
                   recurrence.INTERVAL if every_days is not None else recurrence.ONCE)
    if cadence not in recurrence.CADENCES:
        raise RuleError("cadence", f"{cadence!r}: choose one of {', '.join(recurrence.CADENCES)}")
    if every_days is not None and not (
            isinstance(every_days, int) and 1 <= every_days <= MAX_EVERY_DAYS):
        raise RuleError("every_days", f"{every_days} is not allowed; allowed values: empty "
                        f"(once) or 1-{MAX_EVERY_DAYS}")
    if cadence != recurrence.INTERVAL and every_days is not None:
        raise RuleError("every_days", f"only with the cadence interval (this one is "
                        f"{cadence}): leave it empty")
    if cadence != recurrence.WEEKDAYS and days:
        raise RuleError("weekdays", f"only with the cadence weekdays (this one is {cadence}): "
                        "leave them empty")
    time_of_day = _clock(time_of_day)
    for name, value in (("window_minutes", window_minutes), ("random_minutes", random_minutes)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleError(name, f"{value!r}: a whole number of minutes")
    if pathway and pathway not in pathway_ids():
        raise RuleError("pathway", f"{pathway!r}: choose one of {', '.join(pathway_ids())}")
    return {
        "form": form, "instrument": instrument if form == Schedule.Form.QUESTIONNAIRE else "",
        "cadence": cadence, "every_days": every_days, "weekdays": days,
        "start": _resolved_start(patient, start, anchor, offset_days),
        "anchor": anchor, "offset_days": offset_days,
        "time_of_day": time_of_day,
        "window_minutes": window_minutes, "random_minutes": random_minutes, "pathway": pathway,
    }


def _clock(value: time | str) -> time:
    """A local time of day, to the minute ("20:00" is read as one too)."""
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value)
        except ValueError:
            raise RuleError("time_of_day", f"{value!r}: a local time as HH:MM, such as "
                            "20:00") from None
    if not isinstance(value, time):
        raise RuleError("time_of_day", f"{value!r}: a local time as HH:MM, such as 20:00")
    return value.replace(second=0, microsecond=0, tzinfo=None, fold=0)


def _weekday_digits(weekdays: str | Iterable[int]) -> str:
    if isinstance(weekdays, str):
        return recurrence.format_weekdays(recurrence.parse_weekdays(weekdays)) if weekdays else ""
    chosen = set(weekdays)
    if not chosen <= set(range(1, 8)):
        raise RuleError("weekdays", f"{sorted(chosen)}: ISO weekday numbers 1 (Monday) to 7 "
                        "(Sunday)")
    return recurrence.format_weekdays(chosen)


def _resolved_start(patient: Patient, start: date | None, anchor: str, offset_days: int) -> date:
    """The first day: `start` itself, or `offset_days` after the anchor's day."""
    anchors = ", ".join(Schedule.Anchor.values)
    if anchor not in Schedule.Anchor.values:
        raise RuleError("anchor", f"{anchor!r}: choose one of {anchors}")
    if not isinstance(offset_days, int) or abs(offset_days) > MAX_OFFSET_DAYS:
        raise RuleError("offset_days", f"{offset_days!r}: a whole number of days from "
                        f"-{MAX_OFFSET_DAYS} to {MAX_OFFSET_DAYS}")
    if anchor == Schedule.Anchor.DATE:
        if start is None:
            raise RuleError("start", "give the first day (YYYY-MM-DD), or an anchor of "
                            "enrolment or taper_start")
        if offset_days:
            raise RuleError("offset_days", "only with an anchor of enrolment or taper_start; "
                            "with a start date leave it 0")
        return start
    if start is not None:
        raise RuleError("start", f"the anchor {anchor} gives the first day: leave start "
                        "empty (offset_days counts from the anchor)")
    day: date | None
    if anchor == Schedule.Anchor.ENROLMENT:
        day = patient.enrolled_on
    else:
        try:
            day = dated_events.resolve(anchor, patient)
        except KeyError:
            day = None
        if day is None:
            raise RuleError("anchor", f"{anchor}: the patient has no "
                            f"{Schedule.Anchor(anchor).label.lower()}; choose date or "
                            "enrolment, or make the plan first")
    return day + timedelta(days=offset_days)


def _same_schedule_or_conflict(existing: Schedule, wanted: tuple[Any, ...]) -> Schedule:
    if tuple(getattr(existing, name) for name in _COMPARED) != wanted:
        raise ScheduleConflict(
            f"schedule {existing.uuid} was already assigned with a different instrument, "
            "cadence, timing or start"
        )
    return existing


@transaction.atomic
def do_stop_schedule(schedule: Schedule, *, acting: Actor) -> Schedule:
    if schedule.active:
        schedule.active = False
        schedule.stopped_at = timezone.now()
        schedule.stopped_by = actor_user(acting)
        schedule.next_fire_at = None
        schedule.save(update_fields=["active", "stopped_at", "stopped_by", "next_fire_at"])
        record_audit(Event.MEASURES_SCHEDULE_STOPPED, acting=acting, patient=schedule.patient,
                     obj=schedule, detail=schedule.instrument or schedule.form)
    return schedule


@transaction.atomic
def do_apply_pathway(patient: Patient, pathway_id: str, *, acting: Actor
                     ) -> tuple[list[Schedule], list[Schedule]]:
    """Assign every schedule of a care pathway (`pathways.yaml`) in one step; (assigned, kept).

    Idempotent: a schedule of the pathway that is already active for the patient (the same
    form and instrument, assigned by this pathway) is kept, not doubled. All or nothing: a
    schedule that cannot be made (a taper-start anchor without a taper plan) raises RuleError
    and nothing of the pathway is written. A one-off the pathway places before the patient's
    today (AUDIT-C at enrolment, applied weeks later) is asked today.
    """
    try:
        care = get_pathway(pathway_id)
    except KeyError as exc:
        raise RuleError("pathway", str(exc.args[0])) from None
    # One application at a time per patient: two clicks do not make the schedules twice.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    active = set(Schedule.objects.filter(patient=patient, active=True, pathway=care.id)
                 .values_list("form", "instrument"))
    today = timezone.now().astimezone(zone_of(patient)).date()
    assigned: list[Schedule] = []
    kept: list[Schedule] = []
    for entry in care.schedules:
        if (entry.form, entry.instrument) in active:
            kept.append(Schedule.objects.filter(
                patient=patient, active=True, pathway=care.id, form=entry.form,
                instrument=entry.instrument).earliest("created_at"))
            continue
        start, anchor = _pathway_start(patient, entry, today)
        assigned.append(do_assign_schedule(
            patient, acting=acting, form=entry.form, instrument=entry.instrument,
            cadence=entry.cadence, every_days=entry.every_days, weekdays=entry.weekdays,
            start=start, anchor=anchor,
            offset_days=entry.offset_days if anchor != Schedule.Anchor.DATE else 0,
            time_of_day=entry.time_of_day, window_minutes=entry.window_minutes,
            random_minutes=entry.random_minutes, pathway=care.id))
    if assigned:
        record_audit(Event.MEASURES_PATHWAY_APPLIED, acting=acting, patient=patient,
                     detail=f"{care.id} (pathways {pathways_version()}): "
                            f"{len(assigned)} assigned, {len(kept)} kept")
    return assigned, kept


def _pathway_start(patient: Patient, entry: PathwaySchedule, today: date
                   ) -> tuple[date | None, str]:
    """(start, anchor) of a pathway entry: "applied" counts from today (stored as a date);
    enrolment and taper_start are the model's anchors, except a one-off that would fall
    before today, which is asked today."""
    if entry.anchor == APPLIED:
        return today + timedelta(days=entry.offset_days), Schedule.Anchor.DATE
    if entry.resolved_cadence == recurrence.ONCE:
        start = _resolved_start(patient, None, entry.anchor, entry.offset_days)
        if start < today:
            return today, Schedule.Anchor.DATE
    return None, entry.anchor


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
        only=Q(source_uuid__in=Schedule.objects.questionnaires()
               .filter(patient=patient, instrument=inst.id)
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
                f"({due.schedule.cadence_label}) not done within its answer window of "
                f"{due.schedule.window_label}"),
        dedupe_key=f"measures:overdue:{due.schedule.uuid}:{due.due_on.isoformat()}",
        source_uuid=due.schedule.uuid,
        evidence_url=reverse("measures:patient", args=[patient.uuid]),
    )


def raise_overdue_alerts(today: date | None = None, *, now: datetime | None = None
                         ) -> list[Alert]:
    """One OVERDUE_MEASURE alert per overdue schedule occurrence (`schedules.overdue`: its
    answer window closed unanswered). Idempotent: the dedupe key is the schedule and the day
    the occurrence was due, so running the job again raises nothing new."""
    from mitra.measures.schedules import overdue

    today = today or timezone.localdate(now)
    specs = [(due.schedule.patient, overdue_alert_spec(due))
             for due in overdue(today, now=now)]
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
    "RuleError",
    "ScheduleConflict",
    "do_apply_pathway",
    "do_assign_schedule",
    "do_assign_schedule_once",
    "do_stop_schedule",
    "do_submit_response",
]
