"""The diary columns of the caseload: adherence, the kratom trend and its 28-day sparkline.

Grouped queries over the rows given (every patient, or the page shown only: `summary` and
`details` decide), so the number of queries stays fixed whatever their count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum

from mitra.diary import analytics
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.diary.units import KRATOM
from mitra.lib import conf

if TYPE_CHECKING:
    from mitra.reports.dashboard.rows import Row

ADHERENCE_DAYS = 14
SPARK_DAYS = 28
# The kratom trend compares the same windows as the diary's escalation flag (analytics): the
# last 7 days against the 28 days before them, each mean over recorded diary days only.
RECENT = analytics.RECENT_DAYS
BASELINE = analytics.BASELINE_DAYS


def trend_share() -> Decimal:
    """The arrow turns to "rising" at the diary's escalation share (`MITRA_DIARY_ESCALATION_SHARE`,
    25% by default, documented in diary/analytics.py), read from the settings as the diary's
    flag reads it, so the badge and the escalation alert never disagree; the same share
    downwards reads "falling"."""
    return conf.diary_escalation_share()


@dataclass
class Trend:
    recent_mean: Decimal | None = None
    baseline_mean: Decimal | None = None

    @property
    def change_pct(self) -> int | None:
        if self.recent_mean is None or not self.baseline_mean:
            return None
        return round((self.recent_mean / self.baseline_mean - 1) * 100)

    @property
    def direction(self) -> str:
        pct = self.change_pct
        if pct is None:
            return "none"
        share = trend_share() * 100
        if pct >= share:
            return "rising"
        if pct <= -share:
            return "falling"
        return "steady"


def add_diary(rows: dict[int, Row], ids: QuerySet | list[int], today: date) -> None:
    """Adherence (days with an entry in the last ADHERENCE_DAYS) and the kratom trend of these
    rows; `ids` is the rows' patient keys, as a list or a `values("pk")` query."""
    recent_from = today - timedelta(days=RECENT - 1)
    base_from = recent_from - timedelta(days=BASELINE)
    adherence_from = today - timedelta(days=ADHERENCE_DAYS - 1)
    days = (
        DiaryEntry.objects.filter(patient__in=ids, is_current=True, date__gte=base_from,
                                  date__lte=today)
        .values("patient_id").annotate(
            adherence=Count("id", filter=Q(date__gte=adherence_from)),
            recent=Count("id", filter=Q(date__gte=recent_from)),
            base=Count("id", filter=Q(date__lt=recent_from)),
        )
    )
    counts = {d["patient_id"]: d for d in days}
    grams = (
        UseEvent.objects.filter(patient__in=ids, is_current=True, date__gte=base_from,
                                date__lte=today, substance__in=KRATOM, grams__isnull=False)
        .values("patient_id").annotate(
            recent=Sum("grams", filter=Q(date__gte=recent_from)),
            base=Sum("grams", filter=Q(date__lt=recent_from)),
        )
    )
    sums = {g["patient_id"]: g for g in grams}
    for pk, row in rows.items():
        c = counts.get(pk)
        if c is None:
            continue
        row.diary_days = c["adherence"]
        g = sums.get(pk, {})
        # Same minimum of recorded days as the escalation flag (analytics.MIN_*_OBSERVED).
        if c["recent"] >= analytics.MIN_RECENT_OBSERVED:
            row.trend.recent_mean = Decimal(g.get("recent") or 0) / c["recent"]
        if c["base"] >= analytics.MIN_BASELINE_OBSERVED:
            row.trend.baseline_mean = Decimal(g.get("base") or 0) / c["base"]


def add_sparklines(by_pk: dict[int, Row], today: date) -> None:
    """Kratom grams per day over the last SPARK_DAYS, None for a day without a diary entry."""
    start = today - timedelta(days=SPARK_DAYS - 1)
    daily = (
        UseEvent.objects.filter(patient_id__in=by_pk, is_current=True, date__gte=start,
                                date__lte=today, substance__in=KRATOM, grams__isnull=False)
        .values("patient_id", "date").annotate(g=Sum("grams"))
    )
    recorded = (
        DiaryEntry.objects.filter(patient_id__in=by_pk, is_current=True, date__gte=start,
                                  date__lte=today).values_list("patient_id", "date")
    )
    amounts: dict[int, dict[date, float]] = defaultdict(dict)
    for d in daily:
        amounts[d["patient_id"]][d["date"]] = float(d["g"])
    seen: dict[int, set[date]] = defaultdict(set)
    for pk, day in recorded:
        seen[pk].add(day)
    for pk, row in by_pk.items():
        # A day without a diary entry is a gap, not zero use.
        row.spark = [amounts[pk].get(d, 0.0) if d in seen[pk] else None
                     for d in (start + timedelta(days=i) for i in range(SPARK_DAYS))]


def sparkline_points(values: list[float | None], width: int = 84, height: int = 22) -> str:
    """SVG polyline points for a sparkline (gaps break nothing: missing days are skipped)."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    top = max(known) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}"
        for i, v in enumerate(values) if v is not None
    )
