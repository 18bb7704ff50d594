"""The consent actions: given, recorded from paper, revoked, ended by event; their refusals."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.consent import actions, disclosure, part2
from mitra.consent.models import Consent
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def terms(**kw):
    base = dict(scope="all", recipient_kind="organisation", recipient_name="Riverside Pharmacy",
                purpose="treatment", expires_on=None, expiry_event="the end of my care")
    base.update(kw)
    return base


def give(cast, submission=None, **kw):
    base = terms(**kw)
    signed = base.pop("signed_name", "Pat Example")
    return actions.do_give_consent(cast.patient, uuid=submission or uuid.uuid4(), **base,
                                   signed_name=signed, acting=cast.patient_user)


def gate(cast):
    return disclosure.require_consent(cast.patient, kinds=disclosure.KINDS_ALL,
                                      recipient_name="Riverside Pharmacy", purpose="treatment")


def test_a_consent_given_holds_the_signature_the_text_version_and_its_audit_event():
    cast = make_cast()
    before = timezone.now()
    consent, created = give(cast, signed_name="  Pat   Example ")
    assert created
    assert consent.signed_name == "Pat Example"
    assert consent.text_version == part2.consent_text().version
    assert before <= consent.signed_at <= timezone.now()
    assert consent.source == Consent.Source.APP and consent.is_active()
    event = AuditEvent.objects.get(event="consent.given")
    assert (event.patient, event.object_uuid, event.actor) == (
        cast.patient, consent.uuid, cast.patient_user)
    assert "Riverside" not in event.detail  # codes only in the trail
    assert gate(cast) == consent


def test_the_same_submission_again_returns_the_stored_consent():
    cast = make_cast()
    submission = uuid.uuid4()
    first, created = give(cast, submission)
    again, created_again = give(cast, submission)
    assert created and not created_again and again.pk == first.pk
    assert Consent.objects.count() == 1
    assert AuditEvent.objects.filter(event="consent.given").count() == 1


def test_the_submission_id_reused_for_another_consent_is_a_conflict():
    cast = make_cast()
    submission = uuid.uuid4()
    give(cast, submission)
    with pytest.raises(actions.SubmissionConflict, match=str(submission)):
        give(cast, submission, scope="substance_use")
    # Another patient reusing it: a conflict too, never their consent.
    with pytest.raises(actions.SubmissionConflict):
        actions.do_give_consent(cast.other_patient, uuid=submission, **terms(),
                                signed_name="Olly", acting=cast.other_patient_user)
    assert Consent.objects.get().scope == "all"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"scope": "everything"}, "scope", "allowed: substance_use, mental_health, all"),
    ({"recipient_kind": "friend"}, "recipient_kind", "allowed: person, organisation, tpo"),
    ({"purpose": "marketing"}, "purpose", "allowed: tpo, treatment"),
    ({"recipient_name": ""}, "recipient_name", "required for recipient kind organisation"),
    ({"recipient_name": "x" * 201}, "recipient_name", "at most 200"),
    ({"recipient_name": "Dr\x00Evil"}, "recipient_name", "NUL"),
    ({"recipient_kind": "tpo"}, "recipient_name", "leave it empty"),
    ({"recipient_kind": "tpo", "recipient_name": "", "purpose": "research"}, "purpose",
     "not allowed with recipient kind tpo"),
    ({"expiry_event": ""}, "expires_on", "an expiry is required"),
    ({"expires_on": timezone.localdate() + timedelta(days=30)}, "expires_on", "not both"),
    ({"expiry_event": "", "expires_on": timezone.localdate()}, "expires_on",
     "is not allowed; allowed: a date from"),
    ({"expiry_event": "", "expires_on": timezone.localdate() + timedelta(days=3653 + 3)},
     "expires_on", "is not allowed"),
    ({"expiry_event": "x" * 201}, "expiry_event", "at most 200"),
    ({"signed_name": "   "}, "signed_name", "required: type your full name"),
    ({"signed_name": "n" * 201}, "signed_name", "at most 200"),
])
def test_each_bad_field_is_refused_by_name_and_nothing_is_written(change, field, words):
    cast = make_cast()
    with pytest.raises(actions.ConsentError) as refused:
        give(cast, **change)
    assert field in refused.value.errors, refused.value.errors
    assert words in refused.value.errors[field]
    assert refused.value.errors[field].startswith(f"{field}:")
    assert not Consent.objects.exists() and not AuditEvent.objects.filter(
        event="consent.given").exists()


def test_an_expiry_date_ten_years_ahead_is_taken_and_a_tpo_consent_names_no_one():
    cast = make_cast()
    latest = actions.latest_expiry(timezone.localdate())
    consent, _ = give(cast, expiry_event="", expires_on=latest)
    assert consent.expires_on == latest
    tpo, _ = give(cast, recipient_kind="tpo", recipient_name="", purpose="tpo")
    assert tpo.recipient_label.startswith("Anyone receiving it")


def test_a_text_version_other_than_the_current_one_is_refused():
    cast = make_cast()
    with pytest.raises(actions.ConsentError, match="text_version: 'consent-1999'.*allowed: "):
        actions.do_give_consent(cast.patient, uuid=uuid.uuid4(), **terms(), signed_name="Pat",
                                text_version="consent-1999", acting=cast.patient_user)


def test_revoking_is_effective_at_once_for_the_disclosure_gate_and_idempotent():
    cast = make_cast()
    consent, _ = give(cast)
    assert gate(cast) == consent
    revoked = actions.do_revoke_consent(consent, acting=cast.patient_user, note="changed my mind")
    assert revoked.revoked_at is not None and revoked.revoked_by == cast.patient_user
    assert not revoked.is_active()
    with pytest.raises(disclosure.ConsentMissing, match="no active consent"):
        gate(cast)
    again = actions.do_revoke_consent(consent, acting=cast.patient_user)
    assert again.revoked_at == revoked.revoked_at and again.revocation_note == "changed my mind"
    assert AuditEvent.objects.filter(event="consent.revoked").count() == 1


def test_ending_by_its_event_ends_the_consent_and_a_dated_one_cannot_be():
    cast = make_cast()
    consent, _ = give(cast)
    ended = actions.do_end_consent_by_event(consent, acting=cast.admin, note="discharged")
    assert ended.revoked_by == cast.admin and not ended.is_active()
    assert ended.revocation_note == "Ended by its expiry event. discharged"
    event = AuditEvent.objects.get(event="consent.revoked")
    assert event.detail == "ended by its expiry event" and event.actor == cast.admin
    actions.do_end_consent_by_event(consent, acting=cast.admin)
    assert AuditEvent.objects.filter(event="consent.revoked").count() == 1
    dated, _ = give(cast, expiry_event="", expires_on=timezone.localdate() + timedelta(days=9))
    with pytest.raises(actions.ConsentError, match="expiry_event: this consent ends on a date"):
        actions.do_end_consent_by_event(dated, acting=cast.admin)
    dated.refresh_from_db()
    assert dated.revoked_at is None


def paper(cast, **kw):
    base = dict(uuid=uuid.uuid4(), **terms(), signed_name="Pat Example",
                signed_on=timezone.localdate() - timedelta(days=2), note="", scan=None,
                scan_name="")
    base.update(kw)
    return actions.do_record_paper_consent(cast.patient, acting=cast.admin, **base)


def test_a_paper_consent_is_recorded_with_its_scan_by_its_bytes():
    cast = make_cast()
    consent, created = paper(cast, scan=PNG, scan_name="../../etc/form.pdf")
    assert created and consent.source == Consent.Source.PAPER
    assert bytes(consent.scan) == PNG and consent.scan_type == "image/png"
    assert consent.scan_name == "form.png"
    assert consent.recorded_by == cast.admin
    assert timezone.localdate(consent.signed_at) == timezone.localdate() - timedelta(days=2)
    assert AuditEvent.objects.get(event="consent.recorded_from_paper").object_uuid == consent.uuid
    again, created_again = paper(cast, uuid=consent.uuid, scan=PNG, scan_name="x.png")
    assert again.pk == consent.pk and not created_again
    with pytest.raises(actions.SubmissionConflict):
        paper(cast, uuid=consent.uuid, scan=b"%PDF-1.7 other")


@pytest.mark.parametrize(("change", "field", "words"), [
    ({}, "scan", "a scan of the form or a note"),
    ({"scan": b"GIF89a fake", "scan_name": "form.png"}, "scan", "not a PDF, PNG or JPEG"),
    ({"note": "in the file", "signed_on": timezone.localdate() + timedelta(days=1)},
     "signed_on", "is not allowed; allowed: a date from"),
    ({"note": "in the file", "signed_on": None}, "signed_on", "required"),
    ({"note": "n" * 2001}, "note", "at most 2000"),
])
def test_a_bad_paper_consent_is_refused_by_name(change, field, words):
    cast = make_cast()
    with pytest.raises(actions.ConsentError) as refused:
        paper(cast, **change)
    assert words in refused.value.errors[field]
    assert not Consent.objects.exists()


def test_a_paper_form_from_years_before_enrolment_is_refused():
    cast = make_cast()
    long_ago = cast.patient.enrolled_on - timedelta(days=actions.PAPER_EARLIEST_DAYS + 1)
    with pytest.raises(actions.ConsentError, match="a year before enrolment"):
        paper(cast, note="in the file", signed_on=long_ago)
