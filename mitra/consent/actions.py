"""Every write to a consent: given in the app, recorded from paper, revoked, ended by its event.

Each action is atomic and records its audit event in its transaction. A consent is never
edited once signed: revoking it or ending it by its event sets `revoked_at` (effective at once:
the disclosure gate reads only consents not revoked), and doing so again changes nothing.

Bad input raises `ConsentError`, naming each field and its allowed values, before anything is
written. A submission carries a client-made UUID (the consent's own): the same submission again
returns the stored consent, the UUID reused for a different one is a `SubmissionConflict` (409).
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.consent import part2, rules, scans
from mitra.consent.models import Consent, Purpose, Scope
from mitra.lib.idempotency import SubmissionConflict, stored_or_created
from mitra.lib.untrusted import text_problem
from mitra.patients.models import Patient

__all__ = ["ConsentError", "SubmissionConflict", "Terms", "check_terms", "do_end_consent_by_event",
           "do_give_consent", "do_record_paper_consent", "do_revoke_consent"]

# How far ahead an expiry date may lie: a consent meant to last longer names an event instead.
MAX_YEARS_AHEAD = 10
NAME_LENGTH = 200  # recipient_name, expiry_event, signed_name (the model's columns)
NOTE_LENGTH = 2000  # paper_note
REVOKE_NOTE_LENGTH = 300  # revocation_note
# A paper form signed before enrolment (at intake, at the front desk) is recorded afterwards,
# but not one from years before.
PAPER_EARLIEST_DAYS = 366

RECIPIENT_KINDS = tuple(Consent.RecipientKind.values)
SCOPES = tuple(Scope.values)
PURPOSES = tuple(Purpose.values)


class ConsentError(ValueError):
    """Bad input: `errors` maps each field to a message naming the allowed values."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Terms:
    """What a consent allows, checked: the fields of §2.31(a) other than the signature."""

    scope: str
    recipient_kind: str
    recipient_name: str
    purpose: str
    expires_on: date | None
    expiry_event: str


def latest_expiry(today: date) -> date:
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def _text(errors: dict[str, str], field: str, value: Any, *, limit: int,
          required: bool = False, what: str = "", one_line: bool = True) -> str:
    """`value` as bounded text (a name on one line, spaces collapsed; a note stripped), noting
    any problem in `errors`."""
    raw = str(value or "")
    text = " ".join(raw.split()) if one_line else raw.strip()
    problem = text_problem(text)
    if problem is not None:
        errors[field] = f"{field}: {problem}."
    elif required and not text:
        errors[field] = f"{field}: required: {what or 'some text'}."
    elif len(text) > limit:
        errors[field] = f"{field}: {len(text)} characters; allowed: at most {limit}."
    return text


