"""The clinician's caseload dashboard: one row per patient, most urgent first.

The page must stay fast at a thousand patients, so the number of SQL queries is fixed, whatever
the caseload size: a handful of grouped queries summarise every patient (alerts, scores, diary,
kratom amounts, schedules, CBT homework), the rows are sorted and filtered in Python, and only
the page shown gets the details (sparkline, taper status). Clinical numbers come from the apps
that own them: severity bands, reliable change and remission from `measures.scoring` and the
instrument data files; the escalation windows from `diary.analytics`; what is due from
`measures.schedules`; open and overdue homework from the cbt app's `HomeworkQuerySet`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from mitra.cbt.models import Homework
from mitra.diary import analytics
from mitra.diary.models import DiaryEntry, TaperPlan, UseEvent
from mitra.diary.units import KRATOM
from mitra.measures.library import get_instrument
from mitra.measures.models import Response, Schedule
from mitra.measures.schedules import Due, current_occurrence
from mitra.measures.scoring import ChangePoint, band_for, change_over_time
from mitra.patients.models import Patient
from mitra.safety.models import Alert

PAGE_SIZE = 50
ADHERENCE_DAYS = 14
SPARK_DAYS = 28
# The kratom trend compares the same windows as the diary's escalation flag (analytics): the
# last 7 days against the 28 days before them, each mean over recorded diary days only.
RECENT = analytics.RECENT_DAYS
BASELINE = analytics.BASELINE_DAYS
# The arrow turns to "rising" at the diary's escalation share (25%, a platform choice documented
# in diary/analytics.py); the same share downwards reads "falling". Display only: the alert
# itself comes from the diary's flag.
TREND_SHARE = analytics.DEFAULT_ESCALATION_SHARE

SCORED = ("phq9", "gad7")

SORTS = {
    "urgency": "most urgent first",
    "name": "name",
    "phq9": "PHQ-9, highest first",
    "gad7": "GAD-7, highest first",
    "adherence": "diary adherence, lowest first",
    "kratom": "kratom change, largest rise first",
    "due": "next questionnaire, most overdue first",
    "homework": "CBT homework, most overdue first",
}
FILTERS = {
    "": "everyone",
    "alerts": "any open alert",
    "urgent": "urgent or high-priority alert",
    "deteriorated": "reliable deterioration (PHQ-9 or GAD-7)",
    "overdue": "questionnaire overdue",
    "taper": "on a taper plan",
    "rising": "kratom amount rising",
    "homework": "CBT homework overdue",
}


class DashboardError(ValueError):
    """A query parameter outside its allowed values; the message names both."""


@dataclass
class ScoreCell:
    instrument: str
    short_name: str
    total: float | None = None
    on: date | None = None
    severity: str = ""
    band_index: int = 0
    point: ChangePoint | None = None

    @property
    def reliable(self) -> str | None:
        return self.point.reliable if self.point else None

    @property
    def change(self) -> float | None:
        return self.point.change if self.point else None

    @property
    def baseline(self) -> float | None:
        return self.point.baseline if self.point else None

    @property
    def remission(self) -> bool | None:
        return self.point.remission if self.point else None


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
        if pct >= TREND_SHARE * 100:
            return "rising"
        if pct <= -TREND_SHARE * 100:
            return "falling"
        return "steady"


@dataclass
class Row:
    pk: int
    uuid: object
    display_name: str
    pseudonym: str
    enrolled_on: date
    alerts: dict[int, int] = field(default_factory=dict)  # priority -> open count
    alert_kinds: list[str] = field(default_factory=list)  # kinds of urgent/high alerts
    scores: dict[str, ScoreCell] = field(default_factory=dict)
    diary_days: int = 0
    window_days: int = ADHERENCE_DAYS
    trend: Trend = field(default_factory=Trend)
    next_due: Due | None = None
    next_due_on: date | None = None
    next_due_instrument: str = ""
    has_taper: bool = False
    # CBT homework not yet done ("open", overdue ones included) and, of those, past their due day.
    homework_open: int = 0
    homework_overdue: int = 0
    # Page details, filled for the rows shown only.
    spark: list[float | None] = field(default_factory=list)
    taper: dict | None = None

    @property
    def urgent(self) -> int:
        return self.alerts.get(Alert.Priority.URGENT, 0)

    @property
    def high(self) -> int:
        return self.alerts.get(Alert.Priority.HIGH, 0)

    @property
    def other_alerts(self) -> int:
        return self.alerts.get(Alert.Priority.NORMAL, 0) + self.alerts.get(Alert.Priority.LOW, 0)

    @property
    def open_alerts(self) -> int:
        return sum(self.alerts.values())

    @property
    def adherence(self) -> float | None:
        return self.diary_days / self.window_days if self.window_days else None

    @property
    def adherence_pct(self) -> int | None:
        share = self.adherence
        return None if share is None else round(share * 100)

    @property
    def deteriorated(self) -> bool:
        return any(c.reliable == "deteriorated" for c in self.scores.values())

    @property
    def overdue(self) -> bool:
        return self.next_due is not None and self.next_due.overdue

    def urgency_key(self) -> tuple:
        phq = self.scores["phq9"].total
        return (-self.urgent, -self.high, not self.deteriorated, -(phq if phq is not None else -1),
                not self.overdue, -self.other_alerts, self.display_name)


def _latest(instrument: str, column: str, *, first: bool = False):
    order = "submitted_at" if first else "-submitted_at"
    return Subquery(
        Response.objects.filter(patient=OuterRef("pk"), instrument=instrument,
                                total__isnull=False)
        .order_by(order).values(column)[:1]
    )


def summarise(patients: QuerySet[Patient], today: date, *, diary: bool = True) -> list[Row]:
    """One summary row per patient in `patients` (a fixed number of queries, any size).

    `diary=False` leaves the diary columns (adherence, kratom trend) for `add_page_details`:
    the default order and most filters do not need them for every patient.
    """
    ids = patients.values("pk")
    annotated = Patient.objects.filter(pk__in=ids).annotate(
        **{f"{i}_total": _latest(i, "total") for i in SCORED},
        **{f"{i}_at": _latest(i, "submitted_at") for i in SCORED},
        **{f"{i}_base": _latest(i, "total", first=True) for i in SCORED},
        has_taper=Subquery(
            TaperPlan.objects.filter(patient=OuterRef("pk"), replaced_at__isnull=True)
            .values("pk")[:1]
        ),
    ).values("pk", "uuid", "display_name", "pseudonym", "enrolled_on", "has_taper",
             *[f"{i}_{k}" for i in SCORED for k in ("total", "at", "base")])
    rows: dict[int, Row] = {}
    for r in annotated:
        row = Row(r["pk"], r["uuid"], r["display_name"], r["pseudonym"], r["enrolled_on"],
                  has_taper=r["has_taper"] is not None)
        for i in SCORED:
            row.scores[i] = _score_cell(i, r[f"{i}_total"], r[f"{i}_base"], r[f"{i}_at"])
        # Adherence counts the days since enrolment only (analytics.adherence's denominator).
        row.window_days = max(0, min(ADHERENCE_DAYS, (today - row.enrolled_on).days + 1))
        rows[row.pk] = row
    _add_alerts(rows, ids)
    if diary:
        _add_diary(rows, ids, today)
    _add_due(rows, ids, today)
    _add_homework(rows, ids, today)
    return list(rows.values())


def _score_cell(instrument: str, total, baseline, at) -> ScoreCell:
    inst = get_instrument(instrument)
    cell = ScoreCell(instrument, inst.short_name)
    if total is None:
        return cell
    band = band_for(inst, total)
    cell.total = total
    cell.on = at.date() if at else None
    cell.severity = band.label if band else ""
    cell.band_index = inst.severity_bands.index(band) if band else 0
    # Latest against baseline, judged by the instrument's own reliable-change and remission
    # thresholds (measures.scoring). With one response the baseline is the latest itself.
    points = change_over_time(inst, [baseline, total])
    cell.point = points[-1] if baseline is not None else None
    return cell


def _add_alerts(rows: dict[int, Row], ids) -> None:
    grouped = (
        Alert.objects.filter(patient__in=ids, status=Alert.Status.OPEN)
        .values("patient_id", "priority", "kind").annotate(n=Count("id"))
    )
    labels = dict(Alert.Kind.choices)
    kinds: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for g in grouped:
        row = rows.get(g["patient_id"])
        if row is None:
            continue
        row.alerts[g["priority"]] = row.alerts.get(g["priority"], 0) + g["n"]
        if g["priority"] <= Alert.Priority.HIGH:
            kinds[row.pk].add((g["priority"], labels.get(g["kind"], g["kind"])))
    for pk, found in kinds.items():
        # Most urgent kind first, each named once.
        seen: list[str] = []
        for _priority, label in sorted(found):
            if label not in seen:
                seen.append(label)
        rows[pk].alert_kinds = seen


def _add_diary(rows: dict[int, Row], ids, today: date) -> None:
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


def _add_homework(rows: dict[int, Row], ids, today: date) -> None:
    """Open and overdue CBT homework per patient: one grouped query over the open homework.

    Open and overdue are the cbt app's own definitions (`HomeworkQuerySet.open()` and
    `.overdue(today)`: not completed; not completed and due before today). The overdue count is
    the same rule written as a filtered count so both numbers come from one query; a test
    checks it against the manager helper.
    """
    grouped = (
        Homework.objects.filter(patient__in=ids).open().order_by()
        .values("patient_id").annotate(
            n_open=Count("id"), n_overdue=Count("id", filter=Q(due_on__lt=today)))
    )
    for g in grouped:
        row = rows.get(g["patient_id"])
        if row is not None:
            row.homework_open = g["n_open"]
            row.homework_overdue = g["n_overdue"]


@dataclass(frozen=True)
class _Schedule:
    """The fields of a Schedule that `measures.schedules` reads (no model instance needed)."""

    patient_id: int
    instrument: str
    every_days: int | None
    start: date


def _add_due(rows: dict[int, Row], ids, today: date) -> None:
    last_response = Subquery(
        Response.objects.filter(patient=OuterRef("patient_id"), instrument=OuterRef("instrument"))
        .order_by("-submitted_at").values("submitted_at")[:1]
    )
    schedules = (
        Schedule.objects.filter(patient__in=ids, active=True).annotate(last=last_response)
        .values_list("patient_id", "instrument", "every_days", "start", "last")
    )
    midnights: dict[date, datetime] = {}
    pending_by_row: dict[int, list[tuple[date, str]]] = {}
    upcoming_by_row: dict[int, list[tuple[date, str]]] = {}
    for patient_id, instrument, every_days, start, last in schedules:
        row = rows.get(patient_id)
        if row is None:
            continue
        s = _Schedule(patient_id, instrument, every_days, start)
        current = current_occurrence(s, today)
        # "Answered on or after the due day", compared as instants: local midnight of that day.
        if current is not None and (last is None or last < _midnight(current, midnights)):
            # Pending now (measures.schedules' rule: done once answered on or after the day).
            due = Due(s, current, (today - current).days)  # type: ignore[arg-type]
            pending_by_row.setdefault(row.pk, []).append((current, instrument))
            if row.next_due is None or due.due_on < row.next_due.due_on:
                row.next_due = due
            continue
        if current is None:
            upcoming = start
        elif every_days:
            upcoming = current + timedelta(days=every_days)
        else:
            continue  # a one-off already answered
        upcoming_by_row.setdefault(row.pk, []).append((upcoming, instrument))
    for row in rows.values():
        if row.next_due is not None:
            # Everything pending on the most overdue day is named, not just one instrument.
            row.next_due_on = row.next_due.due_on
            names = pending_by_row.get(row.pk, [])
            row.next_due_instrument = ", ".join(
                sorted({_short(i) for d, i in names if d == row.next_due_on}))
        elif row.pk in upcoming_by_row:
            row.next_due_on = min(d for d, _i in upcoming_by_row[row.pk])
            row.next_due_instrument = ", ".join(
                sorted({_short(i) for d, i in upcoming_by_row[row.pk] if d == row.next_due_on}))


def _midnight(day: date, cache: dict[date, datetime]) -> datetime:
    if day not in cache:
        cache[day] = timezone.make_aware(datetime.combine(day, time.min))
    return cache[day]


@lru_cache(maxsize=64)
def _short(instrument: str) -> str:
    return get_instrument(instrument).short_name


# -- sorting, filtering, the page --------------------------------------------------------


def _none_last(value, reverse_sign: int = 1):
    return (value is None, reverse_sign * value if value is not None else 0)


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    """Sort by one of SORTS; a leading '-' reverses it."""
    reverse = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        allowed = ", ".join(f"{k}, -{k}" for k in SORTS)
        raise DashboardError(f"sort: {sort!r} is not allowed; allowed values: {allowed}")
    keys = {
        "urgency": Row.urgency_key,
        "name": lambda r: (r.display_name.lower(), r.pseudonym),
        "phq9": lambda r: (_none_last(r.scores["phq9"].total, -1), r.display_name),
        "gad7": lambda r: (_none_last(r.scores["gad7"].total, -1), r.display_name),
        "adherence": lambda r: (_none_last(r.adherence), r.display_name),
        "kratom": lambda r: (_none_last(r.trend.change_pct, -1), r.display_name),
        "due": lambda r: (_none_last(r.next_due_on.toordinal() if r.next_due_on else None),
                          r.display_name),
        "homework": lambda r: (-r.homework_overdue, -r.homework_open, r.display_name),
    }
    ordered = sorted(rows, key=keys[key])
    return ordered[::-1] if reverse else ordered


def filter_rows(rows: list[Row], show: str, q: str) -> list[Row]:
    if show not in FILTERS:
        allowed = ", ".join(k for k in FILTERS if k)
        raise DashboardError(f"show: {show!r} is not allowed; allowed values: {allowed}"
                             " (or empty for everyone)")
    tests = {
        "": lambda r: True,
        "alerts": lambda r: r.open_alerts > 0,
        "urgent": lambda r: r.urgent + r.high > 0,
        "deteriorated": lambda r: r.deteriorated,
        "overdue": lambda r: r.overdue,
        "taper": lambda r: r.has_taper,
        "rising": lambda r: r.trend.direction == "rising",
        "homework": lambda r: r.homework_overdue > 0,
    }
    keep = [r for r in rows if tests[show](r)]
    q = q.strip().lower()
    if q:
        keep = [r for r in keep if q in r.display_name.lower() or q in r.pseudonym.lower()]
    return keep


def add_page_details(rows: list[Row], today: date, *, diary: bool = False) -> None:
    """Sparklines and taper status for the rows on the page (a fixed number of queries);
    with `diary`, also the diary columns that `summarise` left out."""
    by_pk = {r.pk: r for r in rows}
    if not by_pk:
        return
    if diary:
        _add_diary(by_pk, list(by_pk), today)
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
    plans = (TaperPlan.objects.filter(patient_id__in=by_pk, replaced_at__isnull=True)
             .prefetch_related("pauses").order_by("patient_id", "-created_at"))
    for plan in plans:
        row = by_pk[plan.patient_id]
        if row.taper is not None:
            continue
        row.taper = taper_status(plan, today)


def taper_status(plan: TaperPlan, today: date) -> dict:
    """What the clinician's plan sets today, from diary.taper's arithmetic."""
    spec = plan.as_plan()
    planned = spec.planned_amount(today)
    pause = spec.paused_on(today)
    if planned is None:
        state = "starts"
    elif pause is not None:
        state = "paused"
    elif planned <= plan.target_amount:
        state = "at target"
    else:
        state = "stepping down"
    return {"plan": plan, "state": state, "planned": planned, "pause": pause,
            "step": spec.steps_taken(today) if planned is not None else 0}


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


@dataclass
class Dashboard:
    page: Page
    total: int
    shown: int
    sort: str
    show: str
    q: str
    today: date


def build(patients: QuerySet[Patient], today: date, *, sort: str = "urgency", show: str = "",
          q: str = "", page: str | int = 1) -> Dashboard:
    """The dashboard for these patients; DashboardError for a parameter out of range."""
    sort_rows([], sort)  # a bad parameter is refused before any work
    filter_rows([], show, q)
    # The diary columns are summarised for everyone only when the order or filter needs them.
    everyone = sort.lstrip("-") in ("adherence", "kratom") or show == "rising"
    rows = summarise(patients, today, diary=everyone)
    total = len(rows)
    rows = sort_rows(filter_rows(rows, show, q), sort)
    paginator = Paginator(rows, PAGE_SIZE)
    page_obj = paginator.get_page(page)
    add_page_details(list(page_obj.object_list), today, diary=not everyone)
    return Dashboard(page_obj, total, len(rows), sort, show, q, today)

