"""The dispatcher: sends the due deliveries, retries while a channel is down, closes prompts.

**Sending** (`send_due(now)`) goes batch by batch through the pending deliveries whose
`next_attempt_at` has come (the index delivery_due), in three steps, so that no transaction or
row lock is ever held while a mail server is talked to:

1. **Claim**, one short transaction: the batch's rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL:
   several workers share the work, none takes another's) become SENDING with `claimed_until`
   (`MITRA_REMINDER_CLAIM_MINUTES`) and one attempt more; committed at once.
2. **Send**, outside any transaction: each channel's `send_many` with the whole batch (e-mail:
   one SMTP connection). A delivery no longer wanted (answered or opened first, the channel
   turned off, the schedule stopped) is not sent but CANCELLED.
3. **Record**, a fixed number of statements: SENT (the prompt too, with `sent_at`); a failure
   that left nothing behind goes back to PENDING with `last_error` and a backoff (1 minute,
   doubling to an hour); once the next try would come after the prompt closes, or for a
   failure that retrying cannot mend, FAILED, and the prompt FAILED with the reason when none
   of its channels delivered it.

**Never two messages for one prompt.** Only the worker holding the claim sends. A delivery
still SENDING after its claim ran out belongs to a worker that died between claim and record;
its message may or may not have left, so it is marked FAILED ("outcome unknown, not resent"),
never sent again. (Alert escalation makes the other choice, a second mail rather than none:
`safety/escalation.py`. A reminder missed costs less than an urgent alert missed.) The sender
stops 10 x EMAIL_TIMEOUT before its claim runs out and puts the untried rest back, so a live,
slow worker is never taken for a dead one.

**Expiry** (`expire(now)`): a prompt whose window closed unanswered is EXPIRED, or FAILED when
it was never delivered though it had a channel (the deliveries still pending fail with it).

Every job is an idempotent function of the database and `now`; failures are reported through
`mitra.lib.jobs.JobFailed` (one line per channel and error), so `mitra remind` and `mitra
escalate` exit 1 while a channel is down.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, Substr

from mitra.lib import conf, jobs
from mitra.reminders import channels
from mitra.reminders.channels import Outcome
from mitra.reminders.models import ChannelSetting, Delivery, Prompt

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_LONGEST = timedelta(hours=1)
ABANDONED = "outcome unknown, not resent: its sender stopped while sending (claim ran out)"
CLOSED_UNSENT = "not delivered before the check-in closed"


class DeliveryError(Exception):
    """What `send_due` reports for the deliveries of one channel that failed with one error."""


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4, ... minutes, an hour at most."""
    return min(BACKOFF_LONGEST, BACKOFF_FIRST * 2 ** max(0, min(attempts - 1, 12)))


def _clip(text: str) -> str:
    return text[:200]


@dataclass
class _Run:
    sent: int = 0
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    down: set[str] = field(default_factory=set)  # channels that could not send at all
    stopped: bool = False  # the deadline came: the rest is for the next run


def send_due(now: datetime, *, batch: int | None = None) -> int:
    """Send every delivery due at `now`; returns how many were sent. Raises `jobs.JobFailed`
    after the run when any failed (sent ones stay sent; retried ones are due again later)."""
    size = batch or conf.reminder_batch()
    run = _Run()
    for channel, error in fail_abandoned(now):
        run.failed[(channel, error)] += 1
    # Stop well before the claim runs out: a live sender must never look dead.
    budget = conf.reminder_claim() - timedelta(seconds=10 * int(settings.EMAIL_TIMEOUT))
    deadline = time.monotonic() + budget.total_seconds()
    while not run.stopped:
        claimed = _claim(now, size, run.down)
        if not claimed:
            break
        _send_batch(claimed, now, deadline, run)
        if len(claimed) < size:
            break
    if run.failed:
        raise jobs.JobFailed(run.sent, [
            jobs.Failure(f"{channel}: {n} deliver{'y' if n == 1 else 'ies'}", DeliveryError(err))
            for (channel, err), n in run.failed.items()])
    return run.sent


