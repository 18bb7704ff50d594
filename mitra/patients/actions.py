"""Writes to the patient record itself (the record's clinical parts have their own apps)."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction

from mitra.accounts.models import User
from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor
from mitra.audit.events import Event
from mitra.patients.models import Patient


def new_pseudonym() -> str:
    """A study code no patient has yet (P- and 8 hex digits; a clash, one in 4 billion a
    pair, draws again)."""
    while True:
        code = "P-" + secrets.token_hex(4).upper()
        if not Patient.objects.filter(pseudonym__iexact=code).exists():
            return code


@transaction.atomic
def do_create_patient(
    *, user: User | None = None, display_name: str, acting: Actor | None = None,
    pseudonym: str = "", **fields: Any
) -> Patient:
    """A new patient record (for the patient's own account `user`, if they have one), with
    the study code `pseudonym` (checked unique by the caller) or a new one."""
    patient = Patient.objects.create(
        user=user, display_name=display_name, pseudonym=pseudonym or new_pseudonym(), **fields
    )
    record_audit(Event.PATIENT_CREATED, acting=acting, patient=patient, obj=patient)
    return patient
