"""Builders for report tests: scored questionnaires, diary days, alerts, schedules."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from mitra.diary.models import DiaryEntry, UseEvent
from mitra.measures.library import get_instrument
from mitra.measures.models import Response, Schedule
from mitra.measures.scoring import answers_from_mapping, score
from mitra.safety.actions import do_raise_alert
from mitra.safety.models import Alert


def answers_for(instrument: str, total: int) -> dict:
    """Item answers adding up to `total` (item 9 of the PHQ-9 left at 0)."""
    inst = get_instrument(instrument)
    answers: dict = {i.link_id: 0 if i.scored else None for i in inst.items}
    remaining = total
    for item in inst.scored_items:
        if item.special == "suicide_item":
            continue
        take = min(remaining, inst.item_max(item))
        answers[item.link_id] = take
        remaining -= take
    assert remaining == 0, f"{instrument} cannot reach {total}"
    return answers


def add_scores(patient, instrument: str, totals: list[int], *, last_day: date | None = None,
               every: int = 14) -> list[Response]:
    """Responses with these totals, `every` days apart, the last on `last_day` (today)."""
    inst = get_instrument(instrument)
    last_day = last_day or timezone.localdate()
    rows = []
    for n, total in enumerate(totals):
        day = last_day - timedelta(days=every * (len(totals) - 1 - n))
        answers = answers_for(instrument, total)
        result = score(inst, answers_from_mapping(inst, answers))
        rows.append(Response(
            uuid=uuid.uuid4(), patient=patient, instrument=instrument,
            instrument_version=inst.version, answers=answers, total=result.total,
            max_total=result.max, severity=result.severity or "", complete=result.complete,
            prorated=result.prorated, scoring_method=result.method, alerts=[],
            submitted_at=datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone()),
        ))
    return Response.objects.bulk_create(rows)


def add_diary(patient, grams_by_day: dict[date, float], **ratings) -> None:
    """A diary entry for each day with one use of kratom leaf powder of that many grams."""
    entries = DiaryEntry.objects.bulk_create([
        DiaryEntry(uuid=uuid.uuid4(), patient=patient, date=day, payload_hash="x",
                   mood=ratings.get("mood", 5), anxiety=ratings.get("anxiety", 4),
                   craving=ratings.get("craving", 3), withdrawal=ratings.get("withdrawal", 2))
        for day in grams_by_day
    ])
    UseEvent.objects.bulk_create([
        UseEvent(entry=e, patient=patient, date=e.date, substance="kratom_powder",
                 amount=Decimal(str(grams_by_day[e.date])), unit="g",
                 grams=Decimal(str(grams_by_day[e.date])))
        for e in entries if grams_by_day[e.date]
    ])


def steady_days(n: int, grams: float, *, end: date | None = None) -> dict[date, float]:
    end = end or timezone.localdate()
    return {end - timedelta(days=i): grams for i in range(n)}


def raise_alert(patient, priority: int, kind: str = Alert.Kind.ESCALATION, key: str = "") -> Alert:
    alert, _created = do_raise_alert(patient, kind=kind, priority=priority,
                                     reason=f"test {kind}",
                                     dedupe_key=key or f"test:{kind}:{priority}")
    return alert


def add_schedule(patient, instrument: str, start: date, every: int | None = 14) -> Schedule:
    return Schedule.objects.create(
        patient=patient, instrument=instrument, every_days=every, start=start,
        cadence=Schedule.Cadence.ONCE if every is None else Schedule.Cadence.INTERVAL)
