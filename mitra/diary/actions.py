"""Every write to the diary: submissions (idempotent by client UUID), taper plans, pauses.

A submission, its use events, its audit event and any alerts it raises (`diary.alerts`) are
stored in one transaction: either all of it is there or none of it. Reads shared with other
apps are in `diary.queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.diary.alerts import (
    has_unresolved_missed_diary_alert,
    missed_diary_key,
    raise_flag_alerts,
    screen_co_substances,
)
from mitra.diary.models import DiaryEntry, TaperPause, TaperPlan, UseEvent
from mitra.diary.submission import Submission
from mitra.lib import rowsql
from mitra.lib.idempotency import SubmissionConflict
from mitra.patients.models import Patient
from mitra.safety.actions import do_close_caught_up
from mitra.safety.models import Alert


@dataclass
class SubmitResult:
    entry: DiaryEntry
    created: bool  # False: a repeat of a stored submission, nothing written
    alerts: list[Alert]


def do_submit_diary_entry(patient: Patient, submission: Submission, *,
                          acting: Actor) -> SubmitResult:
    """Store a submission: a new day, or the next version of a day already recorded.

    Same UUID and same payload: returns the stored entry (created False). Same UUID with a
    different payload: SubmissionConflict.
    """
    try:
        return _submit(patient, submission, acting=acting)
    except IntegrityError:
        # A concurrent request stored this UUID (or this day's next version) first; the retry
        # sees it and answers as for a repeat or makes the version after it.
        return _submit(patient, submission, acting=acting)


# The submission's look-up and its edit UPDATEs are written out (`lib.rowsql`, plain SQL on
# Django's cursor): measured against the ORM with prepared statements they save 7-12% of a
# submission each (bench/rowsql_uses.py); the inserts saved 1-5% and are the ORM's again.
# Table names come from the models' metadata and every value is a parameter (`noqa: S608`).
_ENTRY, _USE = rowsql.table(DiaryEntry), rowsql.table(UseEvent)


@transaction.atomic
def _submit(patient: Patient, submission: Submission, *, acting: Actor) -> SubmitResult:
    payload_hash = submission.payload_hash()
    uuid_param = rowsql.prep(DiaryEntry, "uuid", submission.uuid)
    day_param = rowsql.prep(DiaryEntry, "date", submission.date)
    # One query for both questions: was this UUID stored before, and what is the day's current
    # version (locked, so two edits of one day queue up instead of both becoming version 2).
    rows = rowsql.rows(
        f"SELECT id, uuid, patient_id, version, payload_hash FROM {_ENTRY} "  # noqa: S608
        f"WHERE uuid = %s OR (patient_id = %s AND date = %s AND is_current){rowsql.for_update()}",
        [uuid_param, patient.pk, day_param])
    existing = next((r for r in rows if r[1] == uuid_param), None)
    if existing is not None:
        if existing[2] != patient.pk or existing[4] != payload_hash:
            raise SubmissionConflict(
                f"This submission ID ({submission.uuid}) was already used for different "
                "answers; reload the form to start a new entry."
            )
        return SubmitResult(DiaryEntry.objects.get(pk=existing[0]), False, [])
    current = next((r for r in rows if r[2] == patient.pk), None)
    if current is not None:
        # An edit: the earlier version stays as it was, it only stops being the current one.
        rowsql.execute(f"UPDATE {_ENTRY} SET is_current = %s WHERE id = %s",  # noqa: S608
                       [False, current[0]])
        rowsql.execute(f"UPDATE {_USE} SET is_current = %s WHERE entry_id = %s",  # noqa: S608
                       [False, current[0]])
    user = actor_user(acting)
    entry = DiaryEntry.objects.create(
        uuid=submission.uuid, patient=patient, date=submission.date,
        version=current[3] + 1 if current else 1,
        motives=sorted(submission.motives), note=submission.note.strip(),
        payload_hash=payload_hash,
        created_by_id=user.pk if user is not None else None,
        **submission.ratings,
    )
    UseEvent.objects.bulk_create([
        UseEvent(
            entry_id=entry.pk, patient_id=patient.pk, date=submission.date,
            substance=u["substance"], amount=u["amount"], unit=u["unit"],
            grams_per_unit=u.get("grams_per_unit"),
            grams=u.get("grams"), time=u.get("time"), product_label=u.get("product_label", ""),
        )
        for u in submission.uses
    ])
    record_audit(Event.DIARY_ENTRY_REVISED if current else Event.DIARY_ENTRY_CREATED,
                 acting=acting, patient=patient, obj=entry)
    alerts = raise_flag_alerts(patient, submission.date, entry, acting=acting)
    if has_unresolved_missed_diary_alert(patient, submission.date):
        do_close_caught_up(
            patient, kind=Alert.Kind.MISSED_DIARY, acting=acting,
            note=f"Closed automatically: the patient recorded the diary for {submission.date}.",
            # Gaps that began on or before this day (keys end in the ISO day, sorting as text).
            only=Q(dedupe_key__lte=missed_diary_key(submission.date)))
    alerts += screen_co_substances(patient, submission.uses, entry, acting=acting)
    return SubmitResult(entry, True, alerts)


@transaction.atomic
def do_create_taper_plan(patient: Patient, data: dict[str, Any], *, acting: Actor) -> TaperPlan:
    """A new plan for the patient; the plan it replaces is kept, marked as replaced."""
    now = timezone.now()
    TaperPlan.objects.filter(patient=patient, replaced_at__isnull=True).update(replaced_at=now)
    plan = TaperPlan.objects.create(patient=patient, created_by=actor_user(acting), **data)
    plan.as_plan()  # the same checks as the arithmetic itself: refuse a plan it cannot follow
    record_audit(Event.DIARY_TAPER_PLAN_CREATED, acting=acting, patient=patient, obj=plan)
    return plan


@transaction.atomic
def do_pause_taper_plan(plan: TaperPlan, data: dict[str, Any], *, acting: Actor) -> TaperPause:
    """A pause in the plan (`data`: the pause form's start_date, end_date and reason)."""
    pause = TaperPause.objects.create(plan=plan, created_by=actor_user(acting), **data)
    record_audit(Event.DIARY_TAPER_PLAN_PAUSED, acting=acting, patient=plan.patient, obj=pause)
    return pause


@transaction.atomic
def do_end_taper_pause(pause: TaperPause, end: date, *, acting: Actor,
                       today: date | None = None) -> tuple[TaperPause, bool]:
    """End a pause on `end` (the plan steps again from the day after). (pause, changed).

    Idempotent: a pause already over (its end date on or before today), or one that already
    ends on or before `end`, is left as it is and nothing is audited. `end` must not be before
    the pause's start (the form checks it; this refuses it as well).
    """
    today = today or timezone.localdate()
    pause = TaperPause.objects.select_for_update().get(pk=pause.pk)
    if pause.end_date is not None and (pause.end_date <= today or pause.end_date <= end):
        return pause, False
    if end < pause.start_date:
        raise ValueError(f"end_date must be on or after the pause's start ({pause.start_date})")
    pause.end_date = end
    pause.save(update_fields=["end_date"])
    record_audit(Event.DIARY_TAPER_PLAN_PAUSE_ENDED, acting=acting, patient=pause.plan.patient,
                 obj=pause, detail=f"end_date={end.isoformat()}")
    return pause, True


@transaction.atomic
def do_cancel_taper_pause(pause: TaperPause, *, acting: Actor,
                          today: date | None = None) -> tuple[TaperPause, bool]:
    """Cancel a pause that has not begun (it starts after today): it stays on record, marked
    cancelled, and the plan no longer counts it. (pause, changed).

    Idempotent: a pause already cancelled is left as it is and nothing is audited. A pause that
    has begun is ended, not cancelled (`do_end_taper_pause`): ValueError.
    """
    today = today or timezone.localdate()
    pause = TaperPause.objects.select_for_update().get(pk=pause.pk)
    if pause.cancelled_at is not None:
        return pause, False
    if pause.start_date <= today:
        raise ValueError(f"this pause began on {pause.start_date}: end it instead of "
                         "cancelling it")
    pause.cancelled_at = timezone.now()
    pause.cancelled_by = actor_user(acting)
    pause.save(update_fields=["cancelled_at", "cancelled_by"])
    record_audit(Event.DIARY_TAPER_PLAN_PAUSE_CANCELLED, acting=acting,
                 patient=pause.plan.patient, obj=pause)
    return pause, True
