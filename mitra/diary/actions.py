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
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.diary import analytics
from mitra.diary.forms import Submission
from mitra.diary.models import DiaryEntry, TaperPause, TaperPlan, UseEvent
from mitra.diary.units import SUBSTANCES
from mitra.lib import rowsql
from mitra.lib.idempotency import SubmissionConflict
from mitra.safety.actions import (
    co_substance_has_rules,
    do_close_caught_up,
    do_raise_alert,
    do_raise_new_alerts,
    do_screen_patient,
)
from mitra.safety.models import Alert, ScreeningRun

# A submission for day D looks for escalation episodes starting in D-6..D; whether D-6 starts
# one depends on D-7, whose 35 days of windows reach back to D-41: 42 days read.
FLAG_DAYS = analytics.RECENT_DAYS
HISTORY_DAYS = FLAG_DAYS + analytics.RECENT_DAYS + analytics.BASELINE_DAYS




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


# The submission's own statements are written out (`core.rowsql`): built by the ORM on every
# call, they were most of a submission's cost, and this is the busiest write in Mitra. Table
# names come from the models' metadata and every value is a parameter (hence `noqa: S608`).
_ENTRY, _USE = rowsql.table(DiaryEntry), rowsql.table(UseEvent)


@transaction.atomic
def _submit(request_or_user, patient, submission: Submission) -> SubmitResult:
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
    user = getattr(request_or_user, "user", request_or_user)
    entry = rowsql.insert(DiaryEntry(
        uuid=submission.uuid, patient=patient, date=submission.date,
        version=current[3] + 1 if current else 1,
        motives=sorted(submission.motives), note=submission.note.strip(),
        payload_hash=payload_hash,
        created_by_id=user.pk if getattr(user, "is_authenticated", False) else None,
        **submission.ratings,
    ))
    for u in submission.uses:
        rowsql.insert(UseEvent(
            entry_id=entry.pk, patient_id=patient.pk, date=submission.date,
            substance=u["substance"], amount=u["amount"], unit=u["unit"],
            grams_per_unit=u.get("grams_per_unit"),
            grams=u.get("grams"), time=u.get("time"), product_label=u.get("product_label", ""),
        ))
    record_audit(request_or_user, "diary.entry.revised" if current else "diary.entry.created",
                 patient=patient, obj=entry)
    alerts = raise_flag_alerts(patient, submission.date, entry, request_or_user)
    if has_unresolved_missed_diary_alert(patient, submission.date):
        do_close_caught_up(
            patient, kind=Alert.Kind.MISSED_DIARY, acting=request_or_user,
            note=f"Closed automatically: the patient recorded the diary for {submission.date}.",
            # Gaps that began on or before this day (keys end in the ISO day, sorting as text).
            only=Q(dedupe_key__lte=missed_diary_key(submission.date)))
    alerts += screen_co_substances(patient, submission.uses, entry, request_or_user)
    return SubmitResult(entry, True, alerts)


def has_unresolved_missed_diary_alert(patient, up_to: date) -> bool:
    """A cheap look before `do_close_caught_up` locks anything (nearly every submission has
    no missed-diary alert to close): an unresolved one for a gap that began on or before
    `up_to`. The key range keeps to missed-diary keys in the (patient, key) index."""
    return bool(rowsql.rows(
        f"SELECT 1 FROM {rowsql.table(Alert)} WHERE patient_id = %s AND dedupe_key >= %s "  # noqa: S608
        "AND dedupe_key <= %s AND kind = %s AND status <> %s LIMIT 1",
        [patient.pk, MISSED_DIARY_PREFIX, missed_diary_key(up_to), Alert.Kind.MISSED_DIARY,
         Alert.Status.RESOLVED]))


# Diary substances that are what screening calls kratom, kava and 7oh.
SCREENING_SUBSTANCE = {"kratom_powder": "kratom", "kratom_capsule": "kratom",
                       "kratom_extract": "kratom", "7oh_product": "7oh", "kava": "kava"}
