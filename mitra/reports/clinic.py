"""The clinic page: measurement-based care across each care team, in aggregate.

The Joint Commission's standard for measurement-based care in behavioural health (CTS.03.01.09)
asks for a standardised measure at baseline and throughout care, its data analysed in
aggregate. Per team, for each instrument scheduled for the team's patients, by month of
enrolment over the last 12 months:

- **Baseline within 7 days**: of the patients with a schedule of the instrument, those with a
  scored response submitted no later than 7 days after the day of enrolment (enrolled 1 March:
  by the end of 8 March, in the site's time zone). Counted once that window has closed.
- **Repeat measurement**: of the patients with a schedule of the instrument who have been
  enrolled for at least 30 days, those with two scored responses of it or more.
- **Reminders answered** (per team, not by month): of the reminders sent to the team's patients
  over the last 30 days and no longer open, those answered (`mitra.reminders.adherence`), the
  diary's and the questionnaires' apart.

Small cells are suppressed: a figure about fewer than 11 patients reads "<11" (its count and
its percentage both), as public health reporting does with counts of 1 to 10.

Everything is aggregated in SQL: four queries whatever the number of patients (the teams, the
enrolments, the schedules with their responses, the reminders). A patient on two teams counts
in both.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, DateField, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.db.models.lookups import GreaterThanOrEqual
from django.db.models.query import QuerySet

from mitra.accounts.models import CareTeam, Role, User
from mitra.measures.library import get_instrument
from mitra.measures.models import Response, Schedule
from mitra.patients.models import Patient
from mitra.reminders.adherence import settled_q
from mitra.reminders.models import Prompt

MIN_CELL = 11
BASELINE_DAYS = 7
REPEAT_AFTER_DAYS = 30
REPEAT_RESPONSES = 2
PROMPT_DAYS = 30
MONTHS = 12
SUPPRESSED = f"<{MIN_CELL}"


def clinic_teams_for_user(user: User | AnonymousUser) -> QuerySet[CareTeam]:
    """The care teams whose figures this user sees: those they are a member of, as a clinician
    (read-only too) or a care-team admin. A clinician's teams hold exactly the patients
    `patients.access.patients_for_user` gives them; an admin sees the figures only, never a
    patient."""
    if not isinstance(user, User) or not user.is_active or user.role not in (Role.CLINICIAN,
                                                                             Role.ADMIN):
        return CareTeam.objects.none()
    return CareTeam.objects.filter(clinicians=user).order_by("name")


@dataclass(frozen=True)
class PatientCount:
    """A count of patients, suppressed from 1 to 10."""

    n: int

    @property
    def suppressed(self) -> bool:
        return 0 < self.n < MIN_CELL

    def __str__(self) -> str:
        return SUPPRESSED if self.suppressed else str(self.n)


@dataclass(frozen=True)
class Rate:
    """`numerator` of `denominator` patients (or prompts, with `patients` the patients they
    belong to); suppressed when fewer than 11 patients are behind it."""

    numerator: int = 0
    denominator: int = 0
    patients: int | None = None  # None: the denominator counts patients
    # Patients scheduled, though none yet due (a window not yet closed): "not yet", not "—".
    waiting: bool = False

    @property
    def people(self) -> int:
        return self.denominator if self.patients is None else self.patients

    @property
    def suppressed(self) -> bool:
        return 0 < self.people < MIN_CELL

    @property
    def pct(self) -> int | None:
        if not self.denominator or self.suppressed:
            return None
        return round(100 * self.numerator / self.denominator)

    def __add__(self, other: Rate) -> Rate:
        patients = None if self.patients is None else self.patients + (other.patients or 0)
        return Rate(self.numerator + other.numerator, self.denominator + other.denominator,
                    patients, self.waiting or other.waiting)

    def __str__(self) -> str:
        if not self.denominator:
            return "not yet" if self.waiting else "—"
        if self.suppressed:
            return SUPPRESSED
        return f"{self.numerator}/{self.denominator} ({self.pct}%)"


@dataclass
class Measures:
    baseline: Rate = field(default_factory=Rate)
    repeat: Rate = field(default_factory=Rate)

    def __add__(self, other: Measures) -> Measures:
        return Measures(self.baseline + other.baseline, self.repeat + other.repeat)


@dataclass
class MonthRow:
    month: date
    enrolled: PatientCount
    by_instrument: list[Measures]


@dataclass
class TeamFigures:
    team: CareTeam
    instruments: list[tuple[str, str]]  # (id, short name)
    months: list[MonthRow]
    total_enrolled: PatientCount
    totals: list[Measures]
    prompts: dict[str, Rate]  # Schedule.Form -> answered/sent


@dataclass
class Clinic:
    today: date
    months: list[date]
    teams: list[TeamFigures]


def months_back(today: date, n: int = MONTHS) -> list[date]:
    """The first days of the last `n` months, this one included, newest first."""
    out, day = [], today.replace(day=1)
    for _ in range(n):
        out.append(day)
        day = (day - timedelta(days=1)).replace(day=1)
    return out


def _month(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def build_clinic(teams: QuerySet[CareTeam], today: date, now: datetime) -> Clinic:
    """The figures of these teams (four queries, whatever the number of patients)."""
    team_list = list(teams)
    ids = [t.pk for t in team_list]
    months = months_back(today)
    first = months[-1]
    enrolled = _enrolled(ids, first, today)
    measured = _measured(ids, first, today)
    prompts = _prompts(ids, now)
    out = []
    for team in team_list:
        found = sorted({i for (t, i, _m) in measured if t == team.pk})
        instruments = [(i, get_instrument(i).short_name) for i in found]
        rows = []
        for month in months:
            rows.append(MonthRow(month, PatientCount(enrolled.get((team.pk, month), 0)),
                                 [measured.get((team.pk, i, month), Measures())
                                  for i in found]))
        totals = [sum((r.by_instrument[n] for r in rows), Measures())
                  for n in range(len(found))]
        out.append(TeamFigures(
            team, instruments, rows, PatientCount(sum(r.enrolled.n for r in rows)), totals,
            {form: prompts.get((team.pk, form), Rate(patients=0))
             for form in (Schedule.Form.DIARY, Schedule.Form.QUESTIONNAIRE)},
        ))
    return Clinic(today, months, out)


def _enrolled(ids: list[int], first: date, today: date) -> dict[tuple[int, date], int]:
    grouped = (
        Patient.objects.filter(care_teams__in=ids, enrolled_on__gte=first, enrolled_on__lte=today)
        .values("care_teams", month=TruncMonth("enrolled_on"))
        .annotate(n=Count("pk", distinct=True)).order_by()
    )
    return {(g["care_teams"], _month(g["month"])): g["n"] for g in grouped}


def _measured(ids: list[int], first: date, today: date) -> dict[tuple[int, str, date], Measures]:
    """Baseline and repeat measurement per team, instrument and month of enrolment, from the
    questionnaire schedules of patients enrolled since `first` (one query)."""
    scored = Response.objects.filter(patient=OuterRef("patient_id"),
                                     instrument=OuterRef("instrument"), total__isnull=False)
    baseline_by = ExpressionWrapper(OuterRef("patient__enrolled_on")
                                    + timedelta(days=BASELINE_DAYS), output_field=DateField())
    has_baseline = Exists(scored.filter(submitted_at__date__lte=baseline_by))
    responses = Subquery(scored.order_by().values("patient").annotate(c=Count("pk"))
                         .values("c")[:1])
    # The baseline window has closed for those enrolled on or before this day...
    baseline_closed = today - timedelta(days=BASELINE_DAYS + 1)
    # ... and these have been in care 30 days.
    in_care = today - timedelta(days=REPEAT_AFTER_DAYS)
    patient = "patient"
    grouped = (
        Schedule.objects.filter(form=Schedule.Form.QUESTIONNAIRE, patient__care_teams__in=ids,
                                patient__enrolled_on__gte=first,
                                patient__enrolled_on__lte=today)
        .exclude(instrument="")
        .values("patient__care_teams", "instrument", month=TruncMonth("patient__enrolled_on"))
        .annotate(
            scheduled=Count(patient, distinct=True),
            baseline_due=Count(patient, distinct=True,
                               filter=Q(patient__enrolled_on__lte=baseline_closed)),
            baseline=Count(patient, distinct=True,
                           filter=Q(has_baseline, patient__enrolled_on__lte=baseline_closed)),
            repeat_due=Count(patient, distinct=True, filter=Q(patient__enrolled_on__lte=in_care)),
            repeat=Count(patient, distinct=True,
                         filter=Q(GreaterThanOrEqual(responses, REPEAT_RESPONSES),
                                  patient__enrolled_on__lte=in_care)),
        ).order_by()
    )
    out = {}
    for g in grouped:
        waiting = g["scheduled"] > 0
        out[(g["patient__care_teams"], g["instrument"], _month(g["month"]))] = Measures(
            Rate(g["baseline"], g["baseline_due"], waiting=waiting),
            Rate(g["repeat"], g["repeat_due"], waiting=waiting),
        )
    return out


def _prompts(ids: list[int], now: datetime) -> dict[tuple[int, str], Rate]:
    """Reminders answered of those sent over the last 30 days, per team and form."""
    grouped = (
        Prompt.objects.filter(settled_q(now), patient__care_teams__in=ids,
                              fire_at__gt=now - timedelta(days=PROMPT_DAYS), fire_at__lte=now)
        .values("patient__care_teams", "schedule__form")
        .annotate(sent=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)),
                  patients=Count("patient", distinct=True)).order_by()
    )
    return {(g["patient__care_teams"], g["schedule__form"]):
            Rate(g["answered"], g["sent"], g["patients"]) for g in grouped}


# --- CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = ("team", "measure", "instrument", "enrolment_month", "patients", "numerator",
               "denominator", "percent")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (a team named "=cmd" stays text)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rate_cells(rate: Rate) -> list[str]:
    if rate.suppressed:
        return [SUPPRESSED, "", "", ""]
    if not rate.denominator:
        return [str(rate.people), "0", "0", ""]
    return [str(rate.people), str(rate.numerator), str(rate.denominator), str(rate.pct)]


def clinic_csv(clinic: Clinic) -> str:
    """The clinic table in long form, one figure a row, suppressed as on the page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for t in clinic.teams:
        name = safe_cell(t.team.name)
        for row in [*t.months, None]:
            label = row.month.strftime("%Y-%m") if row else "last 12 months"
            enrolled = row.enrolled if row else t.total_enrolled
            writer.writerow([name, "enrolled", "", label, str(enrolled), "", "", ""])
            cells = row.by_instrument if row else t.totals
            for (instrument, _short), m in zip(t.instruments, cells, strict=True):
                writer.writerow([name, "baseline_within_7_days", instrument, label,
                                 *rate_cells(m.baseline)])
                writer.writerow([name, "repeat_measurement", instrument, label,
                                 *rate_cells(m.repeat)])
        for form, rate in t.prompts.items():
            writer.writerow([name, "reminders_answered_30_days", form, "",
                             *rate_cells(rate)])
    return buffer.getvalue()
