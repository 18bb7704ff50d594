"""Reads of the diary shared by its pages, its alert checks and the reports: a patient's use
events over a period, and the taper plan in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from mitra.diary import analytics, nof1
from mitra.diary.models import DiaryEntry, TaperPlan, UseEvent
from mitra.diary.units import SUBSTANCES, UNITS
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


# -- the patient's "Your last entries" ---------------------------------------------------------

RECENT_DAYS = 14


@dataclass(frozen=True)
class UseTotal:
    """One substance in one unit on one day: the amounts added up, and how many uses."""

    substance: str  # its label
    amount: str  # the sum, without trailing zeros ("6.5", "10")
    unit: str  # its label
    uses: int
    times: list[str]  # the times given, "HH:MM", in order

    @property
    def when(self) -> str:
        """"2 uses: 07:45, 13:10", "at 08:15", "2 uses" or "" (one use, no time)."""
        times = ", ".join(self.times)
        if self.uses == 1:
            return f"at {times}" if times else ""
        return f"{self.uses} uses: {times}" if times else f"{self.uses} uses"


@dataclass(frozen=True)
class RecentDay:
    date: date
    saved_at: datetime  # local time the current version was saved
    edited: bool
    mood: int | None
    craving: int | None
    uses: list[UseTotal]

    @property
    def saved_same_day(self) -> bool:
        return self.saved_at.date() == self.date


def _plain(amount: Decimal) -> str:
    # normalize() alone writes ten as "1E+1".
    return format(amount.normalize(), "f")


def use_totals(uses: list[UseEvent]) -> list[UseTotal]:
    """The uses of a day by substance and unit, in the order first recorded."""
    sums: dict[tuple[str, str], list] = {}
    for use in uses:
        entry = sums.setdefault((use.substance, use.unit), [Decimal(0), 0, []])
        entry[0] += use.amount
        entry[1] += 1
        if use.time is not None:
            entry[2].append(use.time.strftime("%H:%M"))
    return [UseTotal(SUBSTANCES.get(substance, substance), _plain(total),
                     UNITS.get(unit, unit), count, sorted(times))
            for (substance, unit), (total, count, times) in sums.items()]


def recent_days(patient: Patient, limit: int = RECENT_DAYS) -> list[RecentDay]:
    """The patient's last `limit` diary days (current versions), newest first: two queries."""
    entries = (
        DiaryEntry.objects.current().filter(patient=patient)
        .only("date", "version", "mood", "craving", "created_at")
        .prefetch_related(Prefetch("uses", queryset=UseEvent.objects.filter(is_current=True)
                                   .order_by("time", "id")))
        [:limit]
    )
    return [RecentDay(e.date, timezone.localtime(e.created_at), e.version > 1, e.mood,
                      e.craving, use_totals(list(e.uses.all())))
            for e in entries]


# -- the clinician's n-of-1 view -------------------------------------------------------------


def nof1_series(patient: Patient, start: date, end: date
                ) -> tuple[list[nof1.Day], list[analytics.Use], TaperPlan | None]:
    """The recorded days (current entries, their ratings), their current use events and the
    plan in force: four queries whatever the length (entries, uses, the plan, its pauses)."""
    days = [nof1.Day(day, mood, anxiety, craving, withdrawal)
            for day, mood, anxiety, craving, withdrawal in
            DiaryEntry.objects.current()
            .filter(patient=patient, date__gte=start, date__lte=end)
            .order_by("date")
            .values_list("date", "mood", "anxiety", "craving", "withdrawal")]
    # Use events carry their entry's day and currency (index diary_use_patient_date).
    uses = [analytics.Use(day, substance, amount, unit, grams)
            for day, substance, amount, unit, grams in
            UseEvent.objects.filter(patient=patient, is_current=True, date__gte=start,
                                    date__lte=end)
            .order_by("date", "id")
            .values_list("date", "substance", "amount", "unit", "grams")]
    return days, uses, current_taper_plan(patient)
