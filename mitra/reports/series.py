"""One patient's record as time series, for the timeline, the patient's own view and the PDF.

Reads only; every clinical figure comes from the module that owns it: totals and severity bands
from the stored scores and the instrument data files, reliable change, response and remission
from `measures.scoring.change_over_time` (judged against the first scored total of the whole
record, not of the period shown), daily amounts from `diary.analytics`, the planned amount and
the recorded amount in the plan's terms from `diary.taper`, adherence from
`diary.analytics.adherence`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from mitra.diary import analytics, taper
from mitra.diary.models import DiaryEntry
from mitra.diary.queries import current_taper_plan, load_uses
from mitra.diary.units import KRATOM, SUBSTANCES, UNITS
from mitra.measures.library import get_instrument
from mitra.measures.models import Response
from mitra.measures.scoring import change_over_time
from mitra.patients.models import Patient
from mitra.safety.models import Alert

# Score charts, in this order: depression, anxiety, then the withdrawal scales.
INSTRUMENTS = ("phq9", "gad7", "sows", "cows")
RATINGS = ("mood", "anxiety", "craving", "withdrawal")
RATING_LABELS = {"mood": "Mood", "anxiety": "Anxiety", "craving": "Craving",
                 "withdrawal": "Withdrawal (diary)"}
MAX_DAYS = 366


class PeriodError(ValueError):
    """A period that cannot be shown; the message names the field and the allowed values."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_period(params, patient: Patient, today: date, *, default_days: int = 90) -> Period:
    """`start` and `end` (YYYY-MM-DD) from the query string; default the last `default_days`."""
    values: dict[str, date | None] = {}
    for name in ("start", "end"):
        text = (params.get(name) or "").strip()
        if not text:
            values[name] = None
            continue
        try:
            values[name] = date.fromisoformat(text)
        except ValueError:
            raise PeriodError(f"{name}: {text!r} is not a date; use YYYY-MM-DD") from None
    end = values["end"] or today
    start = values["start"] or end - timedelta(days=default_days - 1)
    if end > today:
        raise PeriodError(f"end: {end} is in the future; allowed: up to {today}")
    if start > end:
        raise PeriodError(f"start: {start} is after end ({end}); start must be on or before end")
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(f"start: the period may be at most {MAX_DAYS} days long;"
                          f" got {(end - start).days + 1}")
    return Period(start, end)


def _num(value) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _local_day(moment) -> date:
    return timezone.localtime(moment).date()


@dataclass
class PatientSeries:
    patient: Patient
    period: Period
    questionnaires: dict[str, dict] = field(default_factory=dict)
    substances: dict[str, dict] = field(default_factory=dict)
    plan: dict | None = None
    ratings: dict = field(default_factory=dict)
    medications: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    # Alerts raised before the period and not resolved: a report must not read as "no alerts"
    # while an urgent one from earlier is still waiting.
    open_earlier: list[dict] = field(default_factory=list)
    homework: list[dict] = field(default_factory=list)
    adherence: dict = field(default_factory=dict)
    # The period's use events (diary.analytics.Use), kept for the plan's comparison.
    uses: list = field(default_factory=list, repr=False)

    def as_json(self) -> dict:
        return {
            "start": self.period.start.isoformat(), "end": self.period.end.isoformat(),
            "questionnaires": [self.questionnaires[i] for i in INSTRUMENTS
                               if i in self.questionnaires],
            "substances": list(self.substances.values()), "plan": self.plan,
            "ratings": self.ratings, "medications": self.medications, "alerts": self.alerts,
            "homework": self.homework,
        }

    def latest(self, instrument: str) -> dict | None:
        q = self.questionnaires.get(instrument)
        return q["points"][-1] if q and q["points"] else None

    def first(self, instrument: str) -> dict | None:
        q = self.questionnaires.get(instrument)
        return q["points"][0] if q and q["points"] else None


def build_series(patient: Patient, period: Period, *, today: date | None = None) -> PatientSeries:
    today = today or timezone.localdate()
    out = PatientSeries(patient, period)
    _questionnaires(out)
    _diary(out)
    _plan(out)
    _events(out, today)
    return out


