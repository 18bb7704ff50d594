"""Reads of the diary shared by its pages, its alert checks and the reports: a patient's use
events over a period, and the taper plan in force."""

from __future__ import annotations

from datetime import date

from mitra.diary import analytics
from mitra.diary.models import DiaryEntry, TaperPlan, UseEvent
from mitra.lib import rowsql
from mitra.patients.models import Patient

# Written out (`lib.rowsql`): table names from the models' metadata, every value a parameter
# (hence `noqa: S608`).
_ENTRY, _USE = rowsql.table(DiaryEntry), rowsql.table(UseEvent)


def load_uses(patient: Patient, start: date, end: date) -> list[analytics.Use]:
    """A patient's current use events from `start` to `end` (used by reports too)."""
    return load_diary(patient, start, end)[0]


def load_diary(patient: Patient, start: date, end: date) -> tuple[list[analytics.Use], set[date]]:
    """Current use events and the days with an entry, in one query (entries left-joined to
    their use events: a day with an entry and no use is a recorded zero). Written out: it
    runs on every submission (`alerts.flags_for_day`)."""
    found = rowsql.rows(
        f"SELECT e.date, u.substance, u.amount, u.unit, u.grams FROM {_ENTRY} e "  # noqa: S608
        f"LEFT JOIN {_USE} u ON u.entry_id = e.id "
        "WHERE e.patient_id = %s AND e.is_current AND e.date >= %s AND e.date <= %s "
        "ORDER BY e.date DESC, u.id",
        [patient.pk, rowsql.prep(DiaryEntry, "date", start),
         rowsql.prep(DiaryEntry, "date", end)])
    uses: list[analytics.Use] = []
    observed: set[date] = set()
    for day, substance, amount, unit, grams in found:
        observed.add(day)
        if substance is not None:
            uses.append(analytics.Use(day, substance, rowsql.decimal(amount, 3), unit,
                                      rowsql.decimal(grams, 3)))
    return uses, observed


def current_taper_plan(patient: Patient) -> TaperPlan | None:
    """The patient's plan in force (not replaced), with its pauses."""
    return (TaperPlan.objects.filter(patient=patient, replaced_at__isnull=True)
            .prefetch_related("pauses").first())
