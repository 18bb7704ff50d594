"""Every write to the diary: submissions (idempotent by client UUID), taper plans, pauses.

A submission, its use events, its audit event and any alerts its flags raise are stored in one
transaction: either all of it is there or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.core.idempotency import SubmissionConflict
from mitra.diary import analytics
from mitra.diary.forms import Submission
from mitra.diary.models import DiaryEntry, TaperPause, TaperPlan, UseEvent
from mitra.diary.units import SUBSTANCES
from mitra.safety.actions import do_raise_alert
from mitra.safety.models import Alert

# Escalation on day D compares D-6..D with D-34..D-7; 35 more days back let an episode that
# began earlier be recognised as already under way instead of raising again.
HISTORY_DAYS = 2 * (analytics.RECENT_DAYS + analytics.BASELINE_DAYS)




@dataclass
class SubmitResult:
    entry: DiaryEntry
    created: bool  # False: a repeat of a stored submission, nothing written
    alerts: list[Alert]


def escalation_share() -> Decimal:
    return Decimal(str(getattr(settings, "MITRA_DIARY_ESCALATION_SHARE",
                               analytics.DEFAULT_ESCALATION_SHARE)))


def do_submit_diary_entry(request_or_user, patient, submission: Submission) -> SubmitResult:
    """Store a submission: a new day, or the next version of a day already recorded.

    Same UUID and same payload: returns the stored entry (created False). Same UUID with a
    different payload: SubmissionConflict.
    """
    try:
        return _submit(request_or_user, patient, submission)
    except IntegrityError:
        # A concurrent request stored this UUID (or this day's next version) first; the retry
        # sees it and answers as for a repeat or makes the version after it.
        return _submit(request_or_user, patient, submission)


@transaction.atomic
def _submit(request_or_user, patient, submission: Submission) -> SubmitResult:
    payload_hash = submission.payload_hash()
    # One query for both questions: was this UUID stored before, and what is the day's current
    # version (locked, so two edits of one day queue up instead of both becoming version 2).
    rows = list(
        DiaryEntry.objects.select_for_update()
        .filter(Q(uuid=submission.uuid)
                | Q(patient=patient, date=submission.date, is_current=True))
    )
    existing = next((e for e in rows if e.uuid == submission.uuid), None)
    if existing is not None:
        if existing.patient_id != patient.pk or existing.payload_hash != payload_hash:
            raise SubmissionConflict(
                f"This submission ID ({submission.uuid}) was already used for different "
                "answers; reload the form to start a new entry."
            )
        return SubmitResult(existing, False, [])
    current = next((e for e in rows if e.patient_id == patient.pk), None)
    if current is not None:
        # An edit: the earlier version stays as it was, it only stops being the current one.
        DiaryEntry.objects.filter(pk=current.pk).update(is_current=False)
        UseEvent.objects.filter(entry=current).update(is_current=False)
    user = getattr(request_or_user, "user", request_or_user)
    entry = DiaryEntry.objects.create(
        uuid=submission.uuid, patient=patient, date=submission.date,
        version=current.version + 1 if current else 1,
        motives=sorted(submission.motives), note=submission.note.strip(),
        payload_hash=payload_hash,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        **submission.ratings,
    )
    UseEvent.objects.bulk_create([
        UseEvent(
            entry=entry, patient=patient, date=submission.date, substance=u["substance"],
            amount=u["amount"], unit=u["unit"], grams_per_unit=u.get("grams_per_unit"),
            grams=u.get("grams"), time=u.get("time"), product_label=u.get("product_label", ""),
        )
        for u in submission.uses
    ])
    record_audit(request_or_user, "diary.entry.revised" if current else "diary.entry.created",
                 patient=patient, obj=entry)
    alerts = raise_flag_alerts(patient, submission.date, entry, request_or_user)
    return SubmitResult(entry, True, alerts)


def load_uses(patient, start: date, end: date) -> list[analytics.Use]:
    """A patient's current use events from `start` to `end` (used by reports too)."""
    return load_diary(patient, start, end)[0]


def load_diary(patient, start: date, end: date) -> tuple[list[analytics.Use], set[date]]:
    """Current use events and the days with an entry, in one query (entries left-joined to
    their use events: a day with an entry and no use is a recorded zero)."""
    rows = (
        DiaryEntry.objects.current()
        .filter(patient=patient, date__gte=start, date__lte=end)
        .values_list("date", "uses__substance", "uses__amount", "uses__unit", "uses__grams")
    )
    uses, observed = [], set()
    for day, substance, amount, unit, grams in rows:
        observed.add(day)
        if substance is not None:
            uses.append(analytics.Use(day, substance, amount, unit, grams))
    return uses, observed