def _questionnaires(out: PatientSeries) -> None:
    rows = (Response.objects.filter(patient=out.patient, instrument__in=INSTRUMENTS)
            .order_by("submitted_at")
            .values_list("instrument", "total", "severity", "submitted_at", "prorated", "alerts"))
    by_instrument: dict[str, list] = {}
    for instrument, total, severity, at, prorated, alerts in rows:
        by_instrument.setdefault(instrument, []).append((total, severity, _local_day(at),
                                                        prorated, alerts or []))
    for instrument in INSTRUMENTS:
        items = by_instrument.get(instrument)
        if not items:
            continue
        inst = get_instrument(instrument)
        changes = change_over_time(inst, [t for t, *_ in items])
        points = []
        for (total, severity, day, prorated, alerts), change in zip(items, changes,
                                                                     strict=True):
            if not out.period.start <= day <= out.period.end:
                continue
            points.append({
                "date": day.isoformat(), "total": total, "severity": severity,
                "prorated": prorated, "baseline": change.baseline,
                "is_baseline": change.is_baseline, "change": change.change,
                "reliable": change.reliable, "response": change.response,
                "remission": change.remission,
                # The scorer's item alerts (PHQ-9 item 9 above 0), shown on the score itself.
                "alerts": list(alerts),
            })
        rc = inst.thresholds.reliable_change
        out.questionnaires[instrument] = {
            "id": instrument, "short_name": inst.short_name, "name": inst.name,
            "min": inst.scoring.min, "max": inst.scoring.max,
            "bands": [{"min": b.min, "max": b.max, "label": b.label}
                      for b in inst.severity_bands],
            "reliable_points": rc.points if rc else None,
            "reliable_unverified": bool(rc and rc.unverified),
            "citations": list(inst.citations),
            "points": points,
        }


def _diary(out: PatientSeries) -> None:
    start, end = out.period.start, out.period.end
    entries = list(
        DiaryEntry.objects.current().filter(patient=out.patient, date__gte=start, date__lte=end)
        .order_by("date").values_list("date", *RATINGS)
    )
    out.ratings = {"dates": [e[0].isoformat() for e in entries]}
    for n, name in enumerate(RATINGS, start=1):
        out.ratings[name] = [e[n] for e in entries]
    out.ratings["labels"] = RATING_LABELS
    recorded = {e[0] for e in entries}
    enrolled_from = max(out.patient.enrolled_on, start)
    out.adherence = analytics.adherence(recorded, enrolled_from, end)
    uses = out.uses = load_uses(out.patient, start, end)
    for substance in sorted({u.substance for u in uses}):
        unit, amounts, counts = analytics.substance_series(uses, substance)
        days = sorted(counts)
        # Amounts on the days it was used: what a prescriber reads as "how much a day". An
        # average over every diary day would read as a daily amount the patient never took
        # (one 1 g day in 27 days is not "0.04 g a day").
        used = [amounts[d] for d in days if d in amounts] if unit else []
        out.substances[substance] = {
            "id": substance, "label": SUBSTANCES.get(substance, substance),
            "unit": UNITS.get(unit, unit) if unit else None,
            "kratom": substance in KRATOM,
            "dates": [d.isoformat() for d in days],
            "amounts": [_num(amounts.get(d)) for d in days] if unit else [],
            "uses": [counts[d] for d in days],
            "days_used": len(days),
            # Days with a diary entry in the period: the days on which use would be recorded.
            "days_recorded": len(recorded),
            "mean_on_days_used": _num(_mean(used)) if used else None,
            "least_on_a_day": _num(min(used)) if used else None,
            "most_on_a_day": _num(max(used)) if used else None,
            "total": _num(sum(used, Decimal(0))) if used else None,
        }


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"))