@transaction.atomic
def _claim(now: datetime, size: int, down: set[str]) -> list[int]:
    due = Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
    if down:
        due = due.exclude(channel__in=down)
    ids = list(due.order_by("next_attempt_at").select_for_update(skip_locked=True)
               .values_list("pk", flat=True)[:size])
    if ids:
        Delivery.objects.filter(pk__in=ids).update(
            state=Delivery.State.SENDING, claimed_until=now + conf.reminder_claim(),
            attempts=F("attempts") + 1)
    return ids


def _send_batch(ids: list[int], now: datetime, deadline: float, run: _Run) -> None:
    deliveries = list(Delivery.objects.filter(pk__in=ids).order_by("pk")
                      .select_related("prompt__patient__user", "prompt__schedule"))
    off = set(ChannelSetting.objects
              .filter(patient_id__in={d.prompt.patient_id for d in deliveries}, enabled=False)
              .values_list("patient_id", "channel"))
    outcomes: dict[int, Outcome] = {}
    skipped: dict[int, tuple[str, str]] = {}
    groups: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        reason = _not_wanted(delivery, off, now)
        if reason is not None:
            skipped[delivery.pk] = reason
        else:
            groups.setdefault(delivery.channel, []).append(delivery)
    for name, group in groups.items():
        channel = channels.get(name)  # known: _not_wanted fails the unknown channels'
        try:
            results = channel.send_many(group, deadline)  # type: ignore[union-attr]
        except Exception as exc:  # a channel's bug: some may have left, so none is resent
            error = f"outcome unknown, not resent: the channel failed: {type(exc).__name__}: {exc}"
            results = [Outcome.failed(error)] * len(group)
        outcomes.update((d.pk, o) for d, o in zip(group, results, strict=True))
        if not any(o.sent for o in results) and all(o.retry for o in results):
            run.down.add(name)  # nothing got through: leave its other deliveries this run
    _record(deliveries, outcomes, skipped, now, run)


def _not_wanted(delivery: Delivery, off: set[tuple[int, str]], now: datetime
                ) -> tuple[str, str] | None:
    """(state, reason) for a delivery not to send; None to send it."""
    prompt = delivery.prompt
    if prompt.expires_at <= now or prompt.state in (Prompt.State.EXPIRED, Prompt.State.FAILED):
        detail = f": {delivery.last_error}" if delivery.last_error else ""
        return Delivery.State.FAILED, _clip(CLOSED_UNSENT + detail)
    if prompt.state == Prompt.State.ANSWERED:
        return Delivery.State.CANCELLED, "not needed: the check-in was answered first"
    if prompt.state == Prompt.State.OPENED:
        return Delivery.State.CANCELLED, "not needed: the check-in was opened first"
    if not prompt.schedule.active:
        return Delivery.State.CANCELLED, "not needed: the schedule was stopped"
    if (prompt.patient_id, delivery.channel) in off:
        return Delivery.State.CANCELLED, "not sent: the patient turned this channel off"
    if channels.get(delivery.channel) is None:
        return Delivery.State.FAILED, f"no channel {delivery.channel!r} is installed"
    return None


def _record(deliveries: list[Delivery], outcomes: dict[int, Outcome],
            skipped: dict[int, tuple[str, str]], now: datetime, run: _Run) -> None:
    sent = [d for d in deliveries if d.pk in outcomes and outcomes[d.pk].sent]
    if sent:
        Delivery.objects.filter(pk__in=[d.pk for d in sent]).update(
            state=Delivery.State.SENT, sent_at=now, claimed_until=None)
        # A prompt opened or answered while its message went out keeps that state.
        Prompt.objects.filter(pk__in={d.prompt_id for d in sent}).update(
            state=Case(When(state__in=[Prompt.State.PLANNED, Prompt.State.FAILED],
                            then=Value(Prompt.State.SENT)), default=F("state")),
            sent_at=Coalesce(F("sent_at"), Value(now)))
        run.sent += len(sent)
    rest, failed_prompts = [], set()
    for delivery in deliveries:
        outcome = outcomes.get(delivery.pk)
        if outcome is not None and outcome.sent:
            continue
        delivery.claimed_until = None
        if outcome is None:
            delivery.state, delivery.last_error = skipped[delivery.pk]
            if delivery.state == Delivery.State.FAILED:
                failed_prompts.add(delivery.prompt_id)
        elif not outcome.attempted:
            delivery.state, delivery.attempts = Delivery.State.PENDING, delivery.attempts - 1
            run.stopped = True
        else:
            run.failed[(delivery.channel, outcome.error)] += 1
            retry_at = now + backoff(delivery.attempts)
            if outcome.retry and retry_at < delivery.prompt.expires_at:
                delivery.state, delivery.next_attempt_at = Delivery.State.PENDING, retry_at
                delivery.last_error = _clip(outcome.error)
            else:
                delivery.state = Delivery.State.FAILED
                delivery.last_error = _clip(outcome.error if not outcome.retry
                                            else f"{CLOSED_UNSENT}: {outcome.error}")
                failed_prompts.add(delivery.prompt_id)
        rest.append(delivery)
    if rest:
        Delivery.objects.bulk_update(
            rest, ["state", "attempts", "next_attempt_at", "last_error", "claimed_until"])
    close_failed_prompts(failed_prompts, now)