def flags_for_day(patient, day: date, *, this_entry: DiaryEntry | None = None):
    """Flags whose evidence ends on `day`: escalation episodes starting in the week up to
    `day`, co-use on `day`, and a first concentrated 7-OH use on `day`."""
    start = day - timedelta(days=HISTORY_DAYS - 1)
    uses, observed = load_diary(patient, start, day)
    flags = [
        f for f in analytics.escalation_flags(uses, share=escalation_share(), start=start,
                                              end=day, observed=observed)
        if f.date > day - timedelta(days=analytics.RECENT_DAYS)
    ]
    todays = [u for u in uses if u.day == day]
    flags += analytics.co_use_flags(todays)
    if any(u.substance == "7oh_product" for u in todays):
        before = UseEvent.objects.filter(patient=patient, is_current=True,
                                         substance="7oh_product")
        if this_entry is not None:
            before = before.exclude(entry=this_entry)
        flags += analytics.first_7oh_flag(todays, used_before=before.exists())
    return flags


def alert_spec(patient, flag: analytics.Flag) -> dict:
    """The alert a flag raises: kind, priority, reason, dedupe key, evidence link.

    Shared by the live action and the demo cohort, so both raise the same alerts.
    """
    day = flag.date.isoformat()
    evidence = reverse("diary:patient_diary", kwargs={"patient_uuid": patient.uuid})
    evidence += f"?until={day}#day-{day}"
    if flag.kind == "escalation":
        name = SUBSTANCES.get(flag.substance, flag.substance)
        what = ("uses per day" if flag.measure == "uses"
                else f"daily amount ({flag.detail['unit']})")
        return dict(
            kind=Alert.Kind.ESCALATION, priority=Alert.Priority.NORMAL,
            reason=(f"{name}: 7-day mean {what} {flag.detail['recent_mean']} is "
                    f"{flag.detail['change_pct']}% above the previous 28-day mean "
                    f"({flag.detail['baseline_mean']}), from {day}"),
            dedupe_key=f"diary:escalation:{flag.substance}:{day}", evidence_url=evidence,
        )
    if flag.kind == "co_use":
        names = ", ".join(SUBSTANCES[s].lower() for s in flag.detail["substances"])
        return dict(
            kind=Alert.Kind.CO_USE, priority=Alert.Priority.HIGH,
            reason=f"Same-day use on {day}: {names}",
            dedupe_key=f"diary:co_use:{day}", evidence_url=evidence,
        )
    return dict(
        kind=Alert.Kind.CONCENTRATED_7OH, priority=Alert.Priority.HIGH,
        reason=f"First recorded use of a concentrated 7-OH product, on {day}",
        dedupe_key="diary:concentrated_7oh:first", evidence_url=evidence,
    )


def raise_flag_alerts(patient, day: date, entry: DiaryEntry | None, acting) -> list[Alert]:
    raised = []
    for flag in flags_for_day(patient, day, this_entry=entry):
        alert, created = do_raise_alert(
            patient, **alert_spec(patient, flag),
            source_uuid=entry.uuid if entry is not None else None,
            acting_user=getattr(acting, "user", acting),
        )
        if created:
            raised.append(alert)
    return raised


@transaction.atomic
def do_create_taper_plan(request_or_user, patient, data: dict) -> TaperPlan:
    """A new plan for the patient; the plan it replaces is kept, marked as replaced."""
    now = timezone.now()
    TaperPlan.objects.filter(patient=patient, replaced_at__isnull=True).update(replaced_at=now)
    user = getattr(request_or_user, "user", request_or_user)
    plan = TaperPlan.objects.create(patient=patient, created_by=user, **data)
    plan.as_plan()  # the same checks as the arithmetic itself: refuse a plan it cannot follow
    record_audit(request_or_user, "diary.taper_plan.created", patient=patient, obj=plan)
    return plan


@transaction.atomic
def do_pause_taper_plan(request_or_user, plan: TaperPlan, data: dict) -> TaperPause:
    user = getattr(request_or_user, "user", request_or_user)
    pause = TaperPause.objects.create(plan=plan, created_by=user, **data)
    record_audit(request_or_user, "diary.taper_plan.paused", patient=plan.patient, obj=pause)
    return pause


def current_taper_plan(patient) -> TaperPlan | None:
    return (TaperPlan.objects.filter(patient=patient, replaced_at__isnull=True)
            .prefetch_related("pauses").first())