def _plan(out: PatientSeries) -> None:
    plan = current_taper_plan(out.patient)
    if plan is None:
        return
    spec = plan.as_plan()
    # Every day of the period, also those before the plan starts: the recorded amount before
    # the plan is the history the plan is judged against (the planned amount is None there).
    start = out.period.start
    days = [start + timedelta(days=i) for i in range((out.period.end - start).days + 1)]
    planned = _planned_amounts(spec, days)
    # The recorded amount in the plan's own terms (taper.plan_terms: grams of kratom plant
    # material for a g/mg plan of powder or capsules, else the plan's substance in its unit),
    # never the substance series above, which is in grams whenever the amounts convert.
    terms = taper.plan_terms(plan.substance, plan.unit)
    totals, unknown = taper.recorded_in_terms(
        terms, ((u.day, u.substance, u.amount, u.unit, u.grams) for u in out.uses))
    recorded = {date.fromisoformat(d) for d in out.ratings.get("dates", [])}
    actual = {d: (None if d in unknown else totals.get(d, Decimal(0)))
              for d in days if d in recorded}
    # Taper adherence, reported as facts: on recorded days whose use can be put in the plan's
    # terms, how often the recorded amount was at or below the planned amount.
    compared = [(actual[d], planned[d]) for d in days
                if actual.get(d) is not None and planned.get(d) is not None]
    at_or_below = sum(1 for a, p in compared if a <= p)
    out.plan = {
        "substance": plan.substance, "label": SUBSTANCES.get(plan.substance, plan.substance),
        "unit": UNITS.get(plan.unit, plan.unit), "start_date": plan.start_date.isoformat(),
        "start_amount": _num(plan.start_amount), "target_amount": _num(plan.target_amount),
        "step": f"{float(plan.step_size):g}"
                f"{'%' if plan.step_kind == 'percent' else ' ' + plan.unit}"
                f" every {plan.interval_days} days",
        # What both the planned and the recorded amounts below are counted in.
        "terms": terms.label,
        # Every day of the period; "planned" is None before the plan's start.
        "dates": [d.isoformat() for d in days],
        "planned": [_num(planned[d]) for d in days],
        # Recorded amount in the plan's terms: None on days without a diary entry and on days
        # whose use cannot be put in the plan's terms (capsules of unknown fill, another unit).
        "actual": [_num(actual.get(d)) for d in days],
        "pauses": [{"start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None,
                    "reason": p.reason} for p in spec.pauses],
        "days_compared": len(compared), "days_at_or_below": at_or_below,
        "days_not_comparable": sum(1 for d in days
                                   if d in unknown and d in recorded
                                   and planned.get(d) is not None),
        "planned_today": _num(planned.get(out.period.end)),
    }


def _planned_amounts(spec, days: list[date]) -> dict[date, Decimal | None]:
    """`spec.planned_amount(day)` for each day, asked once per step.

    `Plan.active_days` walks the plan from its start, so asking every day of a year would be
    quadratic. The amount depends only on the number of steps taken, and the active-day count
    grows by one for every day not covered by a pause, so it is carried forward here and the
    plan itself is asked once for each new step count.
    """
    out: dict[date, Decimal | None] = {}
    if not days:
        return out
    active = spec.active_days(days[0])
    by_steps: dict[int, Decimal | None] = {}
    for day in days:
        if day < spec.start_date:
            out[day] = None
            continue
        steps = active // spec.interval_days
        if steps not in by_steps:
            by_steps[steps] = spec.planned_amount(day)
        out[day] = by_steps[steps]
        if spec.paused_on(day) is None:
            active += 1
    return out


def _alert_row(a: Alert) -> dict:
    return {
        "date": _local_day(a.created_at).isoformat(), "kind": a.get_kind_display(),
        "priority": a.get_priority_display(), "priority_value": a.priority,
        "status": a.get_status_display(), "reason": a.summary,
    }


def _events(out: PatientSeries, today: date) -> None:
    start, end = out.period.start, out.period.end
    for med in out.patient.medications.all():
        out.medications.append({
            "name": med.name,
            "started_on": med.started_on.isoformat() if med.started_on else None,
            "stopped_on": med.stopped_on.isoformat() if med.stopped_on else None,
            "current": med.is_current(today),
        })
    alerts = Alert.objects.filter(patient=out.patient, created_at__date__gte=start,
                                  created_at__date__lte=end).order_by("created_at")
    out.alerts = [_alert_row(a) for a in alerts]
    earlier = (Alert.objects.filter(patient=out.patient, created_at__date__lt=start)
               .exclude(status=Alert.Status.RESOLVED).order_by("priority", "created_at"))
    out.open_earlier = [_alert_row(a) for a in earlier]
    try:
        from mitra.cbt.models import Homework
    except ImportError:  # the CBT app is optional for the timeline
        return
    for h in Homework.objects.filter(patient=out.patient, due_on__gte=start, due_on__lte=end):
        out.homework.append({
            "due_on": h.due_on.isoformat(), "title": h.title(),
            "completed_on": _local_day(h.completed_at).isoformat() if h.completed_at else None,
            "done": h.completed_at is not None,
            "overdue": h.is_overdue(today),
        })
