"""Every write to a CBT record. Views, the API and the demo call these; nothing else saves.

Each action is atomic and records its audit event (no free-text clinical content in the audit
detail). Submissions are idempotent by their client-made UUID: a repeat with the same payload
returns the stored record with `created=False`; a reused UUID with another payload, or a change
to something already completed, raises `SubmissionConflict` (the view answers 409).
"""

from __future__ import annotations

from datetime import date, time
from typing import Any, TypeVar
from uuid import UUID

from django.db import models, transaction
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.cbt.catalogue import distortions
from mitra.cbt.models import (
    Activity,
    ActivitySlot,
    ExposureItem,
    ExposureLog,
    Homework,
    RelapsePlan,
    SubmittedRecord,
    ThoughtRecord,
    Value,
)
from mitra.lib.idempotency import SubmissionConflict, stored_or_created
from mitra.lib.idempotency import payload_digest as core_payload_digest
from mitra.patients.models import Patient

R = TypeVar("R", bound=SubmittedRecord)


def payload_digest(payload: dict[str, Any]) -> str:
    return core_payload_digest(payload, default=_jsonable)


def _jsonable(value: Any) -> str:
    if isinstance(value, date | time | UUID):
        return value.isoformat() if not isinstance(value, UUID) else str(value)
    if isinstance(value, models.Model):
        return str(getattr(value, "uuid", value.pk))
    raise TypeError(f"cannot digest {type(value).__name__}")


def _stored(model: type[R], uuid: UUID, patient: Patient, digest: str) -> R | None:
    # The default manager (`objects` on each of these models), named so for the type checker.
    existing = model._default_manager.filter(uuid=uuid).first()
    if existing is None:
        return None
    if existing.patient_id != patient.pk or existing.payload_digest != digest:
        raise SubmissionConflict(f"{uuid} was already used for a different submission")
    return existing


def _create_once(
    model: type[R], *, acting: Actor, patient: Patient, uuid: UUID, payload: dict[str, Any],
    event: Event, **fields: Any,
) -> tuple[R, bool]:
    digest = payload_digest(payload)

    def create() -> R:
        obj = model._default_manager.create(uuid=uuid, patient=patient, payload_digest=digest,
                                   created_by=actor_user(acting), **fields)
        record_audit(event, acting=acting, patient=patient, obj=obj)
        return obj

    return stored_or_created(lambda: _stored(model, uuid, patient, digest), create)


# ---- homework done by doing the exercise ----------------------------------------------------

@transaction.atomic
def do_complete_homework_with(
    record: SubmittedRecord, *, kind: str, acting: Actor, homework: Homework | None = None,
) -> Homework | None:
    """Link a piece of work the patient just did to an open assignment of its kind, which it
    completes: `homework` when the patient started from that assignment (and it is still
    open), else the patient's oldest open assignment of the kind (assigned first). None when
    there is none, or when this record already completed one.

    Called by the actions below when their record is new, wherever it was made (the CBT
    menu, a homework's Start link, the API): doing the exercise is what the homework asks.
    Modules have no record: the module page offers its open assignment from anywhere.
    """
    if Homework.objects.filter(completed_with=record.uuid).exists():
        return None
    open_ones = (Homework.objects.select_for_update().open()
                 .filter(patient_id=record.patient_id, kind=kind))
    chosen = None
    if homework is not None and homework.patient_id == record.patient_id:
        chosen = open_ones.filter(pk=homework.pk).first()
    if chosen is None:
        chosen = open_ones.order_by("created_at", "pk").first()
    if chosen is None:
        return None
    chosen.completed_at = timezone.now()
    chosen.completed_with = record.uuid
    chosen.save(update_fields=["completed_at", "completed_with"])
    record_audit(Event.CBT_HOMEWORK_COMPLETED_BY_EXERCISE, acting=acting,
                 patient=chosen.patient, obj=chosen, detail=kind)
    return chosen


def homework_done_with(record: SubmittedRecord) -> Homework | None:
    """The assignment this record completed, if any (for the page's "homework done" line)."""
    return Homework.objects.filter(completed_with=record.uuid).first()


@transaction.atomic
def do_record_thought(
    patient: Patient, *, acting: Actor, uuid: UUID, data: dict[str, Any],
    homework: Homework | None = None,
) -> tuple[ThoughtRecord, bool]:
    """`data`: occurred_on, situation, automatic_thoughts, emotions, distortions, evidence_for,
    evidence_against, balanced_thought (as ThoughtRecordForm.record_data() gives them).

    A new record completes an open thought-record assignment: `homework` (started from its
    link) or the oldest open one (`do_complete_homework_with`)."""
    record, created = _create_once(
        ThoughtRecord, acting=acting, patient=patient, uuid=uuid, payload=data,
        event=Event.CBT_THOUGHT_RECORD_CREATED, catalogue_version=distortions().version, **data,
    )
    if created:
        do_complete_homework_with(record, kind=Homework.Kind.THOUGHT_RECORD, acting=acting,
                                  homework=homework)
    return record, created


@transaction.atomic
def do_add_value(
    patient: Patient, *, acting: Actor, uuid: UUID, name: str, why: str = ""
) -> tuple[Value, bool]:
    return _create_once(
        Value, acting=acting, patient=patient, uuid=uuid, payload={"name": name, "why": why},
        event=Event.CBT_VALUE_CREATED, name=name, why=why,
    )


@transaction.atomic
def do_add_activity(
    patient: Patient, *, acting: Actor, uuid: UUID, name: str, value: Value | None = None
) -> tuple[Activity, bool]:
    if value is not None and value.patient_id != patient.pk:
        raise ValueError("value belongs to another patient")
    return _create_once(
        Activity, acting=acting, patient=patient, uuid=uuid,
        payload={"name": name, "value": value}, event=Event.CBT_ACTIVITY_CREATED, name=name,
        value=value,
    )


