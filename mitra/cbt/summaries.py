"""Reads for the CBT pages: gathers a patient's records and hands them to `insight`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.db.models import Count, Max

from mitra.cbt import charts, insight
from mitra.cbt.models import ActivitySlot, ExposureItem, ExposureLog, Homework, ThoughtRecord


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def thought_finding(patient) -> insight.Finding:
    rows = []
    for record in ThoughtRecord.objects.filter(patient=patient).only("occurred_on", "emotions"):
        before, after = record.mean_before(), record.mean_after()
        if before is not None and after is not None:
            rows.append((record.occurred_on, before, after))
    return insight.thought_record_drop(rows)


def thought_chart(patient, limit: int = 30) -> str | None:
    records = list(
        ThoughtRecord.objects.filter(patient=patient).order_by("-occurred_on", "-created_at")
        .only("occurred_on", "emotions")[:limit]
    )[::-1]
    rated = [r for r in records if r.mean_after() is not None]
    if len(rated) < 2:
        return None
    return charts.line_chart(
        "Emotion intensity before and after each thought record",
        [f"{r.occurred_on:%d %b}" for r in rated],
        [charts.Series("Before", [r.mean_before() for r in rated]),
         charts.Series("After", [r.mean_after() for r in rated])],
        y_max=100, y_label="Intensity 0-100",
    )


def _diary_mood(patient, since: date | None = None) -> dict[date, float]:
    try:
        model = apps.get_model("diary", "DiaryEntry")
    except LookupError:
        return {}
    names = {f.name for f in model._meta.get_fields()}
    if not {"patient", "date", "mood"} <= names:
        return {}
    entries = model.objects.filter(patient=patient, mood__isnull=False)
    if "is_current" in names:
        entries = entries.filter(is_current=True)
    if since:
        entries = entries.filter(date__gte=since)
    return dict(entries.values_list("date", "mood"))


def activation_findings(patient) -> list[insight.Finding]:
    done = ActivitySlot.objects.filter(patient=patient, completed_at__isnull=False)
    activity_days = set(done.values_list("scheduled_for", flat=True))
    first = ActivitySlot.objects.filter(patient=patient).order_by("scheduled_for").first()
    moods = _diary_mood(patient, since=first.scheduled_for if first else None)
    pairs = list(
        done.filter(mood_before__isnull=False, mood_after__isnull=False)
        .values_list("mood_before", "mood_after")
    )
    return [insight.activity_days_vs_mood(moods, activity_days),
            insight.activity_mood_change(pairs)]


@dataclass
class ExposureSummary:
    item: ExposureItem
    logs: list[ExposureLog]
    finding: insight.Finding
    chart: str | None


def exposure_summary(item: ExposureItem) -> ExposureSummary:
    logs = list(item.logs.all())
    finding = insight.exposure_trend(
        item.situation, [(g.done_on, g.suds_before, g.suds_peak, g.suds_after) for g in logs]
    )
    chart = None
    if len(logs) >= 2:
        chart = charts.line_chart(
            f"Distress at each exposure: {item.situation}",
            [f"{g.done_on:%d %b}" for g in logs],
            [charts.Series("Before", [g.suds_before for g in logs]),
             charts.Series("Peak", [g.suds_peak for g in logs]),
             charts.Series("After", [g.suds_after for g in logs])],
            y_max=100, y_label="SUDS 0-100",
        )
    return ExposureSummary(item, logs, finding, chart)


def exposure_items(patient):
    return (
        ExposureItem.objects.filter(patient=patient)
        .annotate(n_logs=Count("logs"), last_done=Max("logs__done_on"))
        .order_by("expected_suds", "situation")
    )


def open_homework(patient):
    return Homework.objects.filter(patient=patient).open().order_by("due_on")
