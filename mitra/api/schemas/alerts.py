from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema


class AlertOut(Schema):
    uuid: UUID
    patient: UUID
    kind: str
    priority: int
    priority_label: str
    status: str
    reason: str
    evidence_url: str
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None

    @staticmethod
    def resolve_patient(obj) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_priority_label(obj) -> str:
        return obj.get_priority_display()
