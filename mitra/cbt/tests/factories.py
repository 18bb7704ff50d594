"""Small helpers that make CBT records for tests (through the actions, as the app does)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.utils import timezone

from mitra.cbt import actions


def thought(patient, *, on: date | None = None, before: int = 80, after: int | None = 50,
            actor=None):
    record, _ = actions.do_record_thought(
        patient, acting=actor or patient.user, uuid=uuid.uuid4(),
        data={"occurred_on": on or timezone.localdate(), "situation": "Meeting at work",
              "automatic_thoughts": "They think I am useless",
              "emotions": [{"emotion": "anxious", "before": before, "after": after}],
              "distortions": ["mind_reading"], "evidence_for": "", "evidence_against": "",
              "balanced_thought": "I do not know what they think"},
    )
    return record


def activity(patient, name: str = "Walk 10 minutes"):
    value, _ = actions.do_add_value(patient, acting=patient.user, uuid=uuid.uuid4(), name="Health")
    act, _ = actions.do_add_activity(patient, acting=patient.user, uuid=uuid.uuid4(), name=name,
                                     value=value)
    return act


def slot(patient, *, on: date | None = None, act=None):
    created, _ = actions.do_schedule_activity(
        patient, acting=patient.user, uuid=uuid.uuid4(), activity=act or activity(patient),
        scheduled_for=on or timezone.localdate(),
    )
    return created


def exposure_item(patient, situation: str = "Take the bus", expected: int = 60):
    item, _ = actions.do_add_exposure_item(patient, acting=patient.user, uuid=uuid.uuid4(),
                                           situation=situation, expected_suds=expected)
    return item


def homework(patient, actor, *, kind: str = "thought_record", due: date | None = None,
             module_slug: str = ""):
    hw, _ = actions.do_assign_homework(
        patient, acting=actor, uuid=uuid.uuid4(), kind=kind, module_slug=module_slug,
        due_on=due or timezone.localdate() + timedelta(days=7), instructions="Try one",
    )
    return hw


def route_kwargs(kind: str, patient) -> dict:
    """URL arguments for tests/routes.py: an object of Team A's patient."""
    if kind == "thought":
        return {"uuid": thought(patient).uuid}
    if kind == "slot":
        return {"uuid": slot(patient).uuid}
    if kind == "exposure":
        return {"uuid": exposure_item(patient).uuid}
    if kind == "homework":
        return {"uuid": homework(patient, patient.user).uuid}
    raise ValueError(kind)
