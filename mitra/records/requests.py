"""A patient's requests about their record: filed, withdrawn, extended once, answered.

    req, created = do_file_request(patient, acting=request, uuid=..., kind="amend",
                                   details="My intake says ...")
    do_extend_request(req, acting=request, reason="We need the paper file from storage")
    do_answer_request(req, acting=request, outcome="denied", answer="The record is accurate ...")

Each is atomic and records its audit event (the request's UUID as the object, its kind and
outcome as the detail, never its text). The deadlines are `records.deadlines`'. Granting a
CLOSE request closes the account in the same transaction (`closure.do_close_account`).
Refusals are `RequestError`, whose message starts with the field it is about.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor, actor_user
from mitra.audit.events import Event
from mitra.lib.idempotency import SubmissionConflict, payload_digest, stored_or_created
from mitra.lib.untrusted import text_problem
from mitra.patients.models import Patient
from mitra.records import deadlines
from mitra.records.closure import do_close_account
from mitra.records.models import RecordRequest

DETAILS_MAX = 4000
REASON_MAX = 500
ANSWER_MAX = 4000
OUTCOMES = (RecordRequest.State.GRANTED, RecordRequest.State.PARTLY, RecordRequest.State.DENIED)

__all__ = ["RequestError", "SubmissionConflict", "do_answer_request", "do_extend_request",
           "do_file_request", "do_withdraw_request"]


class RequestError(ValueError):
    """A change the rules refuse; the message starts with the field it is about."""


def _text(field: str, value: str, *, limit: int, required: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RequestError(f"{field}: {required}")
    if len(value) > limit:
        raise RequestError(f"{field}: at most {limit} characters (this one has {len(value)})")
    problem = text_problem(value)
    if problem is not None:
        raise RequestError(f"{field}: {problem}")
    return value


def _open(req: RecordRequest, doing: str) -> None:
    if req.state != RecordRequest.State.OPEN:
        raise RequestError(f"state: only an open request can be {doing}; this one is "
                           f"{req.get_state_display().lower()}")


def do_file_request(patient: Patient, *, acting: Actor, uuid: UUID, kind: str,
                    details: str) -> tuple[RecordRequest, bool]:
    """File a request (the patient, or staff for a patient who asks on paper); (request,
    created). A repeat under the same `uuid` with the same content returns the stored one;
    other content under it raises SubmissionConflict."""
    if kind not in RecordRequest.Kind.values:
        raise RequestError(f"kind: {kind!r} is not a kind of request; allowed: "
                           f"{', '.join(RecordRequest.Kind.values)}")
    details = _text("details", details, limit=DETAILS_MAX,
                    required="say what you are asking for (at most "
                             f"{DETAILS_MAX} characters)")
    digest = payload_digest({"kind": kind, "details": details})

    def stored() -> RecordRequest | None:
        found = RecordRequest.objects.filter(uuid=uuid).first()
        if found is None:
            return None
        if found.patient_id != patient.pk or found.payload_digest != digest:
            raise SubmissionConflict(
                "uuid: a different request was already filed under this submission id")
        return found

    def create() -> RecordRequest:
        now = timezone.now()
        user = actor_user(acting)
        req = RecordRequest.objects.create(
            uuid=uuid, patient=patient, kind=kind, details=details, filed_at=now,
            filed_by=user if user is not None and user.pk else None,
            due_on=deadlines.due_on(kind, timezone.localdate(now)), payload_digest=digest)
        record_audit(Event.REQUEST_FILED, acting=acting, patient=patient, obj=req, detail=kind)
        return req

    return stored_or_created(stored, create)


@transaction.atomic
def do_withdraw_request(req: RecordRequest, *, acting: Actor) -> bool:
    """The patient withdraws an open request; False when it was withdrawn already."""
    req = RecordRequest.objects.select_for_update().get(pk=req.pk)
    if req.state == RecordRequest.State.WITHDRAWN:
        return False
    _open(req, "withdrawn")
    req.state = RecordRequest.State.WITHDRAWN
    req.withdrawn_at = timezone.now()
    req.save(update_fields=["state", "withdrawn_at"])
    record_audit(Event.REQUEST_WITHDRAWN, acting=acting, patient=req.patient, obj=req,
                 detail=req.kind)
    return True


@transaction.atomic
def do_extend_request(req: RecordRequest, *, acting: Actor, reason: str) -> RecordRequest:
    """Take the one extension (30 days) with its reason, to be told to the patient."""
    req = RecordRequest.objects.select_for_update().get(pk=req.pk)
    _open(req, "extended")
    reason = _text("reason", reason, limit=REASON_MAX,
                   required="the rule asks for the reason for the delay, told to the patient")
    try:
        req.due_on = deadlines.extended_due_on(req.kind, req.due_on,
                                               already_extended=req.extended_at is not None)
    except deadlines.DeadlineError as exc:
        raise RequestError(str(exc)) from None
    req.extended_at = timezone.now()
    req.extension_reason = reason
    req.save(update_fields=["due_on", "extended_at", "extension_reason"])
    record_audit(Event.REQUEST_EXTENDED, acting=acting, patient=req.patient, obj=req,
                 detail=f"{req.kind}; due {req.due_on.isoformat()}")
    return req


@transaction.atomic
def do_answer_request(req: RecordRequest, *, acting: Actor, outcome: str, answer: str,
                      ) -> RecordRequest:
    """Answer an open request: granted, partly granted or denied, with the written answer
    (for a denial, its reason: 164.526(d)(1)(i)). Granting a CLOSE request closes the account."""
    req = RecordRequest.objects.select_for_update().select_related("patient").get(pk=req.pk)
    _open(req, "answered")
    if outcome not in OUTCOMES:
        raise RequestError(f"outcome: {outcome!r} is not an answer; allowed: "
                           f"{', '.join(OUTCOMES)}")
    required = ("a denial must give its reason, in words the patient can read"
                if outcome == RecordRequest.State.DENIED
                else "write the answer the patient will read")
    answer = _text("answer", answer, limit=ANSWER_MAX, required=required)
    user = actor_user(acting)
    req.state = outcome
    req.answer = answer
    req.answered_at = timezone.now()
    req.answered_by = user if user is not None and user.pk else None
    req.save(update_fields=["state", "answer", "answered_at", "answered_by"])
    record_audit(Event.REQUEST_ANSWERED, acting=acting, patient=req.patient, obj=req,
                 detail=f"{req.kind}: {outcome}")
    if req.kind == RecordRequest.Kind.CLOSE and outcome == RecordRequest.State.GRANTED:
        do_close_account(req.patient, acting=acting, request=req,
                         reason="The patient's request to close the account was granted")
    return req
