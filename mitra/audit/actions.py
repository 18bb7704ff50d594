"""Recording audit events. Actions call `record_audit` inside their transaction."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from django.http import HttpRequest

from mitra.audit.models import AuditEvent
from mitra.lib import rowsql


def _client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR, or X-Forwarded-For when a trusted proxy (MITRA_TRUSTED_PROXIES) sent it.
    from mitra.lib.client_address import client_address

    return client_address(request)


def record_audit(
    request_or_user: Any,
    event: str,
    *,
    patient: Any = None,
    obj: Any = None,
    object_uuid: uuidlib.UUID | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one audit event. Pass the request when there is one, else the acting user."""
    request = request_or_user if isinstance(request_or_user, HttpRequest) else None
    user = request.user if request is not None else request_or_user
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None and object_uuid is None:
        object_uuid = getattr(obj, "uuid", None)
    # Written out (`core.rowsql`): an audit event is appended on nearly every request. Keys
    # rather than objects: assigning a related object (`request.user` is a lazy one) costs
    # more than the key, and nothing reads the relations of the event returned.
    return rowsql.insert(AuditEvent(
        actor_id=user.pk if user else None,
        actor_role=getattr(user, "role", "") if user else "",
        event=event,
        patient_id=patient.pk if patient is not None else None,
        object_uuid=object_uuid,
        client_address=_client_address(request) if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        detail=detail[:300],
    ))
