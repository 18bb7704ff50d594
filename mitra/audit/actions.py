"""Recording audit events. Actions call `record_audit` inside their transaction.

    record_audit(Event.ALERT_RESOLVED, acting=request, patient=alert.patient, obj=alert)

The event comes first and positionally: it is what the line is about, and it must be one of
the catalogue (`mitra.audit.events.Event`); any other name is refused with ValueError. The
actor is the keyword-only `acting`, as in every `do_*` action (`mitra.audit.actor`): the
request where there is one (its id and the client address are recorded too), else the user,
or None when nobody acts (a periodic job, the command line).

Every event is sealed into the trail's hash chain (`mitra.audit.chain.link`) in the
transaction that inserts it; a list of patients shown goes in `subjects` (their UUIDs).
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from mitra.audit import chain
from mitra.audit.actor import Actor, actor_client_address, actor_request_id, actor_user
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent


def catalogued(event: Event | str) -> Event:
    """`event` as a catalogue member; ValueError naming it (and the catalogue) if it is not one."""
    if isinstance(event, Event):
        return event
    try:
        return Event(event)
    except ValueError:
        raise ValueError(
            f"event: {event!r} is not in the audit catalogue (mitra/audit/events.py); "
            f"allowed: {', '.join(Event.values)}"
        ) from None


def record_audit(
    event: Event,
    *,
    acting: Actor | None,
    patient: Any = None,
    obj: Any = None,
    object_uuid: uuidlib.UUID | None = None,
    detail: str = "",
    subjects: Iterable[uuidlib.UUID | str] = (),
) -> AuditEvent:
    """Append one audit event: `event` from the catalogue, by `acting` (see the module).

    `subjects`: the UUIDs of the patients a list showed, for an event about several patients.
    """
    event = catalogued(event)
    user = actor_user(acting)
    if obj is not None and object_uuid is None:
        object_uuid = getattr(obj, "uuid", None)
    # Keys rather than objects: assigning a related object (`request.user` is a lazy one)
    # costs more than the key, and nothing reads the relations of the event returned.
    row = AuditEvent(
        actor_id=user.pk if user else None,
        actor_role=getattr(user, "role", "") if user else "",
        event=event.value,
        patient_id=patient.pk if patient is not None else None,
        object_uuid=object_uuid,
        client_address=actor_client_address(acting),
        request_id=actor_request_id(acting),
        detail=detail[:300],
        subjects=[str(s) for s in subjects],
    )
    # savepoint=False: inside a caller's transaction this adds no statements; outside one it
    # is the short transaction that holds the chain head from `link` to the commit.
    with transaction.atomic(savepoint=False):
        chain.link(row)
        row.save(force_insert=True)
    return row
