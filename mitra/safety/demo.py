"""Demo data: intake for every patient, a screening run, interaction alerts, safety plans.

Everything is bulk-created so `mitra demo --patients 1000` stays fast; the screening itself is
the real `rules.screen`, so the demo shows what the rules actually find.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from mitra.lib import conf
from mitra.lib.bulk import fast_insert
from mitra.patients.cohort import SUICIDE_RISK, team_clinician
from mitra.patients.models import Condition, Intake, Medication
from mitra.safety.kb import condition_label
from mitra.safety.models import Alert, SafetyPlan, SafetyPlanVersion, ScreeningRun
from mitra.safety.rules import screen
from mitra.safety.screening import short_key

JURISDICTIONS = ["US-FL", "US-TX", "US-CO", "US-CA", "US-OH", "US-NY", "US-GA", "US-TN",
                 "US-FL", "US-TX", "TH", "GB", "AU"]
# Names as a clinician types them: generic and brand, some without any rule (amoxicillin).
MEDICATIONS = ["sertraline", "Lexapro", "Xanax", "gabapentin", "Suboxone", "trazodone",
               "lisinopril", "metformin", "amoxicillin", "ibuprofen", "Wellbutrin", "quetiapine",
               "methadone", "naltrexone", "omeprazole", "Adderall", "Tylenol", "levothyroxine",
               "Zoloft", "clonazepam"]
MISSPELLED = ["sertralin", "gabapentine", "Xanex"]
CONDITIONS = ["anxiety-depression", "anxiety-depression", "opioid-use-disorder",
              "heavy-alcohol-use", "liver-disease", "cardiac-qt"]
PLAN = {
    "warning_signs": "Not sleeping, skipping meals, staying in my room, using more kratom.",
    "coping_strategies": "Walk round the block, cold water on my face, the breathing exercise.",
    "social_distractions": "Coffee with my sister; the library; the Tuesday football group.",
    "people_to_ask": "Sister: 555-0142\nFriend Sam: 555-0199",
    "professionals": "My clinician (clinic line 555-0100, weekdays)\n988 Suicide & Crisis "
                     "Lifeline: call or text 988\nNearest emergency department",
    "safe_environment": "Kratom and any pills stay with my sister; naloxone in the kitchen "
                        "drawer.",
    "reasons_for_living": "My daughter. Seeing the sea again.",
}




def populate(ctx) -> None:
    rng = ctx.rng("safety")
    # Intake happened at enrolment: its screening alerts are dated then.
    intake_at = timezone.make_aware(datetime.combine(ctx.start, time(10, 0)))
    intakes, meds, conds, runs, alerts, plans = [], [], [], [], [], []
    for dp in ctx.patients:
        p = dp.patient
        substances = ["kratom"]
        if rng.random() < 0.3:
            substances.append("kava")
        if rng.random() < 0.1 or dp.trajectory == "relapse" and rng.random() < 0.5:
            substances.append("7oh")
        jurisdiction = rng.choice(JURISDICTIONS)
        intakes.append(Intake(patient=p, jurisdiction=jurisdiction, substances=substances))
        # Many people in such a clinic take no regular medicine; some take one or two.
        names = rng.sample(MEDICATIONS, rng.choice([0, 0, 0, 1, 1, 1, 2, 3]))
        if rng.random() < 0.07:
            names.append(rng.choice(MISSPELLED))
        for name in names:
            meds.append(Medication(patient=p, name=name, started_on=ctx.start))
        codes = sorted(set(rng.sample(CONDITIONS, rng.choice([0, 0, 0, 1, 1, 2]))))
        if dp.trajectory == SUICIDE_RISK:
            codes = sorted(set(codes) | {"anxiety-depression", "suicide-risk"})
        for code in codes:
            conds.append(Condition(patient=p, code=code, noted_on=ctx.start))
        result = screen(substances, names, codes)
        run = ScreeningRun(patient=p, trigger=ScreeningRun.Trigger.DEMO,
                           kb_version=result.kb_version, result=result.to_dict(),
                           inputs={"substances": substances, "medications": names,
                                   "conditions": codes, "co_substances": []})
        runs.append(run)
        url = reverse("safety:intake", kwargs={"patient_uuid": p.uuid})
        for f in result.findings:
            if f.severity == "major":
                alerts.append(Alert(
                    patient=p, kind=Alert.Kind.INTERACTION, priority=Alert.Priority.HIGH,
                    reason=f"{f.summary} (matched: "
                           f"{', '.join(condition_label(m) for m in f.matched)})"[:300],
                    dedupe_key=f"screen:{f.rule}:{short_key(*sorted(f.matched))}",
                    evidence_url=f"{url}#rule-{f.rule}", source_uuid=run.uuid,
                    created_at=intake_at))
        for u in result.unrecognized:
            alerts.append(Alert(
                patient=p, kind=Alert.Kind.INTERACTION, priority=Alert.Priority.LOW,
                reason=f"Medication not recognized — not screened: {u.name}",
                dedupe_key=f"unrecognized:{short_key(u.name)}", evidence_url=f"{url}#not-screened",
                source_uuid=run.uuid, created_at=intake_at))
        if dp.trajectory == SUICIDE_RISK or dp.index % 4 == 1:
            plans.append(SafetyPlan(patient=p))
    Intake.objects.bulk_create(intakes)
    Medication.objects.bulk_create(meds)
    Condition.objects.bulk_create(conds)
    ScreeningRun.objects.bulk_create(runs)
    fast_insert(alerts)
    SafetyPlan.objects.bulk_create(plans)
    SafetyPlanVersion.objects.bulk_create([
        SafetyPlanVersion(plan=plan, number=1, submission_uuid=uuid.UUID(int=rng.getrandbits(128)),
                          created_by=ctx.staff["clinician"], **PLAN)
        for plan in plans
    ])


# Notes a clinician might write when closing an alert; synthetic, like everything in the demo.
RESOLUTION_NOTES = {
    Alert.Kind.SUICIDE_RISK: "Called the same day; safety plan reviewed together; no current "
                             "intent; follow-up booked.",
    Alert.Kind.INTERACTION: "Discussed with the patient and the prescriber; monitoring agreed.",
    Alert.Kind.ESCALATION: "Reviewed at the next session; use pattern and taper discussed.",
    Alert.Kind.CO_USE: "Discussed same-day use and its risks; naloxone checked.",
    Alert.Kind.CONCENTRATED_7OH: "Discussed concentrated 7-OH products and their risks.",
    Alert.Kind.DETERIORATION: "Reviewed scores at the next session; treatment plan adjusted.",
    Alert.Kind.SEVERE_WITHDRAWAL: "Seen the same day; withdrawal management and taper pace "
                                  "reviewed.",
    Alert.Kind.OVERDUE_MEASURE: "Reminded the patient; questionnaire completed at the visit.",
    Alert.Kind.MISSED_DIARY: "Called the patient; diary restarted, no concerns raised.",
}
REVIEWED_AFTER_DAYS = 3
RESOLVED_AFTER_DAYS = 14
ONGOING_DAYS = 60


def finish(ctx) -> None:
    """The clinic's own follow-up of the alerts the demo raised, so the inbox looks like a
    working clinic's: alerts of the last three days are open, older ones were acknowledged
    within hours, and those older than two weeks were resolved at a later session, except
    each patient's latest alert of a kind from the last two months, which is still being
    followed (acknowledged).

    The demo's suicide-risk story: its urgent alert was acknowledged by the patient's own team
    within minutes, before the escalation time (a real clinic does not leave an urgent
    suicide-risk alert unread for weeks), and is never resolved: the team is still following
    the patient's risk, so it stays in the inbox. Left open, `mitra serve` would e-mail the
    team about a weeks-old alert seconds after `make run` starts."""
    rng = ctx.rng("safety-follow-up")
    now = timezone.now()
    by_pk = {dp.patient.pk: dp for dp in ctx.patients}
    reviewed, seen = [], set()
    alerts = (Alert.objects.filter(patient__in=list(by_pk), status=Alert.Status.OPEN)
              .order_by("-created_at", "-pk"))
    for alert in alerts:
        dp = by_pk[alert.patient_id]
        latest = (alert.patient_id, alert.kind) not in seen
        seen.add((alert.patient_id, alert.kind))
        age = now - alert.created_at
        clinician = team_clinician(ctx, dp.index)
        if dp.trajectory == SUICIDE_RISK and alert.kind == Alert.Kind.SUICIDE_RISK:
            escalation = conf.alert_escalation_minutes()
            if age >= timedelta(minutes=escalation):
                alert.acknowledged_at = alert.created_at + timedelta(
                    minutes=rng.randint(1, max(1, escalation - 1)))
                alert.acknowledged_by = clinician
                alert.status = Alert.Status.ACKNOWLEDGED
                reviewed.append(alert)
            continue
        if age < timedelta(days=REVIEWED_AFTER_DAYS):
            continue
        alert.acknowledged_at = alert.created_at + timedelta(minutes=rng.randint(20, 600))
        alert.acknowledged_by = clinician
        alert.status = Alert.Status.ACKNOWLEDGED
        ongoing = latest and age < timedelta(days=ONGOING_DAYS)
        if age > timedelta(days=RESOLVED_AFTER_DAYS) and not ongoing:
            alert.status = Alert.Status.RESOLVED
            alert.resolved_at = alert.created_at + timedelta(days=rng.randint(1, 7))
            alert.resolved_by = clinician
            alert.resolution_note = RESOLUTION_NOTES.get(alert.kind, "Reviewed with the patient.")
        reviewed.append(alert)
    Alert.objects.bulk_update(
        reviewed, ["status", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
                   "resolution_note"], batch_size=100)
