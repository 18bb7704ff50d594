"""The patient's own words for their page: their goals and plan, and a plain summary of the
numbers. Describes what was recorded; never advice about kratom, kava or any dose."""

from __future__ import annotations

from mitra.patients.models import Patient
from mitra.reports.series import PatientSeries

PLAIN_NAMES = {"phq9": "Mood questionnaire (PHQ-9)", "gad7": "Worry questionnaire (GAD-7)"}


def goals_for(patient: Patient) -> dict:
    """What matters to the patient (CBT values) and their reasons for change (relapse plan)."""
    from mitra.cbt.models import RelapsePlan, Value

    values = list(Value.objects.filter(patient=patient).values("name", "why"))
    plan = RelapsePlan.objects.filter(patient=patient).order_by("-version").first()
    return {
        "values": values,
        "reasons": list(plan.reasons_for_change) if plan else [],
        "coping": list(plan.coping_strategies) if plan else [],
    }


def plain_summary(series: PatientSeries) -> list[dict]:
    """One sentence per questionnaire: the latest score and how it compares with the start."""
    out = []
    for instrument, name in PLAIN_NAMES.items():
        latest = series.latest(instrument)
        if latest is None:
            continue
        q = series.questionnaires[instrument]
        total = f"{latest['total']:g}" if latest["total"] is not None else "not scored"
        words = f"Your latest score was {total} of {q['max']} ({latest['severity'] or 'no band'})"
        if latest["baseline"] is not None and not latest["is_baseline"]:
            words += f"; when you started it was {latest['baseline']:g}."
        else:
            words += "."
        change = {
            "improved": "That is a real improvement: a change bigger than everyday ups and downs.",
            "deteriorated": "That is a real rise. Your care team sees these scores too; you"
                            " can talk it through with them.",
            "no reliable change": "That is within the usual ups and downs.",
        }.get(latest["reliable"] or "", "")
        if latest.get("remission"):
            change += " It is now in the range counted as remission."
        out.append({"name": name, "sentence": words, "change": change.strip(),
                    "reliable": latest["reliable"]})
    return out
