"""Requests: filed by the patient (idempotent by the client's UUID, errors naming the field),
withdrawn, extended once with a reason, answered; each audited; the queue and one request's
page for staff."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.accounts.models import Membership
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.lib.idempotency import SubmissionConflict
from mitra.records import requests
from mitra.records.models import AccountClosure, RecordRequest
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    cast = make_cast()
    Membership.objects.create(team=cast.team_a, user=cast.admin)
    return cast


def _file(cast, kind="amend", details="My intake lists the wrong medication.", key=None):
    return requests.do_file_request(cast.patient, acting=cast.patient_user,
                                    uuid=key or uuid.uuid4(), kind=kind, details=details)


def test_filing_sets_the_deadline_and_audits_without_the_text(cast):
    req, created = _file(cast)
    assert created and req.state == RecordRequest.State.OPEN
    assert req.due_on == timezone.localdate() + timedelta(days=60)
    event = AuditEvent.objects.get(event=Event.REQUEST_FILED)
    assert event.object_uuid == req.uuid and event.detail == "amend"
    restrict, _ = _file(cast, kind="restrict")
    assert restrict.due_on == timezone.localdate() + timedelta(days=30)


def test_a_repeat_returns_the_stored_request_and_other_content_is_refused(cast):
    key = uuid.uuid4()
    first, _ = _file(cast, key=key)
    again, created = _file(cast, key=key)
    assert again.pk == first.pk and not created
    assert RecordRequest.objects.count() == 1
    with pytest.raises(SubmissionConflict, match="^uuid: "):
        _file(cast, key=key, details="Something else")


@pytest.mark.parametrize(("kind", "details", "message"), [
    ("copy", "x", "^kind: 'copy' is not a kind of request; allowed: restrict, amend, delete"),
    ("amend", "   ", "^details: say what you are asking for"),
    ("amend", "x" * 4001, r"^details: at most 4000 characters \(this one has 4001\)"),
    ("amend", "bad \x00 text", "^details: "),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(cast, kind, details,
                                                                       message):
    with pytest.raises(requests.RequestError, match=message):
        _file(cast, kind=kind, details=details)
    assert not RecordRequest.objects.exists()
    assert not AuditEvent.objects.filter(event=Event.REQUEST_FILED).exists()


def test_withdrawing_is_for_open_requests_once(cast):
    req, _ = _file(cast)
    assert requests.do_withdraw_request(req, acting=cast.patient_user)
    assert not requests.do_withdraw_request(req, acting=cast.patient_user)
    req.refresh_from_db()
    assert req.state == RecordRequest.State.WITHDRAWN and req.withdrawn_at is not None
    assert AuditEvent.objects.filter(event=Event.REQUEST_WITHDRAWN).count() == 1
    with pytest.raises(requests.RequestError, match="^state: only an open request"):
        requests.do_answer_request(req, acting=cast.admin, outcome="granted", answer="Done")


def test_one_extension_with_a_reason_then_no_more(cast):
    req, _ = _file(cast, kind="restrict")
    with pytest.raises(requests.RequestError, match="^reason: "):
        requests.do_extend_request(req, acting=cast.admin, reason=" ")
    req = requests.do_extend_request(req, acting=cast.admin, reason="The paper file is off site")
    assert req.due_on == timezone.localdate() + timedelta(days=60)
    assert req.extension_reason == "The paper file is off site"
    with pytest.raises(requests.RequestError, match="^extension: .*only one extension"):
        requests.do_extend_request(req, acting=cast.admin, reason="Again")
    assert AuditEvent.objects.filter(event=Event.REQUEST_EXTENDED).count() == 1


def test_a_denial_needs_its_reason_and_an_answer_is_final(cast):
    req, _ = _file(cast)
    with pytest.raises(requests.RequestError, match="^answer: a denial must give its reason"):
        requests.do_answer_request(req, acting=cast.admin, outcome="denied", answer="")
    with pytest.raises(requests.RequestError, match="^outcome: 'maybe' is not an answer"):
        requests.do_answer_request(req, acting=cast.admin, outcome="maybe", answer="x")
    req = requests.do_answer_request(req, acting=cast.admin, outcome="denied",
                                     answer="The record is accurate and complete.")
    assert req.state == RecordRequest.State.DENIED and req.answered_by == cast.admin
    assert AuditEvent.objects.get(event=Event.REQUEST_ANSWERED).detail == "amend: denied"
    with pytest.raises(requests.RequestError, match="^state: "):
        requests.do_answer_request(req, acting=cast.admin, outcome="granted", answer="x")


def test_granting_a_close_request_closes_the_account(cast):
    req, _ = _file(cast, kind="close", details="Please close my account.")
    requests.do_answer_request(req, acting=cast.admin, outcome="granted", answer="Closed.")
    closure = AccountClosure.objects.get(patient=cast.patient)
    assert closure.request == req
    cast.patient_user.refresh_from_db()
    assert not cast.patient_user.is_active


def test_the_patient_files_a_request_from_the_form(cast):
    client = login(Client(), cast.patient_user)
    page = client.get(reverse("records:my_requests"))
    assert page.status_code == 200
    key = str(uuid.uuid4())
    data = {"uuid": key, "kind": "restrict", "details": "Do not send my diary to my payer."}
    response = client.post(reverse("records:file_request"), data)
    assert response.status_code == 302
    assert client.post(reverse("records:file_request"), data).status_code == 302
    assert RecordRequest.objects.filter(patient=cast.patient).count() == 1
    assert "Do not send my diary" in client.get(reverse("records:my_requests")).content.decode()


def test_a_bad_form_keeps_the_answers_and_names_the_field(cast):
    client = login(Client(), cast.patient_user)
    response = client.post(reverse("records:file_request"),
                           {"uuid": str(uuid.uuid4()), "kind": "copy", "details": "Kept text"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "What you are asking for: choose one of" in body and "Kept text" in body
    assert not RecordRequest.objects.exists()


def test_the_patient_withdraws_only_their_own(cast):
    req, _ = _file(cast)
    url = reverse("records:withdraw_request", args=[req.uuid])
    assert login(Client(), cast.other_patient_user).post(url).status_code == 404
    assert login(Client(), cast.patient_user).post(url).status_code == 302
    req.refresh_from_db()
    assert req.state == RecordRequest.State.WITHDRAWN


def test_the_queue_lists_open_requests_by_due_date_with_overdue_marked(cast):
    late, _ = _file(cast, kind="amend", details="Late one")
    RecordRequest.objects.filter(pk=late.pk).update(
        due_on=timezone.localdate() - timedelta(days=2))
    soon, _ = _file(cast, kind="restrict", details="Soon one")
    done, _ = _file(cast, kind="delete", details="Done one")
    requests.do_answer_request(done, acting=cast.admin, outcome="partly", answer="Some of it")
    body = login(Client(), cast.admin).get(reverse("records:queue")).content.decode()
    assert body.index("Correct my records") < body.index("Restrict a use")
    assert "Overdue" in body and "1 overdue" in body
    assert "Delete my records" not in body
    other = login(Client(), cast.other_clinician).get(reverse("records:queue")).content.decode()
    assert "Correct my records" not in other
    shown = AuditEvent.objects.filter(event=Event.PATIENT_LIST_VIEWED).first()
    assert shown is not None and str(cast.patient.uuid) in shown.subjects


def test_staff_extend_and_answer_from_the_request_page(cast):
    req, _ = _file(cast)
    client = login(Client(), cast.admin)
    args = [cast.patient.uuid, req.uuid]
    assert client.get(reverse("records:request", args=args)).status_code == 200
    bad = client.post(reverse("records:answer_request", args=args), {"outcome": "denied"})
    assert bad.status_code == 400 and "Written answer is required" in bad.content.decode()
    assert client.post(reverse("records:extend_request", args=args),
                       {"reason": "Waiting for the paper file"}).status_code == 302
    assert client.post(reverse("records:answer_request", args=args),
                       {"outcome": "granted", "answer": "Corrected."}).status_code == 302
    req.refresh_from_db()
    assert req.state == RecordRequest.State.GRANTED and req.extended_at is not None
    assert login(Client(), cast.readonly).get(
        reverse("records:request", args=args)).status_code == 403
