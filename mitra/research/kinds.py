"""What the research export holds: one file per kind, each a list of typed, described columns
and a reader that turns one batch of patients' rows into de-identified rows.

Only coded values and numbers leave: no name, e-mail, birth date, free text (a diary note, a
thought record's words, an emotion's name, a product label, an alert's reason) or real date.
Every date is shifted per patient (`deidentify.Subject`); `day_in_care` counts from enrolment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from mitra.cbt.catalogue import distortions
from mitra.cbt.models import ActivitySlot, ExposureLog, ThoughtRecord
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.measures.models import Response
from mitra.patients.models import Patient
from mitra.research.deidentify import Subject, age_group, jurisdiction
from mitra.safety.models import Alert

Row = tuple[Any, ...]
Subjects = dict[int, Subject]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | int | float | bool | date | timestamp
    description: str


@dataclass(frozen=True)
class Kind:
    name: str
    description: str
    columns: tuple[Column, ...]
    # Rows for the patients with these primary keys (a contiguous range, in pk order).
    rows: Callable[[Subjects, int, int], Iterator[Row]]


PARTICIPANT = Column("participant", "string", "Pseudonym (keyed HMAC of the record; no identity)")
DAY_IN_CARE = Column("day_in_care", "int", "Days since enrolment (0: the day of enrolment)")


def _minutes(later: datetime | None, earlier: datetime) -> int | None:
    return None if later is None else int((later - earlier).total_seconds() // 60)


def _participants(subjects: Subjects, lo: int, hi: int) -> Iterator[Row]:
    rows = (Patient.objects.filter(pk__gte=lo, pk__lte=hi).order_by("pk")
            .values_list("pk", "date_of_birth", "enrolled_on", "intake__jurisdiction",
                         "intake__substances"))
    for pk, born, enrolled_on, where, substances in rows:
        s = subjects[pk]
        yield (s.pseudonym, age_group(born, enrolled_on), jurisdiction(where or ""),
               s.day(enrolled_on), ";".join(sorted(str(x) for x in (substances or []))))


def _numeric_answers(answers: Any) -> str:
    """Item answers as JSON, numbers only (an instrument's free-text field never leaves)."""
    if not isinstance(answers, dict):
        return "{}"
    kept = {k: v for k, v in answers.items()
            if isinstance(v, int | float) and not isinstance(v, bool)}
    return json.dumps(kept, sort_keys=True)


def _responses(subjects: Subjects, lo: int, hi: int) -> Iterator[Row]:
    rows = (Response.objects.filter(patient_id__gte=lo, patient_id__lte=hi)
            .order_by("patient_id", "submitted_at", "pk")
            .values_list("patient_id", "instrument", "instrument_version", "submitted_at",
                         "total", "max_total", "severity", "complete", "prorated",
                         "scoring_method", "answers"))
    for pk, inst, version, at, total, max_total, severity, complete, prorated, method, \
            answers in rows:
        s = subjects[pk]
        yield (s.pseudonym, inst, str(version), s.moment(at),
               s.day_in_care(timezone.localdate(at)), total, max_total, severity, complete,
               prorated, method, _numeric_answers(answers))


def _diary(subjects: Subjects, lo: int, hi: int) -> Iterator[Row]:
    rows = (DiaryEntry.objects.filter(patient_id__gte=lo, patient_id__lte=hi, is_current=True)
            .order_by("patient_id", "date")
            .values_list("patient_id", "date", "mood", "anxiety", "craving", "sleep_quality",
                         "withdrawal", "motives"))
    for pk, day, mood, anxiety, craving, sleep, withdrawal, motives in rows:
        s = subjects[pk]
        coded = ";".join(sorted(m for m in (motives or []) if isinstance(m, str)
                                and m.isidentifier()))
        yield (s.pseudonym, s.day(day), s.day_in_care(day), mood, anxiety, craving, sleep,
               withdrawal, coded)


def _uses(subjects: Subjects, lo: int, hi: int) -> Iterator[Row]:
    rows = (UseEvent.objects.filter(patient_id__gte=lo, patient_id__lte=hi, is_current=True)
            .order_by("patient_id", "date", "pk")
            .values_list("patient_id", "date", "substance", "amount", "unit", "grams"))
    for pk, day, substance, amount, unit, grams in rows:
        s = subjects[pk]
        yield (s.pseudonym, s.day(day), s.day_in_care(day), substance, float(amount), unit,
               None if grams is None else float(grams))


def _thoughts(subjects: Subjects, lo: int, hi: int) -> Iterator[Row]:
    known = {d.key for d in distortions().distortions}
    rows = (ThoughtRecord.objects.filter(patient_id__gte=lo, patient_id__lte=hi)
            .order_by("patient_id", "occurred_on", "pk")
            .values_list("patient_id", "occurred_on", "emotions", "distortions"))
    for pk, day, emotions, marked in rows:
        s = subjects[pk]
        rated = [e for e in (emotions or []) if isinstance(e, dict)]

        def levels(field: str, rated: list[dict] = rated) -> str:
            return ";".join(str(e[field]) for e in rated if isinstance(e.get(field), int))

        yield (s.pseudonym, s.day(day), s.day_in_care(day), len(rated), levels("before"),
               levels("after"), ";".join(sorted(d for d in (marked or []) if d in known)))


def _activities(subjects: Subjects, lo: int, hi: int) -> Iterator[Row]:
    rows = (ActivitySlot.objects.filter(patient_id__gte=lo, patient_id__lte=hi)
            .order_by("patient_id", "scheduled_for", "pk")
            .values_list("patient_id", "scheduled_for", "completed_at", "mastery", "pleasure",
                         "mood_before", "mood_after"))
    for pk, day, completed_at, mastery, pleasure, before, after in rows:
        s = subjects[pk]
        yield (s.pseudonym, s.day(day), s.day_in_care(day), completed_at is not None, mastery,
               pleasure, before, after)


def _exposures(subjects: Subjects, lo: int, hi: int) -> Iterator[Row]:
    rows = (ExposureLog.objects.filter(patient_id__gte=lo, patient_id__lte=hi)
            .order_by("patient_id", "done_on", "pk")
            .values_list("patient_id", "done_on", "suds_before", "suds_peak", "suds_after",
                         "minutes"))
    for pk, day, before, peak, after, minutes in rows:
        s = subjects[pk]
        yield (s.pseudonym, s.day(day), s.day_in_care(day), before, peak, after, minutes)


def _alerts(subjects: Subjects, lo: int, hi: int) -> Iterator[Row]:
    rows = (Alert.objects.filter(patient_id__gte=lo, patient_id__lte=hi)
            .order_by("patient_id", "created_at", "pk")
            .values_list("patient_id", "kind", "priority", "status", "created_at",
                         "acknowledged_at", "resolved_at", "escalated_at"))
    for pk, kind, priority, status, at, acked, resolved, escalated in rows:
        s = subjects[pk]
        yield (s.pseudonym, kind, priority, status, s.moment(at),
               s.day_in_care(timezone.localdate(at)), _minutes(acked, at),
               _minutes(resolved, at), escalated is not None)


def _date(name: str, what: str) -> Column:
    return Column(name, "date", f"{what}, shifted by the participant's offset")


RATING = "0-10, as the patient rated it; empty: not rated"

KINDS: tuple[Kind, ...] = (
    Kind("participants", "One row per participant", (
        PARTICIPANT,
        Column("age_at_enrolment", "string", "Whole years at enrolment; 90+ grouped; empty: "
               "unknown"),
        Column("jurisdiction", "string", "Country (ISO 3166-1) or US state (US-XX) only"),
        _date("enrolled_on", "Day of enrolment"),
        Column("substances", "string", "Substances named at intake (ids, ';'-separated)"),
    ), _participants),
    Kind("responses", "Questionnaire responses with their item answers and scores", (
        PARTICIPANT,
        Column("instrument", "string", "Instrument id (phq9, gad7, sows, ...; see the "
               "instrument files)"),
        Column("instrument_version", "string", "Version of the instrument's data file"),
        Column("submitted_at", "timestamp", "When submitted (UTC), shifted by the "
               "participant's offset"),
        DAY_IN_CARE,
        Column("total", "float", "Total score as published; empty: not scorable"),
        Column("max_total", "int", "Highest possible total"),
        Column("severity", "string", "Severity band of the total"),
        Column("complete", "bool", "Every item answered"),
        Column("prorated", "bool", "Total prorated for missing items by the published rule"),
        Column("scoring_method", "string", "How the total was computed"),
        Column("answers", "string", "Item answers as JSON {item id: value}, numbers only"),
    ), _responses),
    Kind("diary_days", "The diary, one row per day written (the current version)", (
        PARTICIPANT, _date("date", "Diary day"), DAY_IN_CARE,
        Column("mood", "int", RATING), Column("anxiety", "int", RATING),
        Column("craving", "int", RATING), Column("sleep_quality", "int", RATING),
        Column("withdrawal", "int", RATING),
        Column("motives", "string", "Coded reasons for use (';'-separated)"),
    ), _diary),
    Kind("use_events", "Each recorded use of a substance (the current diary version)", (
        PARTICIPANT, _date("date", "Day of use"), DAY_IN_CARE,
        Column("substance", "string", "Substance id"),
        Column("amount", "float", "Amount in `unit`"),
        Column("unit", "string", "Unit as recorded"),
        Column("grams", "float", "Grams, where the unit converts; empty otherwise"),
    ), _uses),
    Kind("thought_records", "CBT thought records, numbers and coded distortions only", (
        PARTICIPANT, _date("occurred_on", "Day of the situation"), DAY_IN_CARE,
        Column("emotions_rated", "int", "How many emotions were rated (names not exported)"),
        Column("intensity_before", "string", "Each emotion's intensity 0-100 before "
               "(';'-separated)"),
        Column("intensity_after", "string", "Each emotion's intensity 0-100 after "
               "(';'-separated)"),
        Column("distortions", "string", "Distortion ids from the catalogue (';'-separated)"),
    ), _thoughts),
    Kind("activity_slots", "Behavioural activation: planned activities and their ratings", (
        PARTICIPANT, _date("scheduled_for", "Planned day"), DAY_IN_CARE,
        Column("completed", "bool", "Marked done"),
        Column("mastery", "int", "0-10"), Column("pleasure", "int", "0-10"),
        Column("mood_before", "int", "0-10"), Column("mood_after", "int", "0-10"),
    ), _activities),
    Kind("exposure_logs", "Exposure practice: distress (SUDS 0-100) and minutes", (
        PARTICIPANT, _date("done_on", "Day of practice"), DAY_IN_CARE,
        Column("suds_before", "int", "0-100"), Column("suds_peak", "int", "0-100"),
        Column("suds_after", "int", "0-100"), Column("minutes", "int", "Minutes practised"),
    ), _exposures),
    Kind("alerts", "Safety alerts without their text", (
        PARTICIPANT,
        Column("kind", "string", "Alert kind (suicide_risk, interaction, escalation, ...)"),
        Column("priority", "int", "1 urgent, 2 high, 3 normal, 4 low"),
        Column("status", "string", "open, acknowledged or resolved"),
        Column("raised_at", "timestamp", "When raised (UTC), shifted"), DAY_IN_CARE,
        Column("acknowledged_after_minutes", "int", "Minutes from raised to acknowledged"),
        Column("resolved_after_minutes", "int", "Minutes from raised to resolved"),
        Column("escalated", "bool", "Escalated for want of an acknowledgement"),
    ), _alerts),
)
