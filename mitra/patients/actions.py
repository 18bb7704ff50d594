from __future__ import annotations

import secrets

from django.db import transaction

from mitra.patients.models import Patient


def new_pseudonym() -> str:
    return "P-" + secrets.token_hex(4).upper()


@transaction.atomic
def do_create_patient(*, user=None, display_name: str, acting_user=None, **fields) -> Patient:
    from mitra.audit.actions import record_audit

    patient = Patient.objects.create(
        user=user, display_name=display_name, pseudonym=new_pseudonym(), **fields
    )
    record_audit(acting_user, "patient.created", patient=patient, obj=patient)
    return patient
