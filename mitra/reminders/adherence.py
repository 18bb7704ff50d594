"""Adherence to reminders: how many of the prompts a patient was sent they answered, how fast,
and their current run of answered prompts.

The rules, over plain values (`PromptFacts`, one per prompt), so they are tested by hand:

- A prompt counts in a window of N days when its `fire_at` falls in the N days before `now`
  (`now - N days < fire_at <= now`).
- **Sent** means delivered: `sent_at` is set. A prompt no channel delivered (FAILED, or planned
  and never sent) is not the patient's to answer and counts nowhere.
- A sent prompt is **open** while it can still be answered: not answered, not closed (EXPIRED
  or FAILED) and its `expires_at` not yet passed. Open prompts wait: they count once answered
  or expired, so this morning's diary prompt does not lower anyone's figure before the day is
  out. Every other sent prompt is **settled**; the figures count settled prompts only.
- **Answered** means `answered_at` is set (the form arrived within the prompt's window).
  Answered / sent is the share; a prompt answered although no channel delivered it (the
  patient came by themselves) is left out of both, so the share never passes 100%.
- **Time to answer**: `answered_at - sent_at` of the answered prompts (never below zero); the
  median, in minutes.
- **Current streak**: the settled sent prompts, newest first, answered in a row until the first
  one that was not; open prompts are skipped (they do not break it). Counted within the
  prompts given, which `adherence_by_patient` takes from the last 30 days.
- **Low adherence**: fewer than `threshold` of the prompts sent over the last 14 days answered
  (`MITRA_LOW_ADHERENCE`, 70% by default: diary completion in substance-use samples averages
  about 70%, Jones et al., Addiction 2019, and 80% is the usual target), once at least
  `min_prompts` were sent (`MITRA_LOW_ADHERENCE_MIN_PROMPTS`, 4); below that it is "not enough
  prompts yet", never low.

`adherence_by_patient` and `settled_counts_by_patient` read the prompts for many patients in
one query each (the first for the page shown, the second, counts only, for a whole caseload);
`settled_q` is the same rule written as a query, for aggregates elsewhere (the clinic page).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal, NamedTuple

from django.db.models import Count, Q, QuerySet

from mitra.reminders.models import Prompt

WINDOWS = (14, 30)
LOOKBACK_DAYS = max(WINDOWS)
LOW_WINDOW_DAYS = 14
CLOSED_STATES = frozenset({Prompt.State.EXPIRED, Prompt.State.FAILED})

Status = Literal["low", "ok", "too_few"]


class PromptFacts(NamedTuple):
    """What adherence needs of one prompt (the `Prompt` columns of the same names)."""

    fire_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    state: str
    expires_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        """Sent, and still answerable: not answered, not closed, its window not yet over."""
        return (self.sent_at is not None and self.answered_at is None
                and self.state not in CLOSED_STATES
                and (self.expires_at is None or self.expires_at > now))

    def is_settled(self, now: datetime) -> bool:
        """Sent, and answered or past answering: what the figures count."""
        return self.sent_at is not None and not self.is_open(now)

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


@dataclass(frozen=True)
class Window:
    """The figures of one window: settled sent prompts, how many answered, and how fast."""

    days: int
    sent: int = 0
    answered: int = 0
    open: int = 0  # sent and still answerable: counted once settled
    median_minutes: float | None = None

    @property
    def share(self) -> float | None:
        return self.answered / self.sent if self.sent else None

    @property
    def pct(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)


@dataclass(frozen=True)
class Adherence:
    """One patient's figures: a `Window` per length in WINDOWS and the current streak."""

    windows: dict[int, Window]
    streak: int = 0

    @property
    def last_14(self) -> Window:
        return self.windows[14]

    @property
    def last_30(self) -> Window:
        return self.windows[30]


def _in_window(p: PromptFacts, now: datetime, days: int) -> bool:
    return now - timedelta(days=days) < p.fire_at <= now


def median_minutes(prompts: Iterable[PromptFacts]) -> float | None:
    """The median time from sending to answer, in minutes, of the answered sent prompts
    (None when there is none). A clock that puts an answer before its sending counts 0."""
    waits = [max(0.0, (p.answered_at - p.sent_at).total_seconds() / 60)
             for p in prompts if p.answered_at is not None and p.sent_at is not None]
    return statistics.median(waits) if waits else None