# Diary substances screened under their own id: alcohol is a dictionary name; opioid and
# benzodiazepine are classes (`safety.actions.CO_SUBSTANCE_CLASSES`); cannabis has no rule.
NAMED_CO_SUBSTANCES = ("alcohol", "opioid", "benzodiazepine", "cannabis")


def co_substance_names(uses) -> list[str]:
    """The co-substances of these use events that an interaction rule of kratom, kava or 7-OH
    names. "Other" counts only when its product label is a name the medication dictionary knows
    (free text such as "energy drink" is not a medication list and is not screened)."""
    names = []
    for use in uses:
        substance = use["substance"]
        if substance in SCREENING_SUBSTANCE:
            continue
        name = (substance if substance in NAMED_CO_SUBSTANCES
                else (use.get("product_label") or "").strip())
        if name and name not in names and co_substance_has_rules(name):
            names.append(name)
    return names


def screen_co_substances(patient, uses, entry: DiaryEntry, acting) -> list[Alert]:
    """Run the safety screening (trigger `diary`) when the entry records a co-substance that
    the knowledge base has rules about; returns the alerts it raised. Interaction alerts are
    deduplicated by rule and matched names, so drinking every day alerts once, not daily."""
    co = co_substance_names(uses)
    if not co:
        return []
    since = timezone.now()
    user = getattr(acting, "user", acting)
    run = do_screen_patient(
        patient, acting_user=user, trigger=ScreeningRun.Trigger.DIARY, co_substances=co,
        substances=sorted({SCREENING_SUBSTANCE[u["substance"]] for u in uses
                           if u["substance"] in SCREENING_SUBSTANCE}),
    )
    return list(Alert.objects.filter(patient=patient, source_uuid=run.uuid,
                                     created_at__gte=since))


def load_uses(patient, start: date, end: date) -> list[analytics.Use]:
    """A patient's current use events from `start` to `end` (used by reports too)."""
    return load_diary(patient, start, end)[0]


def load_diary(patient, start: date, end: date) -> tuple[list[analytics.Use], set[date]]:
    """Current use events and the days with an entry, in one query (entries left-joined to
    their use events: a day with an entry and no use is a recorded zero). Written out: it
    runs on every submission (`_submit`)."""
    found = rowsql.rows(
        f"SELECT e.date, u.substance, u.amount, u.unit, u.grams FROM {_ENTRY} e "  # noqa: S608
        f"LEFT JOIN {_USE} u ON u.entry_id = e.id "
        "WHERE e.patient_id = %s AND e.is_current AND e.date >= %s AND e.date <= %s "
        "ORDER BY e.date DESC, u.id",
        [patient.pk, rowsql.prep(DiaryEntry, "date", start),
         rowsql.prep(DiaryEntry, "date", end)])
    uses, observed = [], set()
    for day, substance, amount, unit, grams in found:
        observed.add(day)
        if substance is not None:
            uses.append(analytics.Use(day, substance, rowsql.decimal(amount, 3), unit,
                                      rowsql.decimal(grams, 3)))
    return uses, observed


def flags_for_day(patient, day: date, *, this_entry: DiaryEntry | None = None):
    """Flags whose evidence ends on `day`: escalation episodes starting in the week up to
    `day`, co-use on `day`, and a first concentrated 7-OH use on `day`."""
    start = day - timedelta(days=HISTORY_DAYS - 1)
    uses, observed = load_diary(patient, start, day)
    flags = analytics.escalation_flags(uses, share=escalation_share(), start=start, end=day,
                                       observed=observed,
                                       since=day - timedelta(days=FLAG_DAYS - 1))
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
    return do_raise_new_alerts(
        patient, [alert_spec(patient, flag) for flag in flags_for_day(patient, day,
                                                                      this_entry=entry)],
        source_uuid=entry.uuid if entry is not None else None,
        acting_user=getattr(acting, "user", acting))


# ---- missed diary days (the periodic job) ---------------------------------------------------