@transaction.atomic
def do_schedule_activity(
    patient: Patient, *, acting: Actor, uuid: UUID, activity: Activity, scheduled_for: date,
    at_time: time | None = None,
) -> tuple[ActivitySlot, bool]:
    if activity.patient_id != patient.pk:
        raise ValueError("activity belongs to another patient")
    return _create_once(
        ActivitySlot, acting=acting, patient=patient, uuid=uuid,
        payload={"activity": activity, "scheduled_for": scheduled_for, "at_time": at_time},
        event=Event.CBT_ACTIVITY_SLOT_SCHEDULED, activity=activity, scheduled_for=scheduled_for,
        at_time=at_time,
    )


RATINGS = ("mastery", "pleasure", "mood_before", "mood_after")


@transaction.atomic
def do_complete_activity(
    slot: ActivitySlot, *, acting: Actor, ratings: dict[str, Any]
) -> tuple[ActivitySlot, bool]:
    """Mark a scheduled activity done with its 0-10 ratings; a completed slot is final."""
    slot = ActivitySlot.objects.select_for_update().get(pk=slot.pk)
    wanted = {name: ratings.get(name) for name in RATINGS}
    if slot.completed_at is not None:
        if {name: getattr(slot, name) for name in RATINGS} == wanted:
            return slot, False
        raise SubmissionConflict("this activity was already completed with other ratings")
    for name, value in wanted.items():
        setattr(slot, name, value)
    slot.completed_at = timezone.now()
    slot.save(update_fields=[*RATINGS, "completed_at"])
    record_audit(Event.CBT_ACTIVITY_SLOT_COMPLETED, acting=acting, patient=slot.patient, obj=slot)
    do_complete_homework_with(slot, kind=Homework.Kind.ACTIVATION, acting=acting)
    return slot, True


@transaction.atomic
def do_add_exposure_item(
    patient: Patient, *, acting: Actor, uuid: UUID, situation: str, expected_suds: int
) -> tuple[ExposureItem, bool]:
    return _create_once(
        ExposureItem, acting=acting, patient=patient, uuid=uuid,
        payload={"situation": situation, "expected_suds": expected_suds},
        event=Event.CBT_EXPOSURE_ITEM_CREATED, situation=situation, expected_suds=expected_suds,
    )


@transaction.atomic
def do_log_exposure(
    item: ExposureItem, *, acting: Actor, uuid: UUID, data: dict[str, Any]
) -> tuple[ExposureLog, bool]:
    """`data`: done_on, suds_before, suds_peak, suds_after, minutes, note. A new log
    completes the oldest open exposure assignment."""
    log, created = _create_once(
        ExposureLog, acting=acting, patient=item.patient, uuid=uuid,
        payload={"item": item, **data}, event=Event.CBT_EXPOSURE_LOG_CREATED, item=item, **data,
    )
    if created:
        do_complete_homework_with(log, kind=Homework.Kind.EXPOSURE, acting=acting)
    return log, created


def current_plan(patient: Patient) -> RelapsePlan | None:
    return RelapsePlan.objects.filter(patient=patient).order_by("-version").first()


@transaction.atomic
def do_save_relapse_plan(
    patient: Patient, *, acting: Actor, uuid: UUID, sections: dict[str, list[str]]
) -> tuple[RelapsePlan, bool]:
    """Save a new version of the plan; saving the current content again changes nothing.
    A new version completes the oldest open relapse-plan assignment."""
    names = [name for name, _label in RelapsePlan.SECTIONS]
    content = {name: list(sections.get(name, [])) for name in names}
    latest = (
        RelapsePlan.objects.select_for_update().filter(patient=patient).order_by("-version")
        .first()
    )
    # A UUID already stored answers for itself first (its own version, or a conflict), even
    # when its content has since become the current plan again.
    stored = _stored(RelapsePlan, uuid, patient, payload_digest(content))
    if stored is not None:
        return stored, False
    if latest is not None and {n: getattr(latest, n) for n in names} == content:
        return latest, False
    plan, created = _create_once(
        RelapsePlan, acting=acting, patient=patient, uuid=uuid, payload=content,
        event=Event.CBT_RELAPSE_PLAN_SAVED, version=(latest.version + 1) if latest else 1,
        **content,
    )
    if created:
        do_complete_homework_with(plan, kind=Homework.Kind.RELAPSE_PLAN, acting=acting)
    return plan, created


@transaction.atomic
def do_assign_homework(
    patient: Patient, *, acting: Actor, uuid: UUID, kind: str, due_on: date,
    instructions: str = "",
    module_slug: str = "",
) -> tuple[Homework, bool]:
    payload = {"kind": kind, "due_on": due_on, "instructions": instructions,
               "module_slug": module_slug}
    return _create_once(
        Homework, acting=acting, patient=patient, uuid=uuid, payload=payload,
        event=Event.CBT_HOMEWORK_ASSIGNED, **payload,
    )


@transaction.atomic
def do_complete_homework(
    homework: Homework, *, acting: Actor, note: str = ""
) -> tuple[Homework, bool]:
    homework = Homework.objects.select_for_update().get(pk=homework.pk)
    if homework.completed_at is not None:
        if homework.completion_note == note:
            return homework, False
        raise SubmissionConflict("this homework was already completed")
    homework.completed_at = timezone.now()
    homework.completion_note = note
    homework.save(update_fields=["completed_at", "completion_note"])
    record_audit(Event.CBT_HOMEWORK_COMPLETED, acting=acting, patient=homework.patient,
                 obj=homework)
    return homework, True
