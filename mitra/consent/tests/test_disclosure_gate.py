"""The disclosure gate (`consent.disclosure`) and outside recipients through the access check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from mitra.accounts.models import Membership, Role
from mitra.audit.models import AuditEvent
from mitra.consent import disclosure
from mitra.consent.models import Consent, Disclosure, Purpose, Recipient, Scope
from mitra.patients.access import get_patient_for_user, patients_for_user
from mitra.testing import make_cast, make_user

pytestmark = pytest.mark.django_db


def consent(patient, **kw) -> Consent:
    base = dict(scope=Scope.ALL, recipient_kind=Consent.RecipientKind.ORGANISATION,
                recipient_name="Riverside Pharmacy", purpose=Purpose.TREATMENT,
                expiry_event="the end of my care", text_version="consent-2026-12",
                signed_name=patient.display_name,
                signed_at=timezone.now() - timedelta(minutes=1))
    base.update(kw)
    return Consent.objects.create(patient=patient, **base)


def ask(patient, **kw):
    base = dict(kinds=disclosure.KINDS_ALL, recipient_name="Riverside Pharmacy",
                purpose=Purpose.TREATMENT)
    base.update(kw)
    return base


def test_without_a_consent_the_disclosure_is_refused_naming_what_is_missing():
    cast = make_cast()
    with pytest.raises(disclosure.ConsentMissing, match="no active consent.*Riverside Pharmacy"):
        disclosure.disclose(cast.patient, channel=Disclosure.Channel.REPORT, what="Report",
                            acting=cast.clinician, **ask(cast.patient))
    assert not Disclosure.objects.exists()


def test_with_a_covering_consent_the_disclosure_is_recorded_with_its_audit_event_and_notice():
    cast = make_cast()
    given = consent(cast.patient)
    row = disclosure.disclose(cast.patient, channel=Disclosure.Channel.REPORT,
                              what="Report 2026-11-01 to 2026-11-30", acting=cast.clinician,
                              **ask(cast.patient))
    assert row.consent == given and row.scope == "all" and row.notice_version == "2.32-2024"
    event = AuditEvent.objects.get(event="disclosure.made")
    assert event.object_uuid == row.uuid and event.patient == cast.patient
    assert event.actor == cast.clinician


@pytest.mark.parametrize("change", [
    {"revoked_at": timezone.now() - timedelta(seconds=1)},
    {"expires_on": timezone.localdate() - timedelta(days=1), "expiry_event": ""},
    {"signed_at": timezone.now() + timedelta(hours=1)},
])
def test_a_revoked_expired_or_not_yet_signed_consent_does_not_cover(change):
    cast = make_cast()
    consent(cast.patient, **change)
    with pytest.raises(disclosure.ConsentMissing):
        disclosure.require_consent(cast.patient, **ask(cast.patient))


def test_a_consent_of_another_patient_covers_nothing():
    cast = make_cast()
    consent(cast.other_patient)
    with pytest.raises(disclosure.ConsentMissing):
        disclosure.require_consent(cast.patient, **ask(cast.patient))


def test_with_part_2_off_nothing_is_asked_and_the_disclosure_is_still_accounted(settings):
    settings.MITRA_PART2 = False
    cast = make_cast()
    row = disclosure.disclose(cast.patient, channel=Disclosure.Channel.EXPORT, what="Export",
                              acting=cast.clinician, **ask(cast.patient))
    assert row.consent is None and row.notice_version == ""
    assert AuditEvent.objects.filter(event="disclosure.made", object_uuid=row.uuid).exists()


def _recipient(cast, organisation="Riverside Pharmacy", purpose=Purpose.TREATMENT):
    user = make_user("rx", Role.RECIPIENT)
    Recipient.objects.create(user=user, organisation=organisation, purpose=purpose)
    Membership.objects.create(team=cast.team_a, user=user, access=Membership.Access.READ)
    return user


def _get(user, path):
    request = RequestFactory().get(path)
    request.user = user
    return request


def test_a_recipient_reaches_only_the_patients_whose_consent_covers_them():
    cast = make_cast()
    user = _recipient(cast)
    assert list(patients_for_user(user)) == []
    consent(cast.patient)
    consent(cast.other_patient)  # Team B: not the recipient's team
    assert list(patients_for_user(user)) == [cast.patient]


def test_a_tpo_consent_covers_a_recipient_whose_purpose_is_treatment_not_research():
    cast = make_cast()
    consent(cast.patient, recipient_kind=Consent.RecipientKind.TPO, recipient_name="",
            purpose=Purpose.TPO)
    assert list(patients_for_user(_recipient(cast))) == [cast.patient]
    Recipient.objects.filter(user__username="rx").update(purpose=Purpose.RESEARCH)
    user = type(cast.clinician).objects.get(username="rx")
    assert list(patients_for_user(user)) == []


def test_each_read_by_a_recipient_is_a_disclosure_and_revoking_stops_the_next_at_once():
    cast = make_cast()
    user = _recipient(cast)
    given = consent(cast.patient)
    path = f"/fhir/Patient/{cast.patient.uuid}"
    assert get_patient_for_user(_get(user, path), cast.patient.uuid) == cast.patient
    row = Disclosure.objects.get()
    assert (row.channel, row.recipient_account_id, row.consent) == ("api", user.pk, given)
    assert row.what == f"GET {path}"
    Consent.objects.filter(pk=given.pk).update(revoked_at=timezone.now())
    from django.http import Http404
    with pytest.raises(Http404):
        get_patient_for_user(_get(user, path), cast.patient.uuid)
    assert Disclosure.objects.count() == 1


def test_a_clinician_on_the_team_reads_without_a_disclosure():
    cast = make_cast()
    get_patient_for_user(_get(cast.clinician, "/patients/x"), cast.patient.uuid)
    assert not Disclosure.objects.exists()