def missed_diary_days() -> int:
    return max(1, int(getattr(settings, "MITRA_DIARY_MISSED_DAYS", 3)))


MISSED_DIARY_PREFIX = "diary:missed:"


def missed_diary_key(first_missed: date) -> str:
    return f"{MISSED_DIARY_PREFIX}{first_missed.isoformat()}"


def missed_diary_alert_spec(patient, first_missed: date, last_missed: date) -> dict:
    """The MISSED_DIARY alert for a gap that began on `first_missed` (one alert per gap).

    Shared by the periodic job and the demo cohort."""
    last_entry = (first_missed - timedelta(days=1)).isoformat()
    evidence = reverse("diary:patient_diary", kwargs={"patient_uuid": patient.uuid})
    days = (last_missed - first_missed).days + 1
    return dict(
        kind=Alert.Kind.MISSED_DIARY, priority=Alert.Priority.NORMAL,
        reason=(f"No diary entry for {days} days in a row ({first_missed.isoformat()} to "
                f"{last_missed.isoformat()}); last entry {last_entry}"),
        dedupe_key=missed_diary_key(first_missed),
        evidence_url=f"{evidence}?until={last_entry}#day-{last_entry}",
    )


def raise_missed_diary_alerts(today: date | None = None) -> list[Alert]:
    """One MISSED_DIARY alert per gap of `MITRA_DIARY_MISSED_DAYS` (default 3) or more whole
    days without an entry, up to yesterday (today can still be filled in).

    Only for patients who use the diary (at least one entry) and were enrolled at least that
    many days ago. Idempotent: the dedupe key is the gap's first day; and a gap that an earlier
    alert already covered (a later back-filled entry moved its start) raises nothing new.
    """
    today = today or timezone.localdate()
    n = missed_diary_days()
    yesterday = today - timedelta(days=1)
    last_entries = dict(
        DiaryEntry.objects.current()
        .filter(patient__enrolled_on__lte=today - timedelta(days=n))
        .values("patient").annotate(last=Max("date"))
        .filter(last__lte=yesterday - timedelta(days=n))
        .values_list("patient", "last")
    )
    if not last_entries:
        return []
    latest_alert = dict(
        Alert.objects.filter(kind=Alert.Kind.MISSED_DIARY, patient__in=list(last_entries))
        .values("patient").annotate(at=Max("created_at")).values_list("patient", "at")
    )
    from mitra.patients.models import Patient

    raised = []
    for patient in Patient.objects.filter(pk__in=list(last_entries)).order_by("pk"):
        first_missed = last_entries[patient.pk] + timedelta(days=1)
        at = latest_alert.get(patient.pk)
        if at is not None and timezone.localdate(at) > first_missed:
            continue  # an alert was raised during this gap already
        with transaction.atomic():
            alert, created = do_raise_alert(
                patient, **missed_diary_alert_spec(patient, first_missed, yesterday))
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


@transaction.atomic
def do_end_taper_pause(request_or_user, pause: TaperPause, end: date,
                       *, today: date | None = None) -> tuple[TaperPause, bool]:
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
    record_audit(request_or_user, "diary.taper_plan.pause_ended", patient=pause.plan.patient,
                 obj=pause, detail=f"end_date={end.isoformat()}")
    return pause, True


@transaction.atomic
def do_cancel_taper_pause(request_or_user, pause: TaperPause,
                          *, today: date | None = None) -> tuple[TaperPause, bool]:
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
    pause.cancelled_by = getattr(request_or_user, "user", request_or_user)
    pause.save(update_fields=["cancelled_at", "cancelled_by"])
    record_audit(request_or_user, "diary.taper_plan.pause_cancelled",
                 patient=pause.plan.patient, obj=pause)
    return pause, True


def current_taper_plan(patient) -> TaperPlan | None:
    return (TaperPlan.objects.filter(patient=patient, replaced_at__isnull=True)
            .prefetch_related("pauses").first())
