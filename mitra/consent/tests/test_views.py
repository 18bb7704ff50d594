"""The consent pages: the patient gives and revokes; the care team sees; an admin records paper."""

from __future__ import annotations

import struct
import uuid
import zlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.accounts.models import Membership
from mitra.audit.models import AuditEvent
from mitra.consent import disclosure, part2
from mitra.consent.models import Consent
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


def tiny_png() -> bytes:
    """A real 1x1 PNG, written out chunk by chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def as_user(user) -> Client:
    return login(Client(), user)


def give_data(**kw):
    base = {"uuid": str(uuid.uuid4()), "text_version": part2.consent_text().version,
            "scope": "all", "recipient_kind": "organisation",
            "recipient_name": "Riverside Pharmacy", "purpose": "treatment", "expires_on": "",
            "expiry_event": "the end of my care", "signed_name": "Pat Example"}
    base.update(kw)
    return base


def test_the_patient_gives_sees_and_revokes_a_consent():
    cast = make_cast()
    phone = as_user(cast.patient_user)
    page = phone.get(reverse("consent:give")).content.decode()
    text = part2.consent_text()
    assert text.text[:80] in page and text.version in page
    assert part2.notice().unverified in page  # the verified marks stay visible
    data = give_data()
    response = phone.post(reverse("consent:give"), data)
    assert response.status_code == 302 and response["Location"] == reverse("consent:mine")
    consent = Consent.objects.get(patient=cast.patient)
    assert str(consent.uuid) == data["uuid"]
    # A double tap: the same consent, no second row.
    assert phone.post(reverse("consent:give"), data).status_code == 302
    assert Consent.objects.count() == 1
    conflict = phone.post(reverse("consent:give"), {**data, "scope": "mental_health"})
    assert conflict.status_code == 409
    mine = phone.get(reverse("consent:mine")).content.decode()
    assert "Riverside Pharmacy" in mine and reverse("consent:revoke", args=[consent.uuid]) in mine
    confirm = phone.get(reverse("consent:revoke", args=[consent.uuid]))
    assert confirm.status_code == 200 and "Yes, revoke it" in confirm.content.decode()
    consent.refresh_from_db()
    assert consent.revoked_at is None  # asking is not revoking
    done = phone.post(reverse("consent:revoke", args=[consent.uuid]), {"note": ""})
    assert done.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    with pytest.raises(disclosure.ConsentMissing):
        disclosure.require_consent(cast.patient, kinds=disclosure.KINDS_ALL,
                                   recipient_name="Riverside Pharmacy", purpose="treatment")
    assert "Revoked" in phone.get(reverse("consent:mine")).content.decode()


def test_a_bad_consent_form_names_each_field_and_saves_nothing():
    cast = make_cast()
    phone = as_user(cast.patient_user)
    response = phone.post(reverse("consent:give"), give_data(
        scope="everything", signed_name="", expiry_event="",
        expires_on=(timezone.localdate() - timedelta(days=1)).isoformat()))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Which records: choose one of" in page
    assert "Type your full name to sign is required." in page
    assert not Consent.objects.exists()
    response = phone.post(reverse("consent:give"), give_data(
        expiry_event="", expires_on=timezone.localdate().isoformat()))
    assert response.status_code == 400
    assert "expires_on: " in response.content.decode() and "is not allowed" in (
        response.content.decode())


def test_another_patient_cannot_revoke_or_see_the_consent():
    cast = make_cast()
    as_user(cast.patient_user).post(reverse("consent:give"), give_data())
    consent = Consent.objects.get()
    other = as_user(cast.other_patient_user)
    assert other.get(reverse("consent:revoke", args=[consent.uuid])).status_code == 404
    assert other.post(reverse("consent:revoke", args=[consent.uuid])).status_code == 404
    assert "Riverside" not in other.get(reverse("consent:mine")).content.decode()
    consent.refresh_from_db()
    assert consent.revoked_at is None


def paper_data(**kw):
    base = give_data(signed_on=(timezone.localdate() - timedelta(days=1)).isoformat(), note="")
    del base["text_version"]
    base.update(kw)
    return base


def test_an_admin_records_a_paper_consent_with_a_real_png_and_the_team_downloads_it():
    cast = make_cast()
    Membership.objects.create(team=cast.team_a, user=cast.admin)
    admin = as_user(cast.admin)
    url = reverse("consent:record_paper", args=[cast.patient.uuid])
    assert admin.get(url).status_code == 200
    png = tiny_png()
    response = admin.post(url, paper_data(
        scan=SimpleUploadedFile("signed form.png", png, content_type="image/png")))
    assert response.status_code == 302, response.content.decode()[:2000]
    consent = Consent.objects.get()
    assert consent.source == "paper" and bytes(consent.scan) == png
    assert consent.scan_type == "image/png" and consent.recorded_by == cast.admin
    clinician = as_user(cast.readonly)  # read-only members see consents and scans
    page = clinician.get(reverse("consent:patient", args=[cast.patient.uuid])).content.decode()
    scan_url = reverse("consent:scan", args=[cast.patient.uuid, consent.uuid])
    assert "Riverside Pharmacy" in page and scan_url in page
    download = clinician.get(scan_url)
    assert download.status_code == 200 and download.content == png
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="signed-form.png"'
    assert download["X-Content-Type-Options"] == "nosniff"
    viewed = AuditEvent.objects.get(event="consent.scan.viewed")
    assert viewed.actor == cast.readonly and viewed.object_uuid == consent.uuid


def test_a_fake_png_and_a_paper_consent_with_neither_scan_nor_note_are_refused():
    cast = make_cast()
    clinician = as_user(cast.clinician)
    url = reverse("consent:record_paper", args=[cast.patient.uuid])
    fake = SimpleUploadedFile("form.png", b"<html><script>alert(1)</script>",
                              content_type="image/png")
    response = clinician.post(url, paper_data(scan=fake))
    assert response.status_code == 400
    assert "scan: the file is not a PDF, PNG or JPEG" in response.content.decode()
    response = clinician.post(url, paper_data())
    assert response.status_code == 400
    assert "a scan of the form or a note" in response.content.decode()
    assert not Consent.objects.exists()
    # A note is enough.
    assert clinician.post(url, paper_data(note="In the paper file")).status_code == 302
    # A read-only member may not record.
    assert as_user(cast.readonly).post(url, paper_data(note="x")).status_code == 403


def test_another_teams_clinician_gets_404_everywhere():
    cast = make_cast()
    consent = Consent.objects.create(
        patient=cast.patient, scope="all", recipient_kind="tpo", purpose="tpo",
        expiry_event="the end of my care", text_version="consent-2026-12",
        signed_name="Pat", signed_at=timezone.now(), source="paper", scan=b"%PDF-1.4",
        scan_type="application/pdf", scan_name="f.pdf")
    bob = as_user(cast.other_clinician)
    p = cast.patient.uuid
    assert bob.get(reverse("consent:patient", args=[p])).status_code == 404
    assert bob.get(reverse("consent:record_paper", args=[p])).status_code == 404
    assert bob.get(reverse("consent:scan", args=[p, consent.uuid])).status_code == 404
    assert bob.post(reverse("consent:end", args=[p, consent.uuid])).status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert not AuditEvent.objects.filter(event="consent.scan.viewed").exists()


def test_the_care_team_records_an_expiry_event_and_the_patient_page_shows_the_panel():
    cast = make_cast()
    consent = Consent.objects.create(
        patient=cast.patient, scope="all", recipient_kind="tpo", purpose="tpo",
        expiry_event="the end of my care", text_version="consent-2026-12",
        signed_name="Pat", signed_at=timezone.now())
    alice = as_user(cast.clinician)
    overview = alice.get(f"/patients/{cast.patient.uuid}/").content.decode()
    assert 'id="panel-consents"' in overview
    assert reverse("consent:patient", args=[cast.patient.uuid]) in overview
    response = alice.post(reverse("consent:end", args=[cast.patient.uuid, consent.uuid]),
                          {"note": "discharged"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == cast.clinician
    page = alice.get(reverse("consent:patient", args=[cast.patient.uuid])).content.decode()
    assert "Ended" in page


def test_my_consents_is_linked_from_the_patients_home():
    cast = make_cast()
    home = as_user(cast.patient_user).get(reverse("core:me")).content.decode()
    assert reverse("consent:mine") in home
