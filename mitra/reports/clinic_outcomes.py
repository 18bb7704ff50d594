"""The clinic's outcomes: PHQ-9 and GAD-7 response, remission, reliable improvement and
reliable deterioration per care team and for all the user's teams together, by month over the
last 12 months, and diary adherence over the last 30 days.

The judging is `mitra.measures.outcomes` (plain Python, the instruments' published rules);
this module reads the rows for it. Three queries whatever the number of patients: the teams'
patients, their scored PHQ-9 and GAD-7 totals, their diary days in the last 30 days. Figures
about fewer than 11 patients are suppressed as on the rest of the clinic page (`clinic.Rate`).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count
from django.db.models.query import QuerySet
from django.utils import timezone

from mitra.accounts.models import CareTeam
from mitra.diary.models import DiaryEntry
from mitra.measures import outcomes as judging
from mitra.measures.library import Instrument, get_instrument
from mitra.measures.models import Response
from mitra.measures.scoring import Total
from mitra.reports.clinic import PatientCount, Rate, months_back, rate_cells, safe_cell

INSTRUMENTS = ("phq9", "gad7")
ADHERENCE_DAYS = 30
MEASURE_LABELS = {
    "reliable_improvement": "Reliable improvement",
    "reliable_deterioration": "Reliable deterioration",
    "response": "Response",
    "remission": "Remission",
}


@dataclass(frozen=True)
class Definition:
    measure: str
    label: str
    rule: str
    sources: list[str]
    unverified: bool
    note: str


@dataclass
class InstrumentOutcomes:
    instrument: str
    short_name: str
    baseline: PatientCount
    repeated: Rate
    # In the order of `measures.outcomes.MEASURES`; None: the instrument has no published rule.
    overall: list[Rate | None]
    # Each month's rates in the order of `definitions`.
    by_month: list[tuple[date, PatientCount, list[Rate]]]
    definitions: list[Definition]

    def overall_defined(self) -> list[tuple[str, Rate]]:
        return [(m, r) for m, r in zip(judging.MEASURES, self.overall, strict=True)
                if r is not None]


@dataclass
class GroupOutcomes:
    """One care team's outcomes, or (team None) those of all the user's teams together."""

    name: str
    team: CareTeam | None
    patients: PatientCount
    adherence: Rate
    instruments: list[InstrumentOutcomes]


def definitions(inst: Instrument) -> list[Definition]:
    """What each measure means for this instrument, from its data file, with its sources."""
    t = inst.thresholds
    out = []
    rc = t.reliable_change
    if rc is not None and rc.points is not None:
        rule = f"The latest total differs from the baseline by {rc.points} points or more"
        for measure, word in (("reliable_improvement", "lower"),
                              ("reliable_deterioration", "higher")):
            out.append(Definition(measure, MEASURE_LABELS[measure], f"{rule} ({word}). {rc.basis}",
                                  [inst.sources.get(k, k) for k in rc.source], rc.unverified,
                                  rc.note))
    for measure, value in (("response", t.response), ("remission", t.remission)):
        if value is not None:
            out.append(Definition(measure, MEASURE_LABELS[measure], value.rule,
                                  [inst.sources.get(k, k) for k in value.source],
                                  value.unverified, value.note))
    return out


def _rates(tally: judging.Tally, measures: Sequence[str]) -> list[Rate]:
    return [Rate(tally.met[m], tally.judged[m]) for m in measures]


def _instrument(inst: Instrument, series: list[list[tuple[date, Total]]],
                months: list[date]) -> InstrumentOutcomes:
    defined = definitions(inst)
    measures = [d.measure for d in defined]
    result = judging.outcomes(inst, series, months)
    return InstrumentOutcomes(
        inst.id, inst.short_name, PatientCount(result.overall.baseline),
        Rate(result.overall.repeated, result.overall.baseline),
        [Rate(result.overall.met[m], result.overall.judged[m]) if m in measures else None
         for m in judging.MEASURES],
        [(m, PatientCount(result.by_month[m].repeated), _rates(result.by_month[m], measures))
         for m in months],
        defined,
    )


def build_outcomes(teams: QuerySet[CareTeam], today: date) -> list[GroupOutcomes]:
    """Each team's outcomes, then (with more than one team) all of them together."""
    team_list = list(teams)
    members: dict[int, set[int]] = defaultdict(set)
    enrolled: dict[int, date] = {}
    through = CareTeam.patients.through
    for patient_id, team_id, enrolled_on in through.objects.filter(
            careteam_id__in=[t.pk for t in team_list]).values_list(
            "patient_id", "careteam_id", "patient__enrolled_on"):
        members[team_id].add(patient_id)
        enrolled[patient_id] = enrolled_on
    everyone = set(enrolled)
    # The same patients as a subquery: an IN list of ids would grow with the teams.
    in_teams = through.objects.filter(careteam_id__in=[t.pk for t in team_list]).values(
        "patient_id")
    # Scored totals, each patient's in time order: one query, the rows (patient, instrument,
    # submitted_at) index serves the order.
    series: dict[tuple[str, int], list[tuple[date, Total]]] = defaultdict(list)
    rows = (Response.objects.filter(patient_id__in=in_teams, instrument__in=INSTRUMENTS,
                                    total__isnull=False, submitted_at__date__lte=today)
            .order_by("patient_id", "instrument", "submitted_at")
            .values_list("patient_id", "instrument", "submitted_at", "total"))
    for patient_id, instrument, submitted_at, total in rows:
        if total is not None:  # filtered out above; for the type checker
            series[(instrument, patient_id)].append((timezone.localdate(submitted_at), total))
    first = today - timedelta(days=ADHERENCE_DAYS - 1)
    days = dict(DiaryEntry.objects.filter(patient_id__in=in_teams, is_current=True,
                                          date__gte=first, date__lte=today)
                .values("patient_id").annotate(n=Count("pk")).order_by()
                .values_list("patient_id", "n"))
    months = months_back(today)

    def group(name: str, team: CareTeam | None, ids: set[int]) -> GroupOutcomes:
        expected = sum(max(0, (today - max(first, enrolled[p])).days + 1) for p in ids)
        in_window = sum(1 for p in ids if enrolled[p] <= today)
        adherence = Rate(sum(days.get(p, 0) for p in ids), expected, in_window)
        instruments = []
        for instrument in INSTRUMENTS:
            inst = get_instrument(instrument)
            instruments.append(_instrument(
                inst, [series[(instrument, p)] for p in sorted(ids) if (instrument, p) in series],
                months))
        return GroupOutcomes(name, team, PatientCount(len(ids)), adherence, instruments)

    out = [group(t.name, t, members.get(t.pk, set())) for t in team_list]
    if len(team_list) > 1:
        out.append(group("All your care teams", None, everyone))
    return out


