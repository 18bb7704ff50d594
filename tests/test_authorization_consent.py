"""The consent rules in the authorization matrix: every endpoint through which records leave
the care team, against the consent that must cover it.

For each outward endpoint: without a consent, 403 naming what is missing, nothing disclosed,
the refusal audited; with one, 200, one Disclosure and its DISCLOSURE_MADE event, the §2.32
notice in what leaves; revoked, refused at once; expired, refused; with Part 2 handling off,
allowed without a consent, still accounted, without the notice.
"""

from __future__ import annotations

import html
import io
import uuid
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from mitra.audit.models import AuditEvent
from mitra.consent import part2
from mitra.consent.models import Consent, Disclosure, Purpose, Scope
from mitra.reports.disclosing import NOTICE_FILE
from mitra.testing import Cast, login, make_cast, make_recipient

pytestmark = pytest.mark.django_db

PHARMACY = "Riverside Pharmacy"


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_pages(content: bytes) -> list[str]:
    return [flat(p.extract_text()) for p in PdfReader(io.BytesIO(content)).pages]


def give_consent(patient, **kw) -> Consent:
    base = dict(scope=Scope.ALL, recipient_kind=Consent.RecipientKind.ORGANISATION,
                recipient_name=PHARMACY, purpose=Purpose.TREATMENT,
                expiry_event="the end of my care", text_version=part2.consent_text().version,
                signed_name=patient.display_name,
                signed_at=timezone.now() - timedelta(minutes=1))
    base.update(kw)
    return Consent.objects.create(patient=patient, **base)


def _form(**kw) -> dict:
    return {"uuid": str(uuid.uuid4()), "recipient_name": PHARMACY,
            "recipient_kind": "organisation", "purpose": "treatment", **kw}


@dataclass(frozen=True)
class Outward:
    """An endpoint through which records leave, and how its actor calls it."""

    name: str
    kind: str  # "pdf" or "zip"

    def call(self, cast: Cast, recipient, **form):
        if self.name == "reports:shared_report":
            client = login(Client(), recipient)
            return client.get(reverse(self.name, args=[cast.patient.uuid]))
        client = login(Client(), cast.clinician)
        return client.post(reverse(self.name, args=[cast.patient.uuid]), _form(**form))

    def notice_in(self, response) -> bool:
        notice = part2.notice()
        if self.kind == "pdf":
            pages = pdf_pages(response.content)
            return flat(notice.text) in pages[0] and all(notice.short in p for p in pages)
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        if NOTICE_FILE not in names:
            return False
        text = zipfile.ZipFile(io.BytesIO(response.content)).read(NOTICE_FILE).decode()
        return flat(notice.text) in flat(text)


OUTWARD = [Outward("reports:report_disclose", "pdf"), Outward("reports:export_disclose", "zip"),
           Outward("reports:shared_report", "pdf")]
IDS = [o.name for o in OUTWARD]


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def recipient(cast):
    return make_recipient(cast)


def _events(name: str) -> int:
    return AuditEvent.objects.filter(event=name).count()


@pytest.mark.parametrize("outward", OUTWARD, ids=IDS)
def test_without_a_consent_the_disclosure_is_refused_naming_what_is_missing(outward, cast,
                                                                            recipient):
    response = outward.call(cast, recipient)
    assert response.status_code == 403
    body = flat(response.content.decode())
    assert "No active consent" in body or "no active consent" in body
    assert PHARMACY in body and "for treatment" in body
    assert not Disclosure.objects.exists()
    refused = AuditEvent.objects.get(event="disclosure.refused")
    assert refused.patient == cast.patient
    assert _events("disclosure.made") == 0
    if outward.name != "reports:shared_report":  # staff get the way to the consents page
        assert reverse("consent:patient", args=[cast.patient.uuid]) in body


@pytest.mark.parametrize("outward", OUTWARD, ids=IDS)
def test_with_a_covering_consent_the_disclosure_is_made_accounted_and_carries_the_notice(
        outward, cast, recipient):
    given = give_consent(cast.patient)
    response = outward.call(cast, recipient)
    assert response.status_code == 200, response.content[:500]
    row = Disclosure.objects.get()
    assert (row.patient, row.consent, row.notice_version) == (
        cast.patient, given, part2.notice().version)
    assert row.recipient_name == PHARMACY and row.purpose == "treatment"
    made = AuditEvent.objects.get(event="disclosure.made")
    assert made.object_uuid == row.uuid
    assert outward.notice_in(response)
    assert _events("disclosure.refused") == 0


@pytest.mark.parametrize("outward", OUTWARD, ids=IDS)
def test_a_revoked_consent_refuses_the_next_disclosure_at_once(outward, cast, recipient):
    given = give_consent(cast.patient)
    assert outward.call(cast, recipient).status_code == 200
    Consent.objects.filter(pk=given.pk).update(revoked_at=timezone.now(),
                                               revoked_by=cast.patient_user)
    assert outward.call(cast, recipient).status_code == 403
    assert Disclosure.objects.count() == 1
    assert _events("disclosure.refused") == 1


