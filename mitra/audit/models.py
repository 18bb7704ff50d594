"""The audit trail: who saw or changed what, when, from where. Append-only and tamper-evident.

Each event is sealed with a keyed hash (HMAC-SHA256, `mitra.audit.chain`) over its content and
the seal of the event before it, so an event altered, removed or forged in the database breaks
the chain where it happened (`mitra audit verify` names the link). `AuditChainHead` is the one
row that says where the chain ends: inserting an event locks it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    """Bulk changes are refused like single ones; on PostgreSQL a trigger refuses them too."""

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events cannot be changed")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted")

    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditEvent(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A default rather than auto_now_add: the seal covers the time, so it is fixed before the
    # insert (auto_now_add would set it again while inserting).
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_role = models.CharField(max_length=16, blank=True)
    # A dotted name from the catalogue (`audit.events.Event`): "patient.record.viewed", ...
    event = models.CharField(max_length=80, db_index=True)
    # Indexed by audit_patient_at (patient, -at) only: one index fewer to write per event.
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    object_uuid = models.UUIDField(null=True, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    # A path or a field list; never free-text clinical content.
    detail = models.CharField(max_length=300, blank=True)
    # The patients a list showed (a caseload page, an inbox, a search), as UUID strings: who
    # saw which patients, without their names.
    subjects = models.JSONField(default=list, blank=True)
    # The chain (`mitra.audit.chain`): the event's place in it, the seal of the event before
    # it and its own seal, HMAC-SHA256 in hex under MITRA_AUDIT_KEY.
    seq = models.BigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [
            # The admin filter: one patient's trail, newest first.
            models.Index(fields=["patient", "-at"], name="audit_patient_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_role} {self.event}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted")


class AuditChainHead(models.Model):
    """The end of the chain: the last link's number and seal. One row (id 1).

    Inserting an event reads it FOR UPDATE and moves it on in the same transaction, so
    concurrent inserts queue here and each links to the one committed before it. Database
    triggers let it only move forward and never be deleted.
    """

    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"link {self.seq}"
