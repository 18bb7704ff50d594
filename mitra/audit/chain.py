"""The audit trail's hash chain: every event sealed, in order, with a key the database lacks.

An event's seal is HMAC-SHA256 under MITRA_AUDIT_KEY over its place in the chain (`seq`), the
seal of the event before it (`prev_hash`) and its content (`canonical`). So:

- an event changed in the database no longer matches its seal;
- an event deleted leaves a gap in `seq`, and its successor names a seal nobody has;
- an event inserted by hand cannot carry a valid seal without the key;
- events cut from the end leave the chain head (`AuditChainHead`) pointing past the last one.

`link(event)` is the one place that seals: `record_audit` calls it for every event, whichever
way the row is then written (the ORM today; a hand-written insert just as well), inside the
inserting transaction. It locks the chain head (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
writers hold the database's write lock from BEGIN IMMEDIATE), so concurrent inserts queue
on that row and each links to the one committed before it; a transaction that rolls back
takes its link with it. `verify()` walks the chain and names the first broken or missing link.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# The seal "before" the first event.
GENESIS = "0" * 64
HEAD_ID = 1

# The columns a seal covers, in this order. Changing the list or `canonical` invalidates every
# seal made before: it would need a version number on each event.
SEALED = ("seq", "uuid", "at", "actor_id", "actor_role", "event", "patient_id", "object_uuid",
          "client_address", "request_id", "detail", "subjects")


def _key() -> bytes:
    return settings.MITRA_AUDIT_KEY.encode()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _address(value: Any) -> str | None:
    # PostgreSQL's inet type hands an address back in its own spelling: compare normal forms.
    return None if not value else str(ipaddress.ip_address(value))


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(values: dict[str, Any]) -> bytes:
    """The bytes a seal covers: the SEALED values, spelled the same whatever database they
    were read back from."""
    row = [
        int(values["seq"]), _text(values["uuid"]), _moment(values["at"]),
        values["actor_id"], values["actor_role"] or "", values["event"], values["patient_id"],
        _text(values["object_uuid"]), _address(values["client_address"]),
        values["request_id"] or "", values["detail"] or "",
        [str(s) for s in values["subjects"] or []],
    ]
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode()


def seal(prev_hash: str, values: dict[str, Any], key: bytes | None = None) -> str:
    """The seal of an event with `values` (see SEALED) following the seal `prev_hash`."""
    message = prev_hash.encode() + b"\n" + canonical(values)
    return hmac.new(key or _key(), message, hashlib.sha256).hexdigest()


def _values(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in SEALED}


def _start_head() -> None:
    """Create the head row when it is missing (an empty database flushed by the tests; the
    migration creates it otherwise): at the last event, if there is one."""
    from mitra.audit.models import AuditChainHead, AuditEvent

    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, hash_ = last or (0, GENESIS)
    # ignore_conflicts: two first inserts at once both find no head; one row results.
    AuditChainHead.objects.bulk_create([AuditChainHead(pk=HEAD_ID, seq=seq, hash=hash_)],
                                       ignore_conflicts=True)


def link(event: Any) -> Any:
    """Give the unsaved `event` its place in the chain and its seal, and move the head on.

    Call it inside the transaction that inserts the event, right before the insert: the head
    stays locked until that transaction ends.
    """
    from mitra.audit.models import AuditChainHead

    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.in_atomic_block:
        raise RuntimeError("audit.chain.link must run inside the inserting transaction")
    # FOR UPDATE on PostgreSQL; SQLite's writer already holds the database (BEGIN IMMEDIATE).
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_ID).values_list("seq", "hash")
    found = head.first()
    if found is None:
        _start_head()
        found = head.first()
    if found is None:  # created just above, so never: a database that lost it mid-way
        raise RuntimeError("the audit chain head row cannot be created")
    seq, prev_hash = found
    event.seq = seq + 1
    event.prev_hash = prev_hash
    event.hash = seal(prev_hash, _values(event))
    AuditChainHead.objects.filter(pk=HEAD_ID).update(seq=event.seq, hash=event.hash)
    return event


# ---- verification ----------------------------------------------------------------------------


def _describe(event: Any) -> str:
    return f"link {event.seq} (event {event.uuid}, {event.event} at {_moment(event.at)})"


def verify_events(events: Iterable[Any], head: tuple[int, str] | None,
                  key: bytes | None = None) -> tuple[int, str | None]:
    """(links checked, the first problem or None) for `events` in `seq` order and the chain
    head's (seq, hash)."""
    key = key or _key()
    expected_seq, prev_hash, count = 1, GENESIS, 0
    for event in events:
        if event.seq != expected_seq:
            if event.seq < expected_seq:
                return count, f"{_describe(event)} repeats a link number already used"
            missing = (f"link {expected_seq} is missing" if event.seq == expected_seq + 1
                       else f"links {expected_seq} to {event.seq - 1} are missing")
            return count, (f"{missing}: the chain goes on at {_describe(event)}; "
                           "events were deleted")
        if event.prev_hash != prev_hash:
            return count, (f"{_describe(event)} does not follow link {event.seq - 1}: the seal "
                           "it names is not that event's (an event was replaced)")
        if not hmac.compare_digest(event.hash, seal(prev_hash, _values(event), key)):
            return count, (f"{_describe(event)} was altered or forged: its seal does not "
                           "match its content")
        prev_hash, expected_seq, count = event.hash, expected_seq + 1, count + 1
    last = expected_seq - 1
    if head is None:
        if count:
            return count, f"the chain head is missing (the last event is link {last})"
        return count, None
    head_seq, head_hash = head
    if head_seq > last:
        missing = f"link {head_seq}" if head_seq == last + 1 else f"links {last + 1} to {head_seq}"
        return count, (f"{missing} at the end of the chain are missing: the chain head records "
                       f"link {head_seq}, the last event is link {last}")
    if head_seq < last or head_hash != prev_hash:
        return count, (f"the chain head (link {head_seq}) does not match the last event "
                       f"(link {last}): it was altered")
    return count, None


def head() -> tuple[int, str] | None:
    """The chain head's (seq, hash); None before the first event."""
    from mitra.audit.models import AuditChainHead

    return AuditChainHead.objects.filter(pk=HEAD_ID).values_list("seq", "hash").first()


def verify() -> tuple[int, str | None]:
    """Check the whole stored chain: (links checked, the first problem or None).

    Safe while events are being added: the chain is checked up to the head as first read; an
    event committed later has a higher number and waits for the next run. An event numbered
    past the head as read last cannot be one the application wrote (it moves the head in the
    same transaction): it was inserted by hand.
    """
    from django.db.models import Max

    from mitra.audit.models import AuditEvent

    first = head()
    events = AuditEvent.objects.order_by("seq")
    if first is not None:
        events = events.filter(seq__lte=first[0])
    count, problem = verify_events(events.iterator(chunk_size=2000), first)
    if problem:
        return count, problem
    top = AuditEvent.objects.aggregate(top=Max("seq"))["top"] or 0
    last = head()
    if top > (last[0] if last else 0):
        beyond = AuditEvent.objects.filter(seq__gt=last[0] if last else 0).order_by("seq").first()
        return count, (f"{_describe(beyond)} lies beyond the chain head (link "
                       f"{last[0] if last else 0}): it was inserted without the chain")
    return count, None
