"""Demo diaries: a daily entry for every patient with realistic gaps, following their story.

* escalating: steady, then more grams and more uses per day (escalation alerts);
* tapering: the clinician's taper plan (one with a pause), followed closely, withdrawal rising
  a little at each step;
* relapse: cutting down, then back up; improving: a slow decline; stable: flat.
* Some patients drink on some days (co-use alerts), some take kava in the evening, and a few try
  a concentrated 7-OH product once (first-use alert). Today's entry is left for the patient.

Everything goes in with bulk inserts, and alerts are built by `alerts.alert_spec` exactly as a
live submission would raise them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from mitra.diary import analytics
from mitra.diary.alerts import alert_spec, missed_diary_alert_spec, missed_diary_days
from mitra.diary.models import DiaryEntry, TaperPause, TaperPlan, UseEvent
from mitra.diary.submission import Submission
from mitra.diary.taper import Plan
from mitra.diary.units import to_grams
from mitra.lib.bulk import fast_insert
from mitra.safety.models import Alert

BATCH_PATIENTS = 50
MOTIVE_SETS = [["pain"], ["energy"], ["mood"], ["anxiety"], ["pain", "sleep"],
               ["avoid_withdrawal"], ["energy", "mood"], ["cut_down_opioids"]]


def _clamp(value: float) -> int:
    return max(0, min(10, round(value)))


def _uuid(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _multiplier(trajectory: str, t: float) -> tuple[float, int]:
    """(share of the usual amount, extra uses per day) at fraction t of the demo period."""
    if trajectory == "escalating":
        if t < 0.55:
            return 1.0, 0
        return 1.0 + 1.2 * (t - 0.55) / 0.45, 1 if t > 0.7 else 0
    if trajectory == "improving":
        return 1.0 - 0.4 * t, 0
    if trajectory == "relapse":
        if t < 0.6:
            return 1.0 - 0.7 * t / 0.6, 0
        if t < 0.7:
            return 0.3, 0
        return 1.3, 1
    return 1.0, 0


def _plan_for(dp, ctx, base: float, rng) -> tuple[TaperPlan, list[TaperPause]]:
    start = ctx.start + timedelta(days=max(7, ctx.days // 5))
    plan = TaperPlan(
        uuid=_uuid(rng), patient=dp.patient, substance="kratom_powder", unit="g",
        start_date=start, start_amount=Decimal(str(round(base))),
        target_amount=Decimal(str(max(1, round(base * 0.3)))), step_kind="percent",
        step_size=Decimal(10), interval_days=7,
        note="Agreed with the patient at review (demo).", created_by=ctx.staff["clinician"],
    )
    pauses = []
    if dp.index % 2 == 0 and ctx.days >= 60:
        p_start = start + timedelta(days=ctx.days // 3)
        pauses.append(TaperPause(uuid=_uuid(rng), plan=plan, start_date=p_start,
                                 end_date=p_start + timedelta(days=9),
                                 reason="Stressful fortnight at work; holding the amount (demo).",
                                 created_by=ctx.staff["clinician"]))
    return plan, pauses


def _patient_days(dp, ctx, rng, plan_spec: Plan | None):
    """Yield (day, ratings, motives, uses) for the days this patient wrote an entry."""
    adherence = rng.uniform(0.6, 0.97)
    base = rng.uniform(3, 9)
    per_day = rng.choice([1, 2, 2, 3])
    capsules = dp.index % 4 == 1
    fill = Decimal("0.5")
    drinks = dp.index % 6 == 1 or dp.index == 4
    kava = dp.index % 7 == 2
    tries_7oh = dp.index % 9 == 2 or dp.trajectory == "escalating" and dp.index % 3 == 0
    seven_oh_day = ctx.start + timedelta(days=int(ctx.days * rng.uniform(0.6, 0.85)))
    gap = 0
    previous = base
    for i in range(ctx.days - 1):  # today is left for the patient to fill in
        day = ctx.start + timedelta(days=i)
        if gap:
            gap -= 1
            continue
        if rng.random() < 0.02:
            gap = rng.randint(2, 6)
            continue
        if rng.random() > adherence and day != seven_oh_day:
            continue
        t = i / max(ctx.days - 1, 1)
        if plan_spec is not None and (planned := plan_spec.planned_amount(day)) is not None:
            amount = float(planned) * rng.uniform(0.92, 1.08)
            extra = 0
        else:
            share, extra = _multiplier(dp.trajectory, t)
            amount = base * share * rng.uniform(0.85, 1.15)
        n = per_day + extra
        uses = []
        for k in range(n):
            each = Decimal(str(round(amount / n, 1))) or Decimal("0.1")
            if capsules:
                count = max(1, round(float(each) / float(fill)))
                uses.append(("kratom_capsule", Decimal(count), "capsules", fill, 8 + 5 * k))
            else:
                uses.append(("kratom_powder", max(each, Decimal("0.1")), "g", None, 8 + 5 * k))
        if kava and rng.random() < 0.3:
            uses.append(("kava", Decimal(250), "mL", None, 20))
        if drinks and rng.random() < 0.08:
            uses.append(("alcohol", Decimal(rng.randint(1, 4)), "standard_drinks", None, 21))
        if tries_7oh and day == seven_oh_day:
            uses.append(("7oh_product", Decimal(1), "tablets", None, 22))
        drop = max(0.0, (previous - amount) / max(previous, 0.1))
        previous = amount
        withdrawal = _clamp(1.5 + 25 * drop + rng.gauss(0, 1))
        low = dp.trajectory in ("relapse", "suicide_risk") and t > 0.6
        ratings = {
            "mood": _clamp(rng.gauss(4 if low else 6, 1.5)),
            "anxiety": _clamp(rng.gauss(6 if low else 4, 1.5)),
            "craving": _clamp(rng.gauss(3 + 4 * drop + (3 if low else 0), 1.5)),
            "sleep_quality": _clamp(rng.gauss(6 - withdrawal / 3, 1.5)),
            "withdrawal": withdrawal,
        }
        yield day, ratings, rng.choice(MOTIVE_SETS), uses


def populate(ctx) -> None:
    rng = ctx.rng("diary")
    for offset in range(0, len(ctx.patients), BATCH_PATIENTS):
        _populate_batch(ctx, rng, ctx.patients[offset:offset + BATCH_PATIENTS])


def _populate_batch(ctx, rng, batch) -> None:
    plans, pauses, entries, pending_uses, alerts = [], [], [], [], []
    for dp in batch:
        plan_spec = None
        if dp.trajectory == "tapering":
            plan, plan_pauses = _plan_for(dp, ctx, rng.uniform(5, 10), rng)
            plans.append(plan)
            pauses.extend(plan_pauses)
            plan_spec = Plan(plan.start_date, plan.start_amount, plan.target_amount,
                             plan.step_kind, plan.step_size, plan.interval_days,
                             tuple(_pause_spec(p) for p in plan_pauses))
        analysed: list[analytics.Use] = []
        observed: set[date] = set()
        for day, ratings, motives, uses in _patient_days(dp, ctx, rng, plan_spec):
            rows = [{"substance": s, "amount": a, "unit": u, "grams_per_unit": g,
                     "grams": to_grams(s, a, u, g), "time": time(hour % 24, 0),
                     "product_label": ""}
                    for s, a, u, g, hour in uses]
            submission = Submission(uuid=_uuid(rng), date=day, ratings=ratings, motives=motives,
                                    note="", uses=rows)
            entry = DiaryEntry(uuid=submission.uuid, patient=dp.patient, date=day, version=1,
                               motives=sorted(motives), payload_hash=submission.payload_hash(),
                               created_by=dp.patient.user, **ratings)
            entries.append(entry)
            pending_uses.append((entry, rows))
            observed.add(day)
            analysed += [analytics.Use(day, r["substance"], r["amount"], r["unit"], r["grams"])
                         for r in rows]
        flags = analytics.all_flags(analysed, observed=observed, start=ctx.start, end=ctx.today)
        keys: set[str] = set()
        for flag in flags:
            spec = alert_spec(dp.patient, flag)
            if spec["dedupe_key"] in keys:
                continue
            keys.add(spec["dedupe_key"])
            # Dated on the evening of the flagged day, as a live submission would have been.
            raised = timezone.make_aware(datetime.combine(flag.date, time(21, 0)))
            alerts.append(Alert(patient=dp.patient, created_at=raised, **spec))
        alerts += _missed_diary_alerts(dp.patient, observed, ctx.today)
    TaperPlan.objects.bulk_create(plans)
    TaperPause.objects.bulk_create(pauses)
    # A year of diaries for a thousand patients is about a million values: fast_insert, then
    # read the new primary keys back by UUID to link the use events.
    fast_insert(entries)
    entry_ids = dict(
        DiaryEntry.objects.filter(patient__in=[dp.patient for dp in batch])
        .values_list("uuid", "id")
    )
    fast_insert([
        UseEvent(entry_id=entry_ids[entry.uuid], patient_id=entry.patient_id, date=entry.date,
                 substance=r["substance"], amount=r["amount"], unit=r["unit"],
                 grams_per_unit=r["grams_per_unit"], grams=r["grams"], time=r["time"],
                 uuid=uuid.UUID(int=rng.getrandbits(128), version=4))
        for entry, rows in pending_uses for r in rows
    ])
    fast_insert(alerts)


def _missed_diary_alerts(patient, observed: set[date], today: date) -> list[Alert]:
    """The MISSED_DIARY alerts the periodic job would have raised: one per run of
    `missed_diary_days()` or more days without an entry after the first one, dated the morning
    the job first saw the gap (`alerts.missed_diary_alert_spec`, as the live job builds them)."""
    n, alerts = missed_diary_days(), []
    days = sorted(observed)
    for last, following in zip(days, days[1:] + [today], strict=True):
        first_missed = last + timedelta(days=1)
        if (following - first_missed).days < n:
            continue
        seen = first_missed + timedelta(days=n)
        spec = missed_diary_alert_spec(patient, first_missed, seen - timedelta(days=1))
        alerts.append(Alert(patient=patient, created_at=timezone.make_aware(
            datetime.combine(seen, time(6, 0))), **spec))
    return alerts


def _pause_spec(pause: TaperPause):
    from mitra.diary.taper import Pause

    return Pause(pause.start_date, pause.end_date, pause.reason)
