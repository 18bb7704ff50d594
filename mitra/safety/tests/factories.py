"""Objects the route table (tests/routes.py) and the safety tests need."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mitra.patients.models import Medication
from mitra.safety.actions import do_raise_alert
from mitra.safety.models import Alert


def make_alert(patient, *, priority=Alert.Priority.URGENT, kind=Alert.Kind.SUICIDE_RISK,
               key="test:alert", reason="PHQ-9 item 9 answered above 0") -> Alert:
    alert, _ = do_raise_alert(patient, kind=kind, priority=priority, reason=reason,
                              dedupe_key=key)
    return alert


def route_alert(cast, patient) -> dict:
    return {"alert_uuid": make_alert(patient).uuid}


def route_medication(cast, patient) -> dict:
    med = Medication.objects.create(patient=patient, name="alprazolam")
    return {"patient_uuid": patient.uuid, "medication_uuid": med.uuid}


def edit_yaml(path: Path, change: Callable[[Any], Any]) -> None:
    """Read a data file, let `change` alter it, write it back (key order kept)."""
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
