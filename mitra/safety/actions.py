"""Raising alerts. Other apps call `do_raise_alert` inside their own transaction."""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError, transaction

from mitra.audit.actions import record_audit
from mitra.safety.models import Alert


def do_raise_alert(
    patient,
    *,
    kind: str,
    priority: int,
    reason: str,
    dedupe_key: str,
    evidence_url: str = "",
    source_uuid: UUID | None = None,
    acting_user=None,
) -> tuple[Alert, bool]:
    """Create the alert unless one with this dedupe key exists; returns (alert, created)."""
    existing = Alert.objects.filter(patient=patient, dedupe_key=dedupe_key).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                patient=patient,
                kind=kind,
                priority=priority,
                reason=reason[:300],
                dedupe_key=dedupe_key[:120],
                evidence_url=evidence_url,
                source_uuid=source_uuid,
            )
    except IntegrityError:
        # A concurrent request raised the same alert first.
        return Alert.objects.get(patient=patient, dedupe_key=dedupe_key), False
    record_audit(acting_user, "alert.raised", patient=patient, obj=alert, detail=kind)
    return alert, True
