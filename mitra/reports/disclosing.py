"""Reports and exports leaving the care team, through the one gate (`consent.disclosure`).

`disclose_or_refuse` asks the gate and, when no consent covers the disclosure, records the
refusal (DISCLOSURE_REFUSED) and raises `Refused` with the gate's message naming what is
missing. A submission's client-made UUID becomes the disclosure's, so a repeated request (a
double click, a reload) finds the disclosure it made instead of making a second one; the same
UUID for another recipient, purpose or record is a conflict.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from uuid import UUID

from django.urls import reverse
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor
from mitra.audit.events import Event
from mitra.consent import disclosure, part2
from mitra.consent.models import Disclosure, Purpose
from mitra.lib.idempotency import SubmissionConflict
from mitra.patients.models import Patient
from mitra.reports.pdf import Disclosed

NOTICE_FILE = "NOTICE-42-CFR-PART-2.txt"


class Refused(Exception):
    """No active consent covers the disclosure; `str()` says what is missing."""


@dataclass(frozen=True)
class Outward:
    """One disclosure asked for: what leaves, to whom, why."""

    channel: str
    what: str
    recipient_name: str
    purpose: str
    recipient_kind: str = "organisation"
    recipient_account: int | None = None
    submission: UUID | None = None


def consents_url(patient: Patient) -> str:
    """The care team's page of the patient's consents."""
    return reverse("consent:patient", args=[patient.uuid])


def _stored(patient: Patient, ask: Outward) -> Disclosure | None:
    if ask.submission is None:
        return None
    row = Disclosure.objects.filter(uuid=ask.submission).first()
    if row is None:
        return None
    if (row.patient_id, row.channel, row.recipient_name, row.purpose, row.what) != (
            patient.pk, ask.channel, ask.recipient_name[:200], ask.purpose, ask.what[:300]):
        raise SubmissionConflict("uuid: this submission id was used for another disclosure;"
                                 " reload the page and try again")
    return row


def disclose_or_refuse(patient: Patient, ask: Outward, *, acting: Actor) -> Disclosure:
    """The disclosure (made now, or the one this submission already made); `Refused`, after
    recording the refusal, when no active consent covers it."""
    stored = _stored(patient, ask)
    if stored is not None:
        return stored
    try:
        return disclosure.disclose(
            patient, channel=ask.channel, what=ask.what, kinds=disclosure.KINDS_ALL,
            recipient_name=ask.recipient_name, purpose=ask.purpose, acting=acting,
            recipient_account=ask.recipient_account, uuid=ask.submission)
    except disclosure.ConsentMissing as exc:
        message = str(exc.args[0]) if exc.args else "No active consent covers this disclosure."
        # The recipient and purpose, never clinical content.
        record_audit(Event.DISCLOSURE_REFUSED, acting=acting, patient=patient,
                     detail=f"{ask.channel} to {ask.recipient_name} for {ask.purpose}"[:300])
        raise Refused(message) from None


def purpose_words(purpose: str) -> str:
    return str(dict(Purpose.choices).get(purpose, purpose.replace("_", " ")))


def disclosed_note(row: Disclosure, *, recipient_kind: str = "") -> Disclosed:
    """What the PDF says of the disclosure `row`: the line, and the notice it carried."""
    kind = {"person": " (a named person)", "organisation": ""}.get(recipient_kind, "")
    notice = part2.notice() if row.notice_version else None
    return Disclosed(recipient=row.recipient_name + kind, purpose=purpose_words(row.purpose),
                     on=timezone.localdate(row.at),
                     consent=str(row.consent.uuid) if row.consent is not None else "",
                     notice=notice)


def notice_file(row: Disclosure) -> dict[str, str]:
    """The export's extra file: the §2.32 notice, and to whom it was disclosed (nothing with
    Part 2 handling off, when the disclosure carries no notice)."""
    if not row.notice_version:
        return {}
    notice = part2.notice()
    note = disclosed_note(row)
    text = "\n".join([
        f"Notice to accompany disclosure: 42 CFR Part 2, section 2.32 (version {notice.version})",
        "",
        textwrap.fill(notice.text, 78),
        "",
        note.line,
        "",
    ])
    return {NOTICE_FILE: text}