def window(prompts: Iterable[PromptFacts], now: datetime, days: int) -> Window:
    """The figures of the `days` before `now` (see the module's rules)."""
    inside = [p for p in prompts if p.sent_at is not None and _in_window(p, now, days)]
    settled = [p for p in inside if p.is_settled(now)]
    answered = [p for p in settled if p.answered]
    return Window(days=days, sent=len(settled), answered=len(answered),
                  open=len(inside) - len(settled), median_minutes=median_minutes(answered))


def streak(prompts: Iterable[PromptFacts], now: datetime) -> int:
    """Settled sent prompts answered in a row, counting back from the newest settled one."""
    run = 0
    for p in sorted(prompts, key=lambda p: p.fire_at, reverse=True):
        if p.fire_at > now or not p.is_settled(now):
            continue  # not sent, or still open: neither extends nor breaks the run
        if not p.answered:
            break
        run += 1
    return run


def adherence(prompts: Iterable[PromptFacts], now: datetime) -> Adherence:
    """A patient's figures from their prompts (any order; those of the last 30 days suffice)."""
    facts = list(prompts)
    return Adherence(windows={d: window(facts, now, d) for d in WINDOWS},
                     streak=streak(facts, now))


EMPTY = Adherence(windows={d: Window(days=d) for d in WINDOWS})


def status(figures: Adherence | Window | None, threshold: Decimal | float,
           min_prompts: int) -> Status:
    """"low", "ok", or "too_few" (fewer than `min_prompts` settled sent prompts) over the
    last 14 days (or the window given). The deployment's values: `mitra.lib.conf.
    low_adherence_share()` and `low_adherence_min_prompts()`."""
    win = figures.last_14 if isinstance(figures, Adherence) else figures
    if win is None or win.sent < max(1, min_prompts):
        return "too_few"
    # Exact arithmetic: 7 of 10 is not below 70%.
    return "low" if Decimal(win.answered) < Decimal(str(threshold)) * win.sent else "ok"


def low_adherence(figures: Adherence | Window | None, threshold: Decimal | float,
                  min_prompts: int) -> bool:
    """Whether these figures are low adherence (never with too few prompts to tell)."""
    return status(figures, threshold, min_prompts) == "low"


# --- Queries ------------------------------------------------------------------------------------

def settled_q(now: datetime, prefix: str = "") -> Q:
    """`PromptFacts.is_settled` as a query condition (on `Prompt`, or through `prefix`, e.g.
    "prompts__")."""
    f = prefix
    still_open = (Q(**{f"{f}answered_at__isnull": True})
                  & ~Q(**{f"{f}state__in": list(CLOSED_STATES)})
                  & Q(**{f"{f}expires_at__gt": now}))
    return Q(**{f"{f}sent_at__isnull": False}) & ~still_open


def _ids_filter(patient_ids: QuerySet | Iterable[int]) -> Q:
    return Q(patient_id__in=patient_ids if isinstance(patient_ids, QuerySet)
             else list(patient_ids))


def adherence_by_patient(patient_ids: QuerySet | Iterable[int],
                         now: datetime) -> dict[int, Adherence]:
    """Every patient's figures in one query: the sent prompts of the last 30 days, judged in
    Python. `patient_ids` is a list of keys or a `values("pk")` query; a patient without a
    sent prompt in the period is absent (use `EMPTY`)."""
    rows = (
        Prompt.objects.filter(_ids_filter(patient_ids), sent_at__isnull=False,
                              fire_at__gt=now - timedelta(days=LOOKBACK_DAYS), fire_at__lte=now)
        .order_by().values_list("patient_id", "fire_at", "sent_at", "answered_at", "state",
                                "expires_at")
    )
    facts: dict[int, list[PromptFacts]] = defaultdict(list)
    for patient_id, fire_at, sent_at, answered_at, state, expires_at in rows:
        facts[patient_id].append(PromptFacts(fire_at, sent_at, answered_at, state, expires_at))
    return {pk: adherence(prompts, now) for pk, prompts in facts.items()}


def settled_counts_by_patient(patient_ids: QuerySet | Iterable[int], now: datetime,
                              days: int = LOW_WINDOW_DAYS) -> dict[int, Window]:
    """Settled sent and answered counts per patient over `days`, aggregated in SQL (one
    query, a row per patient): enough for `status` across a whole caseload. No medians."""
    since = now - timedelta(days=days)
    grouped = (
        Prompt.objects.filter(_ids_filter(patient_ids), settled_q(now), fire_at__gt=since,
                              fire_at__lte=now)
        .order_by().values("patient_id")
        .annotate(sent=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)))
    )
    return {g["patient_id"]: Window(days=days, sent=g["sent"], answered=g["answered"])
            for g in grouped}