# --- CSV ----------------------------------------------------------------------------------------

def outcomes_rows(groups: list[GroupOutcomes]) -> list[list[str]]:
    """The outcomes in the clinic CSV's long form (team, measure, instrument, month, patients,
    numerator, denominator, percent)."""
    rows = []
    for g in groups:
        name = safe_cell(g.name)
        rows.append([name, f"diary_adherence_{ADHERENCE_DAYS}_days", "", "",
                     *rate_cells(g.adherence)])
        for i in g.instruments:
            rows.append([name, "with_baseline", i.instrument, "", str(i.baseline), "", "", ""])
            rows.append([name, "measured_again", i.instrument, "", *rate_cells(i.repeated)])
            for measure, rate in i.overall_defined():
                rows.append([name, measure, i.instrument, "latest", *rate_cells(rate)])
            for month, _measured, rates in i.by_month:
                for d, rate in zip(i.definitions, rates, strict=True):
                    rows.append([name, d.measure, i.instrument, month.strftime("%Y-%m"),
                                 *rate_cells(rate)])
    return rows


def outcomes_csv(groups: list[GroupOutcomes]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("team", "measure", "instrument", "month", "patients", "numerator",
                     "denominator", "percent"))
    writer.writerows(outcomes_rows(groups))
    return buffer.getvalue()


def chart_data(groups: list[GroupOutcomes]) -> list[dict]:
    """For the monthly chart: per group and instrument, each measure's percent by month
    (None where suppressed or nobody was judged), oldest month first."""
    out = []
    for g in groups:
        for i in g.instruments:
            months = list(reversed(i.by_month))
            out.append({
                "group": g.name, "instrument": i.short_name,
                "months": [m.isoformat() for m, _n, _r in months],
                "series": [{"label": d.label,
                            "pct": [rates[n].pct for _m, _c, rates in months]}
                           for n, d in enumerate(i.definitions)],
            })
    return out
