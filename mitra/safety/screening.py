"""Interaction screening: its inputs, its runs, and the changes to the record that start one.

A run screens the patient's substances (the intake's, plus kratom, kava or 7-OH the diary just
recorded), current medications and conditions against the knowledge base (`safety.rules`),
stores the result and raises an INTERACTION alert for each major finding and for each
medication the knowledge base does not recognise. Saving the intake or changing a medication
screens again; the diary asks for a run when it records a co-substance (`do_screen_patient`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.lib import bounds
from mitra.patients.models import Condition, Intake, Medication, Patient
from mitra.safety.actions import do_raise_alert
from mitra.safety.kb import SUBSTANCES, KnowledgeBase, condition_label, knowledge_base, normalize
from mitra.safety.kb import Medication as KbMedication
from mitra.safety.models import Alert, ScreeningRun
from mitra.safety.rules import screen


def _age_conditions(patient: Patient, today: date) -> list[str]:
    if patient.date_of_birth is None:
        return []
    dob = patient.date_of_birth
    age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    # Condition rules for young people: under 21 (kratom purchase ages), under 12 (kava).
    return (["adolescent"] if age < 21 else []) + (["child"] if age < 12 else [])


def screening_inputs(patient: Patient, today: date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    intake = Intake.objects.filter(patient=patient).first()
    meds = [m.name for m in patient.medications.all() if m.is_current(today)]
    conditions = list(
        patient.conditions.filter(resolved_on__isnull=True).values_list("code", flat=True)
    )
    for c in _age_conditions(patient, today):
        if c not in conditions:
            conditions.append(c)
    return {"substances": list(intake.substances) if intake else [], "medications": meds,
            "conditions": conditions}


def short_key(*parts: str) -> str:
    """A short, stable key from parts (case-insensitive): for dedupe keys."""
    return hashlib.sha256("|".join(parts).lower().encode()).hexdigest()[:16]


# Substance classes the diary records without naming the drug ("another opioid", "a
# benzodiazepine"), each with the knowledge-base class (medications.yaml) it stands for. They
# match the rules that name that class (kratom with an opioid, 7-OH with a sedative) but not
# rules about some members only (fentanyl's CYP3A rule, tramadol's serotonergic rule,
# diazepam's CYP2C19 rule). `matched` shows the class name.
CO_SUBSTANCE_CLASSES: dict[str, tuple[str, str]] = {
    "opioid": ("opioid (class, recorded in the diary)", "opioid-agonists"),
    "benzodiazepine": ("benzodiazepine (class, recorded in the diary)", "benzodiazepines"),
}
_CLASS_KB: dict[int, tuple[KnowledgeBase, KnowledgeBase]] = {}


def knowledge_base_with_classes() -> KnowledgeBase:
    """The knowledge base plus the diary's class names (`CO_SUBSTANCE_CLASSES`): each is an
    entry of its own, a member of its class and matched by the rules naming that class."""
    kb = knowledge_base()
    cached = _CLASS_KB.get(id(kb))
    if cached is not None and cached[0] is kb:
        return cached[1]
    medications, names, display = dict(kb.medications), dict(kb.names), dict(kb.display_names)
    classes, rules = dict(kb.classes), list(kb.rules)
    for name, (label, class_id) in CO_SUBSTANCE_CLASSES.items():
        generic = f"class:{name}"
        medications[generic] = KbMedication(generic=generic, label=label, names=(name,))
        names[normalize(name)], display[normalize(name)] = generic, name
        classes[class_id] = dataclasses.replace(
            classes[class_id], members=(*classes[class_id].members, generic))
        rules = [dataclasses.replace(r, drugs=(*r.drugs, generic)) if class_id in r.classes
                 else r for r in rules]
    derived = dataclasses.replace(kb, medications=medications, names=names,
                                  display_names=display, classes=classes, rules=tuple(rules))
    _CLASS_KB.clear()
    _CLASS_KB[id(kb)] = (kb, derived)
    return derived


def co_substance_has_rules(name: str, substances: Iterable[str] = SUBSTANCES) -> bool:
    """True when an interaction rule of one of `substances` names this drug or diary class:
    only then is a co-substance from the diary worth a screening run."""
    kb = knowledge_base_with_classes()
    generic = kb.names.get(normalize(name))
    if generic is None:
        return False
    ingredients = kb.medications[generic].ingredients
    subs = set(substances)
    return any(rule.kind == "interaction" and rule.substance in subs
               and ingredients & set(rule.drugs) for rule in kb.rules)


@transaction.atomic
def do_screen_patient(
    patient: Patient,
    *,
    acting: Actor | None = None,
    trigger: str = ScreeningRun.Trigger.INTAKE,
    co_substances: Iterable[str] = (),
    substances: Iterable[str] = (),
) -> ScreeningRun:
    """Screen the patient's intake and store the run; raise alerts for major findings.

    `co_substances`: names the diary just recorded (alcohol, a drug name, or a class from
    `CO_SUBSTANCE_CLASSES`), screened together with the current medications. `substances`:
    kratom, kava or 7oh recorded in the diary, screened with the intake's substances.

    A diary run whose inputs and knowledge-base version are those of the patient's latest run
    stores nothing new and returns that run (a daily drinker is screened once, not every day).
    Alerts are deduplicated by rule and matched names, so the same finding alerts only once.
    """
    inputs = screening_inputs(patient)
    for sub in substances:
        if sub not in inputs["substances"]:
            inputs["substances"].append(sub)
    extra = sorted({c for c in co_substances if c and c not in inputs["medications"]})
    inputs["co_substances"] = extra
    kb = knowledge_base_with_classes() if extra else knowledge_base()
    if trigger == ScreeningRun.Trigger.DIARY:
        latest = ScreeningRun.objects.filter(patient=patient).first()
        if latest is not None and latest.inputs == inputs and latest.kb_version == kb.version:
            return latest
    result = screen(inputs["substances"], inputs["medications"] + extra, inputs["conditions"],
                    kb=kb)
    run = ScreeningRun.objects.create(
        patient=patient, trigger=trigger, kb_version=result.kb_version, inputs=inputs,
        result=result.to_dict(),
        created_by=actor_user(acting),
    )
    record_audit(Event.SAFETY_SCREENING_RUN, acting=acting, patient=patient, obj=run,
                 detail=trigger)
    url = reverse("safety:intake", kwargs={"patient_uuid": patient.uuid})
    for f in result.findings:
        if f.severity != "major":
            continue
        do_raise_alert(
            patient, kind=Alert.Kind.INTERACTION, priority=Alert.Priority.HIGH,
            reason=f"{f.summary} (matched: {', '.join(condition_label(m) for m in f.matched)})",
            dedupe_key=f"screen:{f.rule}:{short_key(*sorted(f.matched))}",
            evidence_url=f"{url}#rule-{f.rule}", source_uuid=run.uuid, acting=acting,
        )
    for u in result.unrecognized:
        if u.kind != "medication":
            continue
        do_raise_alert(
            patient, kind=Alert.Kind.INTERACTION, priority=Alert.Priority.LOW,
            reason=f"Medication not recognized — not screened: {u.name}",
            dedupe_key=f"unrecognized:{short_key(u.name)}", evidence_url=f"{url}#not-screened",
            source_uuid=run.uuid, acting=acting,
        )
    return run


@transaction.atomic
def do_save_intake(
    patient: Patient, *, jurisdiction: str, substances: list[str], conditions: list[str],
    acting: Actor,
) -> ScreeningRun:
    """Save the intake and the current conditions, then screen again."""
    intake, _ = Intake.objects.get_or_create(patient=patient)
    intake.jurisdiction, intake.substances = jurisdiction, substances
    intake.save(update_fields=["jurisdiction", "substances", "updated_at"])
    today = timezone.localdate()
    current = {c.code: c for c in patient.conditions.filter(resolved_on__isnull=True)}
    for code in conditions:
        if code not in current:
            Condition.objects.create(patient=patient, code=code, noted_on=today)
    for code, cond in current.items():
        if code not in conditions:
            cond.resolved_on = today
            cond.save(update_fields=["resolved_on"])
    record_audit(Event.PATIENT_INTAKE_SAVED, acting=acting, patient=patient, obj=intake,
                 detail="jurisdiction,substances,conditions")
    return do_screen_patient(patient, acting=acting, trigger=ScreeningRun.Trigger.INTAKE)


@transaction.atomic
def do_add_medication(
    patient: Patient, *, name: str, started_on: date | None, acting: Actor
) -> Medication:
    """Add a medication to the patient's list, then screen again."""
    if started_on is not None:
        bounds.check_history_day("started_on", started_on)
    med = Medication.objects.create(patient=patient, name=name, started_on=started_on)
    record_audit(Event.PATIENT_MEDICATION_ADDED, acting=acting, patient=patient, obj=med)
    do_screen_patient(patient, acting=acting, trigger=ScreeningRun.Trigger.MEDICATIONS)
    return med


@transaction.atomic
def do_stop_medication(med: Medication, *, stopped_on: date, acting: Actor) -> Medication:
    """Mark a medication stopped (it stays on the list), then screen again."""
    bounds.check_history_day("stopped_on", stopped_on)
    med.stopped_on = stopped_on
    med.save(update_fields=["stopped_on"])
    record_audit(Event.PATIENT_MEDICATION_STOPPED, acting=acting, patient=med.patient, obj=med)
    do_screen_patient(med.patient, acting=acting, trigger=ScreeningRun.Trigger.MEDICATIONS)
    return med
