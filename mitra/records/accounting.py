"""The accounting of disclosures for one patient (42 CFR 2.24; HIPAA 45 CFR 164.528).

Every disclosure made through Mitra is two things written in one transaction
(`consent.disclosure.record_disclosure`): a `Disclosure` row (to whom, what, the purpose, the
consent) and a `disclosure.made` event in the sealed audit trail naming the row's UUID. The
accounting reads both, two queries whatever the number of rows, and joins them by that UUID:

- a row and its event: the disclosure, `attested` (the trail, tamper-evident, confirms it);
- a row without its event, or with an event by someone else than the row says: shown, with
  the problem named, since the patient is owed every disclosure and the clinic should look;
- an event without its row (the row was deleted, or never committed with it): shown from the
  event alone (its time, actor and the channel and what its detail names), with the problem.

Only disclosures made are accounted; refusals (`disclosure.refused`) are not disclosures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.consent.models import Disclosure
from mitra.patients.models import Patient

NO_EVENT = "not found in the audit trail"
OTHER_ACTOR = "the audit trail names another person as the one who disclosed it"
NO_ROW = "only in the audit trail: the disclosure's own record is missing"


@dataclass(frozen=True)
class Entry:
    """One line of the accounting."""

    uuid: UUID | None
    at: datetime
    recipient: str
    channel: str
    what: str
    scope: str
    purpose: str
    # The consent it was made under: its UUID, scope and text version (None with Part 2
    # handling off, or for an entry known only from the trail).
    consent_uuid: UUID | None
    consent_scope: str
    consent_text_version: str
    notice_version: str
    made_by: str
    attested: bool
    problem: str = ""


def _name(user) -> str:
    if user is None:
        return "Mitra (no person)"
    full = user.get_full_name().strip()
    return full or user.username


def entries(patient: Patient) -> list[Entry]:
    """Every disclosure of the patient's records, newest first (see the module)."""
    rows = list(Disclosure.objects.filter(patient=patient)
                .select_related("consent", "made_by").order_by("-at", "-pk"))
    events = list(AuditEvent.objects.filter(patient=patient, event=Event.DISCLOSURE_MADE.value)
                  .select_related("actor").order_by("-at", "-seq"))
    by_object: dict[UUID, AuditEvent] = {}
    for event in events:
        if event.object_uuid is not None:
            by_object.setdefault(event.object_uuid, event)
    out: list[Entry] = []
    for row in rows:
        event = by_object.pop(row.uuid, None)
        problem = ""
        if event is None:
            problem = NO_EVENT
        elif event.actor_id != row.made_by_id:
            problem = OTHER_ACTOR
        consent = row.consent
        out.append(Entry(
            uuid=row.uuid, at=row.at, recipient=row.recipient_name,
            channel=row.get_channel_display(), what=row.what, scope=row.get_scope_display(),
            purpose=row.get_purpose_display(),
            consent_uuid=consent.uuid if consent is not None else None,
            consent_scope=consent.get_scope_display() if consent is not None else "",
            consent_text_version=consent.text_version if consent is not None else "",
            notice_version=row.notice_version, made_by=_name(row.made_by),
            attested=not problem, problem=problem))
    for event in events:
        if event.object_uuid is None or event.object_uuid in by_object:
            channel, _sep, what = event.detail.partition(": ")
            out.append(Entry(
                uuid=event.object_uuid, at=event.at, recipient="(not recorded)",
                channel=channel, what=what, scope="", purpose="", consent_uuid=None,
                consent_scope="", consent_text_version="", notice_version="",
                made_by=_name(event.actor), attested=False, problem=NO_ROW))
    out.sort(key=lambda e: e.at, reverse=True)
    return out


COLUMNS = ("When (UTC)", "To whom", "How", "What", "Records", "Purpose", "Consent",
           "Consent covers", "Consent text version", "Notice version", "Disclosed by",
           "Checked against the audit trail")


def as_rows(items: list[Entry]) -> list[list[str]]:
    """The entries as text cells, in COLUMNS' order (the CSV and the PDF)."""
    return [[e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), e.recipient, e.channel, e.what,
             e.scope, e.purpose, str(e.consent_uuid or ""), e.consent_scope,
             e.consent_text_version, e.notice_version, e.made_by,
             "yes" if e.attested else f"no: {e.problem}"]
            for e in items]
