"""The planner: which prompts to make, and when each schedule fires next.

`Schedule.next_fire_at` is the fire time (UTC) of the schedule's next unplanned occurrence, or
None when nothing is left to plan (stopped, a one-off done, a clinician-rated questionnaire,
which is never asked of the patient). It has a partial index, so the periodic job reads only
the schedules whose time has come, never every patient (`plan_due`).

**Who keeps it.** `replan(...)` recomputes it from the rule (`measures.schedules.rule_of`), the
patient's zone and reminder preferences (quiet hours, pause), and the last prompt planned. The
reminders app calls it from Django signals (`reminders.signals`): when a schedule is saved,
when a patient's reminder preferences are saved, when a patient is saved with a new time zone.
Measures and patients sit below reminders and cannot call it; the signals reach it without
them knowing. (The other way, planning lazily every schedule whose `next_fire_at` is NULL and
that was never planned, would read every finished schedule on every run: no index serves it.)
Rows written without a save signal (`bulk_create`, `QuerySet.update`: the demo cohort, an
import) get their time from `replan_all()`: `mitra remind --replan`, and the demo calls it.

**Planning** (`plan_due(now)`), batch by batch, each batch one short transaction with a fixed
number of queries whatever its size: the due schedules (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
so several workers share the work), their patients' preferences and switched-off channels, one
INSERT of prompts (ON CONFLICT DO NOTHING on the one-prompt-per-day key: planning twice makes
nothing new), one of their deliveries (one per channel that can reach the patient and is on),
and at most five UPDATEs of the schedules' next times (`_save_times`). Missed occurrences are
not prompted late: after an outage only the latest one still open is prompted. An occurrence
already answered (the questionnaire filled in, the diary day recorded, before its reminder) is
stored as an answered prompt with no delivery: no message for something done.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from mitra.diary.models import DiaryEntry
from mitra.lib import conf, jobs
from mitra.measures import recurrence
from mitra.measures.library import get_instrument
from mitra.measures.models import Response, Schedule
from mitra.measures.schedules import rule_of
from mitra.patients.models import Patient
from mitra.reminders import channels
from mitra.reminders.models import ChannelSetting, Delivery, Preference, Prompt
from mitra.reminders.preferences import quiet_from


def promptable(schedule: Schedule) -> bool:
    """Whether the schedule's occurrences are asked of the patient: the diary, and
    questionnaires the patient fills in (a clinician-rated one, COWS, never is)."""
    if not schedule.active:
        return False
    if schedule.form == Schedule.Form.DIARY:
        return True
    try:
        return get_instrument(schedule.instrument).administration == "self_report"
    except KeyError:
        return False


def _zone(name: str) -> ZoneInfo:
    return recurrence.zone(name)  # RuleError naming time_zone for an unknown zone


@dataclass(frozen=True)
class Plan:
    """One schedule's planning at `now`: the occurrence to prompt now (None: nothing due) and
    the one after it (its fire time is the schedule's next `next_fire_at`)."""

    due: recurrence.Occurrence | None
    following: recurrence.Occurrence | None


def plan_for(rule: recurrence.Rule, tz: ZoneInfo, quiet: recurrence.Quiet,
             last_due: date | None, now: datetime) -> Plan:
    """The schedule's plan from the day after its last planned prompt (`last_due`)."""
    from_day = rule.start if last_due is None else max(rule.start, last_due + timedelta(days=1))
    first = recurrence.next_occurrence(rule, tz, quiet, from_day=from_day, now=now)
    if first is None or first.fire_at > now:
        return Plan(None, first)
    due = first
    while True:
        # After an outage several may be open: only the latest is prompted (the others would
        # arrive at once, and the form asks for the current one only).
        after = recurrence.next_occurrence(rule, tz, quiet,
                                           from_day=due.day + timedelta(days=1), now=now)
        if after is None or after.fire_at > now:
            return Plan(due, after)
        due = after


def _with_last_due(schedules: QuerySet[Schedule]) -> QuerySet[Schedule]:
    """The schedules with their patient, the patient's user and the day of their last prompt
    (one backward step on the one-prompt-per-day index each)."""
    last = Prompt.objects.filter(schedule=OuterRef("pk")).order_by("-due_on").values("due_on")[:1]
    return schedules.select_related("patient__user").annotate(last_due=Subquery(last))


def _last_due(schedule: Schedule) -> date | None:
    """The day of the schedule's last prompt, as `_with_last_due` annotated it."""
    return getattr(schedule, "last_due")  # noqa: B009 - an annotation, unknown to the model


def _preferences(patient_ids: Iterable[int]) -> dict[int, Preference]:
    return {p.patient_id: p for p in Preference.objects.filter(patient_id__in=patient_ids)}


# --- replan ------------------------------------------------------------------------------------


def replan(target: Patient | Iterable[int], *, now: datetime | None = None) -> int:
    """Recompute `next_fire_at` of a patient's schedules, or of the schedules with these ids;
    returns how many changed. Three queries for any number (up to a batch, then per batch).
    A schedule of a patient whose zone is unknown gets None (nothing planned until the zone is
    fixed, which replans it)."""
    now = now or timezone.now()
    if isinstance(target, Patient):
        schedules = Schedule.objects.filter(patient=target)
    else:
        schedules = Schedule.objects.filter(pk__in=list(target))
    return _replan(schedules, now)


def replan_all(*, now: datetime | None = None) -> int:
    """`replan` for every active schedule, batch by batch (after an import or `bulk_create`)."""
    return _replan(Schedule.objects.filter(active=True), now or timezone.now())


def _replan(schedules: QuerySet[Schedule], now: datetime) -> int:
    changed, size, after = 0, conf.reminder_batch(), 0
    while True:
        batch = list(_with_last_due(schedules.filter(pk__gt=after)).order_by("pk")[:size])
        if not batch:
            return changed
        prefs = _preferences({s.patient_id for s in batch})
        update = []
        for schedule in batch:
            fire_at = _next_fire_at(schedule, prefs.get(schedule.patient_id), now)
            if fire_at != schedule.next_fire_at:
                schedule.next_fire_at = fire_at
                update.append(schedule)
        Schedule.objects.bulk_update(update, ["next_fire_at"])
        changed += len(update)
        if len(batch) < size:
            return changed
        after = batch[-1].pk


def _next_fire_at(schedule: Schedule, pref: Preference | None, now: datetime
                  ) -> datetime | None:
    if not promptable(schedule):
        return None
    try:
        tz = _zone(schedule.patient.time_zone)
    except recurrence.RuleError:
        return None
    plan = plan_for(rule_of(schedule), tz, quiet_from(pref), _last_due(schedule), now)
    # A due occurrence not yet planned fires now (the next run plans it); else the next one.
    nxt = plan.due or plan.following
    return nxt.fire_at if nxt else None


# --- plan_due ----------------------------------------------------------------------------------


def due_schedules(now: datetime) -> QuerySet[Schedule]:
    """Active schedules whose next prompt's time has come (the partial index schedule_next_fire:
    active rows with a time, in time order)."""
    return Schedule.objects.filter(active=True, next_fire_at__lte=now).order_by("next_fire_at")


def plan_due(now: datetime, *, batch: int | None = None) -> int:
    """Make the prompts (and their deliveries) of every schedule due at `now`; returns how many
    prompts were made. Idempotent: a second run at the same `now` makes none. A schedule that
    cannot be planned (its patient's zone is unknown) is reported in `jobs.JobFailed` after the
    others were planned, and left without a time until it is replanned."""
    size = batch or conf.reminder_batch()
    made, failures = 0, []
    while True:
        taken, count, failed = _plan_batch(now, size)
        made += count
        failures += failed
        if taken < size:
            break
    if failures:
        raise jobs.JobFailed(made, failures)
    return made


@transaction.atomic
def _plan_batch(now: datetime, size: int) -> tuple[int, int, list[jobs.Failure]]:
    """One batch: (schedules taken, prompts made, failures)."""
    # Locks the schedule rows only (not their patients'); rows another worker holds are skipped
    # and left to it. On SQLite (one writer at a time) it is a plain SELECT.
    schedules = list(_with_last_due(due_schedules(now))
                     .select_for_update(skip_locked=True, of=("self",))[:size])
    if not schedules:
        return 0, 0, []
    patients = {s.patient_id: s.patient for s in schedules}
    prefs = _preferences(patients)
    failures: list[jobs.Failure] = []
    plans: list[tuple[Schedule, recurrence.Occurrence]] = []
    for schedule in schedules:
        try:
            if not promptable(schedule):
                schedule.next_fire_at = None
                continue
            tz = _zone(schedule.patient.time_zone)
            plan = plan_for(rule_of(schedule), tz, quiet_from(prefs.get(schedule.patient_id)),
                            _last_due(schedule), now)
        except recurrence.RuleError as exc:
            failures.append(jobs.Failure(f"schedule {schedule.uuid}", exc))
            schedule.next_fire_at = None
            continue
        schedule.next_fire_at = plan.following.fire_at if plan.following else None
        if plan.due is not None:
            plans.append((schedule, plan.due))
    made = _make_prompts(plans, patients, now)
    _save_times(schedules)
    return len(schedules), made, failures


# Schedules due together mostly fire together again (the same time of day in the same zone):
# the largest groups sharing a time get one plain UPDATE each, the rest one bulk_update, whose
# CASE of a branch per row cost more to build than the rest of the batch's planning.
SHARED_TIMES = 4


def _save_times(schedules: list[Schedule]) -> None:
    groups: dict[datetime | None, list[Schedule]] = defaultdict(list)
    for schedule in schedules:
        groups[schedule.next_fire_at].append(schedule)
    rest: list[Schedule] = []
    for n, (fire_at, group) in enumerate(sorted(groups.items(), key=lambda g: -len(g[1]))):
        if n < SHARED_TIMES and len(group) > 1:
            Schedule.objects.filter(pk__in=[s.pk for s in group]).update(next_fire_at=fire_at)
        else:
            rest += group
    Schedule.objects.bulk_update(rest, ["next_fire_at"])


def _make_prompts(plans: list[tuple[Schedule, recurrence.Occurrence]],
                  patients: dict[int, Patient], now: datetime) -> int:
    if not plans:
        return 0
    done = _answered_already(plans)
    prompts = []
    for schedule, occ in plans:
        answered_at = done.get(schedule.pk)
        prompts.append(Prompt(
            uuid=uuid.uuid4(), patient_id=schedule.patient_id, schedule_id=schedule.pk,
            due_on=occ.day, fire_at=occ.fire_at, expires_at=occ.expires_at,
            **({"state": Prompt.State.ANSWERED, "answered_at": answered_at}
               if answered_at else {}),
        ))
    # A prompt already there (another run planned this day) is left alone: no second one, and
    # no delivery made for it here.
    Prompt.objects.bulk_create(prompts, ignore_conflicts=True)
    stored = dict(Prompt.objects.filter(uuid__in=[p.uuid for p in prompts])
                  .values_list("uuid", "pk"))
    new = [p for p in prompts if p.uuid in stored]
    _make_deliveries([p for p in new if p.state == Prompt.State.PLANNED], stored, patients)
    return len(new)


def _make_deliveries(prompts: Sequence[Prompt], ids: dict[uuid.UUID, int],
                     patients: dict[int, Patient]) -> None:
    if not prompts:
        return
    asked = {p.patient_id for p in prompts}
    off = set(ChannelSetting.objects.filter(patient_id__in=asked, enabled=False)
              .values_list("patient_id", "channel"))
    people = [patients[pk] for pk in asked]
    reach = {c.name: c.reachable(people) for c in channels.registered()}
    Delivery.objects.bulk_create([
        Delivery(prompt_id=ids[p.uuid], channel=name, next_attempt_at=p.fire_at)
        for p in prompts for name, reachable in reach.items()
        if p.patient_id in reachable and (p.patient_id, name) not in off
    ])


def _answered_already(plans: list[tuple[Schedule, recurrence.Occurrence]]
                      ) -> dict[int, datetime]:
    """The schedules whose due occurrence was answered before its prompt was made: schedule id
    -> when (the due rule's own test: a response on or after the due day, the patient's local
    day; a diary entry for the due day or a later one). Two queries at most."""
    since = min(occ.day for _s, occ in plans) - timedelta(days=1)
    found: dict[int, datetime] = {}
    forms = [(s, occ) for s, occ in plans if s.form == Schedule.Form.QUESTIONNAIRE]
    if forms:
        rows = (Response.objects
                .filter(patient_id__in={s.patient_id for s, _o in forms},
                        instrument__in={s.instrument for s, _o in forms},
                        submitted_at__gte=datetime.combine(since, time.min, tzinfo=UTC))
                .values("patient_id", "instrument").annotate(last=Max("submitted_at")))
        last = {(r["patient_id"], r["instrument"]): r["last"] for r in rows}
        for schedule, occ in forms:
            at = last.get((schedule.patient_id, schedule.instrument))
            tz = _zone(schedule.patient.time_zone)
            if at is not None and at.astimezone(tz).date() >= occ.day:
                found[schedule.pk] = at
    diaries = [(s, occ) for s, occ in plans if s.form == Schedule.Form.DIARY]
    if diaries:
        rows = (DiaryEntry.objects.current()
                .filter(patient_id__in={s.patient_id for s, _o in diaries}, date__gte=since)
                .values("patient_id").annotate(day=Max("date"), at=Max("created_at")))
        days = {r["patient_id"]: (r["day"], r["at"]) for r in rows}
        for schedule, occ in diaries:
            day, at = days.get(schedule.patient_id, (None, None))
            if day is not None and day >= occ.day:
                found[schedule.pk] = at
    return found