@pytest.mark.parametrize("outward", OUTWARD, ids=IDS)
def test_an_expired_consent_refuses(outward, cast, recipient):
    give_consent(cast.patient, expires_on=timezone.localdate() - timedelta(days=1),
                 expiry_event="")
    assert outward.call(cast, recipient).status_code == 403
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("outward", OUTWARD, ids=IDS)
def test_a_consent_to_someone_else_or_for_another_purpose_refuses(outward, cast, recipient):
    give_consent(cast.patient, recipient_name="Lakeside Counselling")
    give_consent(cast.patient, purpose=Purpose.RESEARCH)
    response = outward.call(cast, recipient)
    assert response.status_code == 403
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("outward", OUTWARD, ids=IDS)
def test_with_part_2_off_it_is_allowed_without_consent_accounted_and_without_the_notice(
        outward, cast, recipient, settings):
    settings.MITRA_PART2 = False
    response = outward.call(cast, recipient)
    assert response.status_code == 200
    row = Disclosure.objects.get()
    assert row.consent is None and row.notice_version == ""
    assert AuditEvent.objects.filter(event="disclosure.made", object_uuid=row.uuid).exists()
    assert not outward.notice_in(response)


def test_the_tpo_consent_covers_a_report_for_treatment(cast, recipient):
    give_consent(cast.patient, recipient_kind=Consent.RecipientKind.TPO, recipient_name="",
                 purpose=Purpose.TPO)
    response = OUTWARD[0].call(cast, recipient, recipient_name="Dr Okafor")
    assert response.status_code == 200
    assert Disclosure.objects.get().recipient_name == "Dr Okafor"


def test_a_substance_use_only_consent_does_not_cover_the_whole_report(cast, recipient):
    give_consent(cast.patient, scope=Scope.SUBSTANCE_USE)
    response = OUTWARD[0].call(cast, recipient)
    assert response.status_code == 403
    assert "covers these records" in flat(response.content.decode())


def test_the_pdf_names_the_recipient_purpose_date_and_consent(cast, recipient):
    given = give_consent(cast.patient)
    pages = pdf_pages(OUTWARD[0].call(cast, recipient).content)
    today = timezone.localdate()
    assert (f"Disclosed to {PHARMACY} for treatment on {today.day} {today:%b %Y} under "
            f"consent {given.uuid}.") in pages[0]
    assert f"§2.32, version {part2.notice().version}" in pages[0]


def test_a_repeated_submission_discloses_once_and_a_reused_id_for_another_is_refused(cast):
    give_consent(cast.patient)
    client = login(Client(), cast.clinician)
    url = reverse("reports:report_disclose", args=[cast.patient.uuid])
    data = _form()
    assert client.post(url, data).status_code == 200
    assert client.post(url, data).status_code == 200
    assert Disclosure.objects.count() == 1 and _events("disclosure.made") == 1
    assert client.post(url, {**data, "recipient_name": "Someone Else"}).status_code == 409
    assert Disclosure.objects.count() == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("recipient_name", "  ", "Recipient's name is required"),
    ("purpose", "tpo", "Purpose: choose one of treatment, payment, operations"),
    ("recipient_kind", "robot", "The recipient is: choose one of organisation, person"),
    ("uuid", "not-a-uuid", "Submission id (uuid) is not a UUID"),
    ("end", "2999-01-01", "end: 2999-01-01 is in the future"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_disclosed(cast, field, value,
                                                                         message):
    give_consent(cast.patient)
    client = login(Client(), cast.clinician)
    response = client.post(reverse("reports:report_disclose", args=[cast.patient.uuid]),
                           _form(**{field: value}))
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not Disclosure.objects.exists()


def test_the_care_teams_own_copy_is_no_disclosure_and_has_no_notice(cast):
    client = login(Client(), cast.clinician)
    response = client.get(reverse("reports:report", args=[cast.patient.uuid]))
    assert response.status_code == 200
    assert not Disclosure.objects.exists()
    assert part2.notice().short not in " ".join(pdf_pages(response.content))


def test_the_for_whom_step_offers_both(cast):
    client = login(Client(), cast.clinician)
    body = client.get(reverse("reports:report_for_whom", args=[cast.patient.uuid])).content
    text = body.decode()
    assert reverse("reports:report", args=[cast.patient.uuid]) in text
    assert reverse("reports:report_disclose", args=[cast.patient.uuid]) in text
    assert not Disclosure.objects.exists()


def test_a_read_only_clinician_cannot_disclose(cast):
    give_consent(cast.patient)
    client = login(Client(), cast.readonly)
    response = client.post(reverse("reports:report_disclose", args=[cast.patient.uuid]),
                           _form())
    assert response.status_code == 403
    assert not Disclosure.objects.exists()


def test_the_recipients_home_lists_only_the_patients_whose_consent_covers_them(cast,
                                                                               recipient):
    client = login(Client(), recipient)
    assert client.get(reverse("core:home")).url == reverse("core:shared")
    assert cast.patient.display_name not in client.get(reverse("core:shared")).content.decode()
    give_consent(cast.patient)
    give_consent(cast.other_patient)  # Team B: not the recipient's team
    body = client.get(reverse("core:shared")).content.decode()
    assert cast.patient.display_name in body
    assert reverse("reports:shared_report", args=[cast.patient.uuid]) in body
    assert cast.other_patient.display_name not in body
    assert not Disclosure.objects.exists()  # the list is audited, not a disclosure
    assert AuditEvent.objects.filter(event="patient.list.viewed").exists()


def test_a_recipient_never_reaches_another_teams_patient(cast, recipient):
    give_consent(cast.other_patient)
    client = login(Client(), recipient)
    response = client.get(reverse("reports:shared_report", args=[cast.other_patient.uuid]))
    assert response.status_code == 404
    assert not Disclosure.objects.exists() and _events("disclosure.refused") == 0


def test_each_read_by_a_recipient_is_its_own_disclosure(cast, recipient):
    give_consent(cast.patient)
    client = login(Client(), recipient)
    url = reverse("reports:shared_report", args=[cast.patient.uuid])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    rows = list(Disclosure.objects.all())
    assert len(rows) == 2 and {r.recipient_account_id for r in rows} == {recipient.pk}
