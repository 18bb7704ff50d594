"""Demo cohort: a daily diary reminder for every patient who keeps the diary, and a history of
prompts over the last weeks in every state (answered, expired unanswered, opened and left,
failed with its reason, and today's still open), so the caseload's adherence column, the
clinician's panel and the patient's history have something true to show.

Nothing is mailed: the history is written as it would have happened, and the planner's next
times start after it (`replan_all`), so starting the demo sends no flood of console mail.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db.models import F
from django.utils import timezone

from mitra.diary.models import DiaryEntry
from mitra.measures import recurrence
from mitra.measures.models import Schedule
from mitra.measures.schedules import rule_of
from mitra.patients.cohort import DemoContext, team_clinician
from mitra.reminders.models import Delivery, Prompt
from mitra.reminders.planner import plan_due, replan_all
from mitra.reminders.preferences import EMAIL

HISTORY_DAYS = 28
DIARY_AT = time(20, 0)
DIARY_WINDOW_MINUTES = 12 * 60  # until 08:00 the next morning
FAILURE = "mail server unreachable (connection refused); retried until the window closed"


def populate(ctx: DemoContext) -> None:
    diary_days: dict[int, set] = defaultdict(set)
    for patient_id, day in DiaryEntry.objects.filter(
            patient__in=[dp.patient for dp in ctx.patients], is_current=True
    ).values_list("patient_id", "date"):
        diary_days[patient_id].add(day)
    schedules = Schedule.objects.bulk_create([
        Schedule(patient=dp.patient, form=Schedule.Form.DIARY, cadence=Schedule.Cadence.INTERVAL,
                 every_days=1, start=ctx.start, time_of_day=DIARY_AT,
                 window_minutes=DIARY_WINDOW_MINUTES, created_by=team_clinician(ctx, dp.index))
        for dp in ctx.patients if diary_days[dp.patient.pk]
    ])
    rng = ctx.rng("reminders")
    now = timezone.now()
    prompts: list[Prompt] = []
    for schedule in schedules:
        patient = schedule.patient
        tz = recurrence.zone(patient.time_zone)
        rule = rule_of(schedule)
        first = max(ctx.start, ctx.today - timedelta(days=HISTORY_DAYS))
        for day in recurrence.days(rule, first):
            found = recurrence.occurrence(rule, day, tz)
            if found is None:
                continue
            if found.fire_at > now:
                break
            prompts.append(_story(Prompt(
                patient=patient, schedule=schedule, due_on=day, fire_at=found.fire_at,
                expires_at=found.expires_at), day in diary_days[patient.pk], now, rng))
    Prompt.objects.bulk_create(prompts, batch_size=1000)
    Delivery.objects.bulk_create([_delivery(p) for p in prompts if p.state != "planned"],
                                 batch_size=1000)
    # bulk_create sends no save signal: the planner's times are set here, once for all,
    # after the history (a schedule's next prompt is the first after its last one).
    replan_all(now=now)
    _already_sent(now)


def _already_sent(now: datetime) -> None:
    """Plan what is open now (the questionnaires due today among them) and record it as sent
    when it fired, as if the demo had been running: starting the demo mails nothing."""
    plan_due(now)
    waiting = list(Prompt.objects.filter(state=Prompt.State.PLANNED, fire_at__lte=now))
    deliveries = list(Delivery.objects.filter(prompt__in=waiting,
                                              state=Delivery.State.PENDING))
    fired = {p.pk: p.fire_at for p in waiting}
    for d in deliveries:
        d.state, d.attempts, d.sent_at = Delivery.State.SENT, 1, fired[d.prompt_id]
    Delivery.objects.bulk_update(deliveries, ["state", "attempts", "sent_at"])
    Prompt.objects.filter(pk__in=fired).update(state=Prompt.State.SENT, sent_at=F("fire_at"))


def _story(p: Prompt, recorded: bool, now: datetime, rng) -> Prompt:
    """What happened to one prompt: answered when the day was recorded, else expired (or, now
    and then, opened and left, or never delivered)."""
    S = Prompt.State
    if rng.random() < 0.03:
        p.state, p.failure, p.closed_at = S.FAILED, FAILURE, p.expires_at
        return p
    p.sent_at = p.fire_at + timedelta(seconds=rng.randrange(5, 90))
    if recorded:
        p.state = S.ANSWERED
        p.opened_at = p.sent_at + timedelta(minutes=rng.randrange(2, 150))
        p.answered_at = p.opened_at + timedelta(minutes=rng.randrange(2, 10))
        if p.answered_at >= p.expires_at:
            p.answered_at = p.expires_at - timedelta(minutes=1)
    elif p.expires_at > now:  # still open: some already opened, not yet answered
        if rng.random() < 0.3:
            p.state, p.opened_at = S.OPENED, min(now, p.sent_at + timedelta(minutes=20))
        else:
            p.state = S.SENT
    elif rng.random() < 0.25:
        p.state, p.opened_at, p.closed_at = S.EXPIRED, p.sent_at + timedelta(hours=1), \
            p.expires_at
    else:
        p.state, p.closed_at = S.EXPIRED, p.expires_at
    return p


def _delivery(p: Prompt) -> Delivery:
    D = Delivery.State
    if p.state == Prompt.State.FAILED:
        return Delivery(prompt=p, channel=EMAIL, state=D.FAILED, attempts=6,
                        next_attempt_at=p.expires_at, last_error=FAILURE[:200])
    return Delivery(prompt=p, channel=EMAIL, state=D.SENT, attempts=1,
                    next_attempt_at=p.fire_at, sent_at=p.sent_at)
