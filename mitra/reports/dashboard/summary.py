"""The caseload's summary rows: one per patient, from a fixed number of grouped queries.

Each column comes from the app that owns its rule: scores judged by `measures.scoring`, the next
questionnaire from `measures.schedules.next_due_by_patient`, open and overdue homework by the
cbt app's definitions, the diary columns from `diary_columns`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from functools import lru_cache

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from mitra.cbt.models import Homework
from mitra.diary.models import TaperPlan
from mitra.measures.library import get_instrument
from mitra.measures.models import Response
from mitra.measures.schedules import next_due_by_patient
from mitra.measures.scoring import band_for, change_over_time
from mitra.patients.models import Patient
from mitra.reports.dashboard.diary_columns import ADHERENCE_DAYS, add_diary
from mitra.reports.dashboard.reminder_columns import add_reminder_counts
from mitra.reports.dashboard.rows import SCORED, Row, ScoreCell
from mitra.safety.models import Alert


def _latest(instrument: str, column: str, *, first: bool = False) -> Subquery:
    order = "submitted_at" if first else "-submitted_at"
    return Subquery(
        Response.objects.filter(patient=OuterRef("pk"), instrument=instrument,
                                total__isnull=False)
        .order_by(order).values(column)[:1]
    )


def summarise(patients: QuerySet[Patient], today: date, *, diary: bool = True,
              reminders_at: datetime | None = None) -> list[Row]:
    """One summary row per patient in `patients` (a fixed number of queries, any size).

    `diary=False` leaves the diary columns (adherence, kratom trend) for `add_page_details`:
    the default order and most filters do not need them for every patient. With
    `reminders_at` (the moment), the reminders answered over 14 days are counted for every
    patient too (one grouped query), for the reminders sort and the low-adherence filter.
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
        add_diary(rows, ids, today)
    if reminders_at is not None:
        add_reminder_counts(rows, ids, reminders_at)
    _add_due(rows, ids, today)
    _add_homework(rows, ids, today)
    return list(rows.values())


def _score_cell(instrument: str, total: float | None, baseline: float | None,
                at: datetime | None) -> ScoreCell:
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


def _add_alerts(rows: dict[int, Row], ids: QuerySet) -> None:
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


def _add_homework(rows: dict[int, Row], ids: QuerySet, today: date) -> None:
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


def _add_due(rows: dict[int, Row], ids: QuerySet, today: date) -> None:
    """The next questionnaire: what `measures.schedules` says is pending (the most overdue
    day, every instrument due that day named) or, with nothing pending, the next one ahead."""
    for pk, due in next_due_by_patient(ids, today).items():
        row = rows.get(pk)
        if row is None:
            continue
        row.next_due = due.pending
        row.next_due_on = due.on
        row.next_due_instrument = ", ".join(sorted({_short(i) for i in due.instruments}))


@lru_cache(maxsize=64)
def _short(instrument: str) -> str:
    return get_instrument(instrument).short_name