def close_failed_prompts(prompt_ids: Iterable[int], now: datetime) -> int:
    """Prompts still PLANNED whose every delivery failed or was cancelled, one at least failed:
    FAILED, closed, with the last failure's reason ("email: ...")."""
    ids = list(prompt_ids)
    if not ids:
        return 0
    live = Delivery.objects.filter(prompt=OuterRef("pk"), state__in=[
        Delivery.State.PENDING, Delivery.State.SENDING, Delivery.State.SENT])
    failed = Delivery.objects.filter(prompt=OuterRef("pk"), state=Delivery.State.FAILED)
    reason = (failed.order_by("-pk")
              .annotate(text=Substr(Concat(F("channel"), Value(": "), F("last_error"),
                                           output_field=CharField()), 1, 200))
              .values("text")[:1])
    return (Prompt.objects.filter(pk__in=ids, state=Prompt.State.PLANNED)
            .filter(~Exists(live), Exists(failed))
            .update(state=Prompt.State.FAILED, closed_at=now, failure=Subquery(reason)))


def fail_abandoned(now: datetime) -> list[tuple[str, str]]:
    """Deliveries left SENDING past their claim (a worker that died mid-send): FAILED, not sent
    again; their prompts FAILED when nothing else delivered them. Returns (channel, reason) of
    each, for the run's report."""
    stale = list(Delivery.objects.filter(state=Delivery.State.SENDING, claimed_until__lt=now)
                 .values_list("pk", "prompt_id", "channel"))
    if not stale:
        return []
    Delivery.objects.filter(pk__in=[pk for pk, _p, _c in stale], state=Delivery.State.SENDING
                            ).update(state=Delivery.State.FAILED, claimed_until=None,
                                     last_error=ABANDONED)
    close_failed_prompts({prompt for _d, prompt, _c in stale}, now)
    return [(channel, ABANDONED) for _d, _p, channel in stale]


def expire(now: datetime) -> int:
    """Close the prompts whose answer window ended at `now` unanswered: EXPIRED, or FAILED when
    a channel should have delivered it and none did (its pending deliveries fail with it).
    Returns how many prompts were closed. Reads only the closing prompts (prompt_state_expiry)
    and the pending deliveries (delivery_due)."""
    undelivered = Delivery.objects.filter(state=Delivery.State.PENDING,
                                          prompt__expires_at__lte=now)
    rows = list(undelivered.values_list("pk", "prompt_id"))
    failed = 0
    if rows:
        Delivery.objects.filter(pk__in=[pk for pk, _p in rows]).update(
            state=Delivery.State.FAILED, claimed_until=None,
            last_error=Case(
                When(last_error="", then=Value(CLOSED_UNSENT)),
                default=Substr(Concat(Value(CLOSED_UNSENT + ": "), F("last_error"),
                                      output_field=CharField()), 1, 200)))
        failed = close_failed_prompts({prompt for _pk, prompt in rows}, now)
    expired = Prompt.objects.filter(
        state__in=[Prompt.State.PLANNED, Prompt.State.SENT, Prompt.State.OPENED],
        expires_at__lte=now).update(state=Prompt.State.EXPIRED, closed_at=now)
    return failed + expired
