"""A caseload row and its cells: the values one patient's line shows, and what follows from
them (open alerts by priority, reliable deterioration, overdue, the "most urgent" order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from mitra.measures.schedules import Due, ScheduleFields
from mitra.measures.scoring import ChangePoint
from mitra.reminders.adherence import EMPTY, Adherence, Status, Window
from mitra.reports.dashboard.diary_columns import ADHERENCE_DAYS, Trend
from mitra.safety.models import Alert

SCORED = ("phq9", "gad7")


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
class Row:
    pk: int
    uuid: UUID
    display_name: str
    pseudonym: str
    enrolled_on: date
    alerts: dict[int, int] = field(default_factory=dict)  # priority -> open count
    alert_kinds: list[str] = field(default_factory=list)  # kinds of urgent/high alerts
    scores: dict[str, ScoreCell] = field(default_factory=dict)
    diary_days: int = 0
    window_days: int = ADHERENCE_DAYS
    trend: Trend = field(default_factory=Trend)
    next_due: Due[ScheduleFields] | None = None
    next_due_on: date | None = None
    next_due_instrument: str = ""
    has_taper: bool = False
    # CBT homework not yet done ("open", overdue ones included) and, of those, past their due day.
    homework_open: int = 0
    homework_overdue: int = 0
    # Reminders answered over 14 days: counts for every row when the order or filter needs them,
    # else for the page shown; the full figures (streak, 30 days) for the page shown only.
    reminders_14: Window = field(default_factory=lambda: EMPTY.last_14)
    reminder_status: Status = "too_few"
    reminders: Adherence = EMPTY
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
    def low_adherence(self) -> bool:
        return self.reminder_status == "low"

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
