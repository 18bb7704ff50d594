"""Demo questionnaires: fortnightly PHQ-9 and GAD-7 (plus SOWS when tapering or escalating)
following each synthetic patient's story, scored by the real scorer, stored with bulk_create.

The demo patient (`ctx.patients[0]`) has a PHQ-9 due today; the `suicide_risk` patient answers
PHQ-9 item 9 above 0 once and gets the urgent alert; reliable deteriorations raise alerts.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from mitra.lib.bulk import fast_insert
from mitra.measures.actions import overdue_alert_spec, severe_withdrawal_alert_spec
from mitra.measures.library import Instrument, get_instrument
from mitra.measures.models import Response, Schedule
from mitra.measures.schedules import overdue
from mitra.measures.scoring import answers_from_mapping, change_over_time, score
from mitra.patients.cohort import SUICIDE_RISK, DemoContext
from mitra.safety.actions import do_raise_alert
from mitra.safety.models import Alert

EVERY = 14


def _phq9_target(trajectory: str, t: float) -> float:
    if trajectory == "improving":
        return 17 - 14 * t  # ends in remission (< 5)
    if trajectory == "stable":
        return 9
    if trajectory == "escalating":
        return 8 + 9 * t
    if trajectory == "tapering":
        return 12 - 4 * t
    if trajectory == "relapse":
        return 15 - 10 * t / 0.55 if t < 0.55 else 5 + 10 * (t - 0.55) / 0.45
    return 16 - 2 * t  # suicide_risk: persistently moderately severe


def _sows_target(trajectory: str, t: float) -> float:
    if trajectory == "tapering":
        return 6 + 14 * math.sin(math.pi * t)  # withdrawal peaks mid-taper, then settles
    return 4 + 10 * t


def _spread(rng, inst: Instrument, target: int, exclude: set[str]) -> dict[str, int | None]:
    """Item values adding up to `target` (capped by the items' maxima), chosen at random."""
    items = [i for i in inst.scored_items if i.link_id not in exclude]
    values = {i.link_id: 0 for i in inst.scored_items}
    room = list(items)
    remaining = max(0, target)
    while remaining > 0 and room:
        item = rng.choice(room)
        values[item.link_id] += 1
        remaining -= 1
        if values[item.link_id] >= inst.item_max(item):
            room.remove(item)
    answers: dict[str, int | None] = {i.link_id: values.get(i.link_id) for i in inst.items}
    for item in inst.items:
        if not item.scored:
            answers[item.link_id] = None
    return answers


def _difficulty(total: int) -> int:
    return 0 if total < 5 else 1 if total < 10 else 2 if total < 20 else 3


class _Builder:
    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.rng = ctx.rng("measures")
        self.clinician = ctx.staff["clinician"]
        self.responses: list[Response] = []
        self.schedules: list[Schedule] = []
        self.suicide: list[Response] = []
        self.series: dict[tuple[int, str], list[Response]] = {}
        self.tz = timezone.get_current_timezone()

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def at(self, day: date) -> datetime:
        moment = time(hour=self.rng.randint(8, 20), minute=self.rng.randint(0, 59))
        return datetime.combine(day, moment, tzinfo=self.tz)

    def add(self, patient, inst: Instrument, day: date, answers: dict) -> Response:
        result = score(inst, answers_from_mapping(inst, answers))
        response = Response(
            uuid=self.uuid(), patient=patient, instrument=inst.id,
            instrument_version=inst.version, answers=answers, total=result.total,
            max_total=result.max, severity=result.severity or "", complete=result.complete,
            prorated=result.prorated, scoring_method=result.method,
            alerts=result.alert_messages(), submitted_at=self.at(day),
            submitted_by=patient.user,
        )
        self.responses.append(response)
        self.series.setdefault((patient.pk, inst.id), []).append(response)
        if any(a.kind == "suicide_risk" for a in result.alerts):
            self.suicide.append(response)
        return response


def populate(ctx: DemoContext) -> None:
    b = _Builder(ctx)
    phq9, gad7, sows, auditc = (get_instrument(i) for i in ("phq9", "gad7", "sows", "auditc"))
    today, span = ctx.today, max(1, ctx.days - 1)
    for dp in ctx.patients:
        patient, story = dp.patient, dp.trajectory
        # The demo patient's schedule lands on today, so a PHQ-9 is due when they sign in.
        offset = (ctx.days - 1) % EVERY if dp.index == 0 else dp.index % EVERY
        start = ctx.start + timedelta(days=offset)
        fortnightly = [phq9, gad7] + ([sows] if story in ("tapering", "escalating") else [])
        for inst in fortnightly:
            b.schedules.append(Schedule(patient=patient, instrument=inst.id, every_days=EVERY,
                                        start=start, created_by=b.clinician))
        b.schedules.append(Schedule(patient=patient, instrument="auditc", every_days=None,
                                    cadence=Schedule.Cadence.ONCE, start=ctx.start,
                                    created_by=b.clinician))
        b.add(patient, auditc, ctx.start, _spread(b.rng, auditc, b.rng.choice([0, 1, 2, 3]),
                                                  set()))
        days = []
        day = start
        while day < today:  # today's occurrence is left due
            days.append(day)
            day += timedelta(days=EVERY)
        # Some patients skip their latest questionnaire: the care team sees it overdue.
        if dp.index % 7 == 5 and len(days) > 2:
            days = days[:-1]
        item9_at = len(days) * 3 // 5 if story == SUICIDE_RISK else -1
        for n, day in enumerate(days):
            if n and b.rng.random() < 0.06:
                continue  # an occasional missed fortnight
            t = (day - ctx.start).days / span
            target = _phq9_target(story, t)
            phq_total = round(min(24, max(0, target + b.rng.gauss(0, 1.2))))
            answers = _spread(b.rng, phq9, phq_total, {"phq9.q9"})
            answers["phq9.q9"] = 1 if n == item9_at else 0
            answers["phq9.q10"] = _difficulty(phq_total)
            b.add(patient, phq9, day, answers)
            gad_total = round(min(21, max(0, 0.75 * target + b.rng.gauss(0, 1.2))))
            b.add(patient, gad7, day, _spread(b.rng, gad7, gad_total, set()))
            if sows in fortnightly:
                sows_total = round(max(0, _sows_target(story, t) + b.rng.gauss(0, 2)))
                b.add(patient, sows, day, _spread(b.rng, sows, sows_total, set()))
    Schedule.objects.bulk_create(b.schedules, batch_size=2000)
    Response.objects.bulk_create(b.responses, batch_size=2000)
    _raise_alerts(b)
    _raise_job_alerts(b)


def _raise_job_alerts(b: _Builder) -> None:
    """Severe-withdrawal alerts (SOWS in its top band) dated at their response, and the
    overdue-questionnaire alerts the periodic job raised for today's overdue occurrences, dated
    the morning each became overdue; built by the same specs as the live actions."""
    alerts = []
    for response in b.responses:
        if response.instrument != "sows":
            continue
        spec = severe_withdrawal_alert_spec(response.patient, get_instrument("sows"), response)
        if spec is not None:
            alerts.append(Alert(patient=response.patient, source_uuid=response.uuid,
                                created_at=response.submitted_at, **spec))
    cohort = {dp.patient.pk for dp in b.ctx.patients}
    for due in overdue(b.ctx.today):  # the demo fills an empty database
        if due.schedule.patient_id not in cohort:
            continue
        # Raised as the answer window closed (the job runs every few minutes).
        alerts.append(Alert(patient=due.schedule.patient, created_at=due.closes_at,
                            **overdue_alert_spec(due)))
    fast_insert(alerts)  # keeps created_at (bulk_create would stamp now)


def _raise_alerts(b: _Builder) -> None:
    # Alerts are dated at the response that raised them, so timelines show them in place.
    dated: list[Alert] = []
    for response in b.suicide:
        alert, _ = do_raise_alert(
            response.patient, kind=Alert.Kind.SUICIDE_RISK, priority=Alert.Priority.URGENT,
            reason="PHQ-9: " + response.alerts[0],
            dedupe_key=f"measures:phq9_item9_positive:{response.uuid}",
            evidence_url=reverse("measures:patient", args=[response.patient.uuid]),
            source_uuid=response.uuid,
        )
        alert.created_at = response.submitted_at
        dated.append(alert)
    for (_pk, instrument), rows in b.series.items():
        inst = get_instrument(instrument)
        if inst.thresholds.reliable_change is None or not inst.thresholds.reliable_change.points:
            continue
        points = change_over_time(inst, [r.total for r in rows])
        for previous, point, response in zip(points, points[1:], rows[1:], strict=False):
            if point.reliable == "deteriorated" and previous.reliable != "deteriorated":
                alert, _ = do_raise_alert(
                    response.patient, kind=Alert.Kind.DETERIORATION,
                    priority=Alert.Priority.HIGH,
                    reason=(f"{inst.short_name} rose from a baseline of {point.baseline:g} to"
                            f" {point.total:g} (reliable change:"
                            f" {inst.thresholds.reliable_change.points} points or more)"),
                    dedupe_key=f"measures:deterioration:{response.uuid}",
                    evidence_url=reverse("measures:patient", args=[response.patient.uuid]),
                    source_uuid=response.uuid,
                )
                alert.created_at = response.submitted_at
                dated.append(alert)
    Alert.objects.bulk_update(dated, ["created_at"], batch_size=500)