def _choice(errors: dict[str, str], field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        errors[field] = f"{field}: {value!r} is not allowed; allowed: {', '.join(allowed)}."
        return ""
    return str(value)


def _collect_terms(errors: dict[str, str], *, scope: Any, recipient_kind: Any,
                   recipient_name: Any, purpose: Any, expires_on: Any, expiry_event: Any,
                   today: date) -> Terms:
    scope = _choice(errors, "scope", scope, SCOPES)
    kind = _choice(errors, "recipient_kind", recipient_kind, RECIPIENT_KINDS)
    purpose = _choice(errors, "purpose", purpose, PURPOSES)
    name = _text(errors, "recipient_name", recipient_name, limit=NAME_LENGTH)
    if kind == Consent.RecipientKind.TPO:
        # The 2024 rule's consent names no one: it is for whoever receives the records for
        # treatment, payment or health care operations, and for those purposes only.
        if name and "recipient_name" not in errors:
            errors["recipient_name"] = ("recipient_name: leave it empty for recipient kind tpo "
                                        "(it names no one); or choose person or organisation.")
        if purpose and purpose not in rules.TPO_PURPOSES:
            errors["purpose"] = (f"purpose: {purpose!r} is not allowed with recipient kind tpo; "
                                 f"allowed: {', '.join(sorted(rules.TPO_PURPOSES))}.")
    elif kind and not name and "recipient_name" not in errors:
        errors["recipient_name"] = (f"recipient_name: required for recipient kind {kind}: the "
                                    f"name of the {kind} (at most {NAME_LENGTH} characters).")
    event = _text(errors, "expiry_event", expiry_event, limit=NAME_LENGTH)
    latest = latest_expiry(today)
    allowed = (f"a date from {today + timedelta(days=1)} to {latest}, or an event "
               f"(\"the end of my treatment\"), not both")
    if expires_on is not None and not isinstance(expires_on, date):
        errors["expires_on"] = f"expires_on: {expires_on!r} is not a date; allowed: {allowed}."
        expires_on = None
    if expires_on is None and not event and "expiry_event" not in errors:
        errors["expires_on"] = f"expires_on: an expiry is required; allowed: {allowed}."
    elif expires_on is not None and event:
        errors["expires_on"] = ("expires_on: give a date or an event, not both; "
                                f"allowed: {allowed}.")
    elif expires_on is not None and not today < expires_on <= latest:
        errors["expires_on"] = (f"expires_on: {expires_on.isoformat()} is not allowed; "
                                f"allowed: {allowed}.")
    return Terms(scope=scope, recipient_kind=kind, recipient_name=name, purpose=purpose,
                 expires_on=expires_on, expiry_event=event)


def check_terms(*, scope: Any, recipient_kind: Any, recipient_name: Any = "", purpose: Any,
                expires_on: Any = None, expiry_event: Any = "",
                today: date | None = None) -> Terms:
    """The terms, checked; ConsentError naming every field that is wrong."""
    errors: dict[str, str] = {}
    terms = _collect_terms(errors, scope=scope, recipient_kind=recipient_kind,
                           recipient_name=recipient_name, purpose=purpose,
                           expires_on=expires_on, expiry_event=expiry_event,
                           today=today or timezone.localdate())
    if errors:
        raise ConsentError(errors)
    return terms


def _same(consent: Consent, patient: Patient, terms: Terms, signed_name: str,
          text_version: str, source: str) -> bool:
    return (consent.patient_id == patient.pk and consent.scope == terms.scope
            and consent.recipient_kind == terms.recipient_kind
            and consent.recipient_name == terms.recipient_name
            and consent.purpose == terms.purpose and consent.expires_on == terms.expires_on
            and consent.expiry_event == terms.expiry_event
            and consent.signed_name == signed_name and consent.text_version == text_version
            and consent.source == source)


def _stored(submission: uuidlib.UUID, same: Any) -> Consent | None:
    """The consent stored under `submission`, if any; SubmissionConflict when it differs."""
    existing = Consent.objects.filter(uuid=submission).first()
    if existing is not None and not same(existing):
        raise SubmissionConflict(
            f"This submission ID ({submission}) was already used for a different consent; "
            "reload the form to give a new one.")
    return existing


def _audit_detail(consent: Consent) -> str:
    """Codes only (no names, no notes): what kind of consent, under which text."""
    return (f"scope={consent.scope} recipient_kind={consent.recipient_kind} "
            f"purpose={consent.purpose} text={consent.text_version} source={consent.source}")


def do_give_consent(patient: Patient, *, uuid: uuidlib.UUID, scope: Any, recipient_kind: Any,
                    recipient_name: Any = "", purpose: Any, expires_on: Any = None,
                    expiry_event: Any = "", signed_name: Any, text_version: str | None = None,
                    acting: Actor) -> tuple[Consent, bool]:
    """The patient signs a consent in the app: (consent, created).

    `text_version` is the version of the text the patient was shown; it must be the current
    one (a text changed since the page was opened is read again before it is signed).
    """
    current = part2.consent_text().version
    errors: dict[str, str] = {}
    terms = _collect_terms(errors, scope=scope, recipient_kind=recipient_kind,
                           recipient_name=recipient_name, purpose=purpose,
                           expires_on=expires_on, expiry_event=expiry_event,
                           today=timezone.localdate())
    name = _text(errors, "signed_name", signed_name, limit=NAME_LENGTH, required=True,
                 what="type your full name to sign")
    if text_version is not None and text_version != current:
        errors["text_version"] = (f"text_version: {text_version!r} is not the current consent "
                                  f"text; allowed: {current} (read the text again and sign).")
    if errors:
        raise ConsentError(errors)

    def create() -> Consent:
        consent = Consent.objects.create(
            uuid=uuid, patient=patient, scope=terms.scope, recipient_kind=terms.recipient_kind,
            recipient_name=terms.recipient_name, purpose=terms.purpose,
            expires_on=terms.expires_on, expiry_event=terms.expiry_event, text_version=current,
            signed_name=name, signed_at=timezone.now(), source=Consent.Source.APP)
        record_audit(Event.CONSENT_GIVEN, acting=acting, patient=patient, obj=consent,
                     detail=_audit_detail(consent))
        return consent

    with transaction.atomic():
        return stored_or_created(
            lambda: _stored(uuid, lambda c: _same(c, patient, terms, name, current,
                                                  Consent.Source.APP)),
            create)


def check_paper_day(signed_on: Any, *, patient: Patient, today: date | None = None) -> str | None:
    """What is wrong with the day a paper form was signed, or None."""
    today = today or timezone.localdate()
    earliest = patient.enrolled_on - timedelta(days=PAPER_EARLIEST_DAYS)
    allowed = f"a date from {earliest} (a year before enrolment) to {today} (today)"
    if not isinstance(signed_on, date):
        return f"signed_on: required: {allowed}."
    if not earliest <= signed_on <= today:
        return f"signed_on: {signed_on.isoformat()} is not allowed; allowed: {allowed}."
    return None


def do_record_paper_consent(patient: Patient, *, uuid: uuidlib.UUID, scope: Any,
                            recipient_kind: Any, recipient_name: Any = "", purpose: Any,
                            expires_on: Any = None, expiry_event: Any = "", signed_name: Any,
                            signed_on: Any, note: Any = "", scan: bytes | None = None,
                            scan_name: str = "", acting: Actor) -> tuple[Consent, bool]:
    """A consent the patient gave on paper, recorded by an admin (or a read-and-write
    clinician) with a scan of the form, a note of where it is kept, or both: (consent, created).

    The text version recorded is the current one: the paper form is Mitra's printed text.
    """
    current = part2.consent_text().version
    errors: dict[str, str] = {}
    terms = _collect_terms(errors, scope=scope, recipient_kind=recipient_kind,
                           recipient_name=recipient_name, purpose=purpose,
                           expires_on=expires_on, expiry_event=expiry_event,
                           today=timezone.localdate())
    name = _text(errors, "signed_name", signed_name, limit=NAME_LENGTH, required=True,
                 what="the name signed on the form")
    day_problem = check_paper_day(signed_on, patient=patient)
    if day_problem:
        errors["signed_on"] = day_problem
    note = _text(errors, "note", note, limit=NOTE_LENGTH, one_line=False)
    accepted: scans.Scan | None = None
    if scan:
        try:
            accepted = scans.accept(scan, scan_name)
        except scans.ScanRefused as refused:
            errors["scan"] = str(refused)
    elif not note and "note" not in errors:
        errors["scan"] = ("scan: a scan of the form or a note (where the paper form is kept) is "
                          f"required; allowed scans: {scans.ALLOWED}.")
    if errors:
        raise ConsentError(errors)

    def same(consent: Consent) -> bool:
        return (_same(consent, patient, terms, name, current, Consent.Source.PAPER)
                and consent.paper_note == note
                and timezone.localdate(consent.signed_at) == signed_on
                and (bytes(consent.scan) if consent.scan is not None else None)
                == (accepted.data if accepted else None))

    def create() -> Consent:
        user = actor_user(acting)
        consent = Consent.objects.create(
            uuid=uuid, patient=patient, scope=terms.scope, recipient_kind=terms.recipient_kind,
            recipient_name=terms.recipient_name, purpose=terms.purpose,
            expires_on=terms.expires_on, expiry_event=terms.expiry_event, text_version=current,
            signed_name=name,
            signed_at=timezone.make_aware(datetime.combine(signed_on, time(0, 0))),
            source=Consent.Source.PAPER, paper_note=note,
            scan=accepted.data if accepted else None,
            scan_type=accepted.content_type if accepted else "",
            scan_name=accepted.name if accepted else "", recorded_by=user)
        record_audit(Event.CONSENT_RECORDED_FROM_PAPER, acting=acting, patient=patient,
                     obj=consent, detail=_audit_detail(consent))
        return consent

    with transaction.atomic():
        return stored_or_created(lambda: _stored(uuid, same), create)


def _locked(consent: Consent) -> Consent:
    return Consent.objects.select_for_update().get(pk=consent.pk)


@transaction.atomic
def do_revoke_consent(consent: Consent, *, acting: Actor, note: Any = "") -> Consent:
    """The patient revokes a consent, effective at once; revoking it again changes nothing."""
    errors: dict[str, str] = {}
    note = _text(errors, "note", note, limit=REVOKE_NOTE_LENGTH)
    if errors:
        raise ConsentError(errors)
    row = _locked(consent)
    if row.revoked_at is not None:
        return row
    row.revoked_at = timezone.now()
    row.revoked_by = actor_user(acting)
    row.revocation_note = note
    row.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    record_audit(Event.CONSENT_REVOKED, acting=acting, patient=row.patient, obj=row,
                 detail="revoked by the patient")
    return row


@transaction.atomic
def do_end_consent_by_event(consent: Consent, *, acting: Actor, note: Any = "") -> Consent:
    """An admin records that the event a consent ends with has happened ("the end of my
    treatment"): the consent ends at once, as a revocation does. Again: nothing changes."""
    errors: dict[str, str] = {}
    note = _text(errors, "note", note, limit=REVOKE_NOTE_LENGTH - 40)
    if not consent.expiry_event:
        errors["expiry_event"] = ("expiry_event: this consent ends on a date "
                                  f"({consent.expires_on}), not by an event; allowed: a consent "
                                  "that names an expiry event.")
    if errors:
        raise ConsentError(errors)
    row = _locked(consent)
    if row.revoked_at is not None:
        return row
    row.revoked_at = timezone.now()
    row.revoked_by = actor_user(acting)
    row.revocation_note = f"Ended by its expiry event. {note}".strip()
    row.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    record_audit(Event.CONSENT_REVOKED, acting=acting, patient=row.patient, obj=row,
                 detail="ended by its expiry event")
    return row


# The names the issue uses, for callers that look for them.
give_consent = do_give_consent
record_paper_consent = do_record_paper_consent
revoke_consent = do_revoke_consent
end_by_event = do_end_consent_by_event
