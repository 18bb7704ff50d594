"""The patient's data export: a ZIP whose FHIR Bundle and CSVs match the database."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from mitra.accounts.models import Membership
from mitra.audit.models import AuditEvent
from mitra.consent.models import Consent, Purpose, Scope
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.diary.tests.factories import make_entry, make_plan
from mitra.measures.actions import do_submit_response
from mitra.measures.models import Response
from mitra.patients.models import Medication
from mitra.reports import export
from mitra.safety.actions import do_raise_alert
from mitra.safety.models import Alert
from mitra.safety.screening import do_add_medication
from mitra.testing import MARKER, login, make_cast

pytestmark = pytest.mark.django_db


def _records(cast, patient, user):
    today = timezone.localdate()
    patient.enrolled_on = today - timedelta(days=60)
    patient.save(update_fields=["enrolled_on"])
    for n in range(3):
        do_submit_response(patient, instrument="phq9",
                           answers={f"phq9.q{i}": 1 for i in range(1, 10)},
                           response_uuid=uuid.uuid4(), acting=user,
                           submitted_at=timezone.now() - timedelta(days=14 * n))
    for n in range(4):
        make_entry(patient, today - timedelta(days=n), mood=5, craving=3)
    make_entry(patient, today, mood=6)  # a second version of today: one current day
    do_add_medication(patient, name="sertraline", started_on=date(2026, 1, 5),
                      acting=cast.clinician)
    do_raise_alert(patient, kind=Alert.Kind.ESCALATION, priority=2, reason="rising use",
                   dedupe_key=f"t-{patient.pk}")
    make_plan(patient, by=cast.clinician)
    # Two consents: one active, one revoked (both are in the Bundle: everything Mitra holds).
    for revoked in (None, timezone.now()):
        Consent.objects.create(
            patient=patient, scope=Scope.SUBSTANCE_USE, recipient_kind="organisation",
            recipient_name="Riverside Pharmacy", purpose=Purpose.TREATMENT,
            expiry_event="the end of my care", text_version="consent-2026-12",
            signed_name=patient.display_name, signed_at=timezone.now() - timedelta(days=2),
            revoked_at=revoked)


@pytest.fixture
def cast():
    cast = make_cast()
    _records(cast, cast.patient, cast.patient_user)
    _records(cast, cast.other_patient, cast.other_patient_user)
    return cast


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _csv_rows(z: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(z.read(name).decode())))


def test_the_bundle_validates_and_counts_equal_the_database(cast):
    z = _zip(export.build_export(cast.patient).read())
    body = json.loads(z.read("everything.json"))
    bundle = Bundle.model_validate(body)
    assert bundle.type == "collection"
    kinds = [e.resource.__resource_type__ for e in bundle.entry]
    p = cast.patient
    responses = Response.objects.filter(patient=p)
    assert kinds.count("Patient") == 1
    assert kinds.count("QuestionnaireResponse") == responses.count() == 3
    assert kinds.count("MedicationStatement") == Medication.objects.filter(patient=p).count() == 1
    # Scores (one per scored response) plus the diary's figures of each current day: mood,
    # craving and kratom grams on three days, mood and grams on today's second version.
    current = DiaryEntry.objects.filter(patient=p, is_current=True)
    assert current.count() == 4
    scores = responses.exclude(total=None).count()
    assert kinds.count("Observation") == scores + 3 * 3 + 2
    assert kinds.count("Consent") == Consent.objects.filter(patient=p).count() == 2
    consents = [e.resource for e in bundle.entry if e.resource.__resource_type__ == "Consent"]
    assert sorted(c.status for c in consents) == ["active", "inactive"]
    # Substance-use records carry the DS4P labels (PHQ-9 ones do not carry the Part 2 policy).
    for entry in body["entry"]:
        codes = {c["code"] for c in entry["resource"].get("meta", {}).get("security", [])}
        if entry["resource"]["resourceType"] == "QuestionnaireResponse":
            assert codes == {"R", "PSY"}
        if entry["resource"]["id"].endswith("-craving"):
            assert codes == {"R", "42CFRPart2", "ETH"}
    assert str(p.uuid) in {e.resource.id for e in bundle.entry}


def test_each_csv_has_the_databases_rows_and_the_dictionary_names_its_columns(cast):
    z = _zip(export.build_export(cast.patient).read())
    p = cast.patient
    expected = {
        "patient.csv": 1,
        "questionnaire-responses.csv": Response.objects.filter(patient=p).count(),
        "diary-days.csv": DiaryEntry.objects.filter(patient=p).count(),
        "diary-uses.csv": UseEvent.objects.filter(patient=p).count(),
        "medications.csv": 1, "taper-plans.csv": 1,
        # The escalation raised here, and those the answered item 9 raised.
        "alerts.csv": Alert.objects.filter(patient=p).count(),
    }
    assert Alert.objects.filter(patient=p, kind=Alert.Kind.ESCALATION).count() == 1
    assert expected["diary-days.csv"] == 5
    for name, n in expected.items():
        assert len(_csv_rows(z, name)) == n, name
    for kind in export.KINDS:
        assert len(_csv_rows(z, kind.file)) == kind.rows(p).count(), kind.file
    answers = json.loads(_csv_rows(z, "questionnaire-responses.csv")[0]["answers"])
    assert answers["phq9.q1"] == 1
    dictionary = _csv_rows(z, "data-dictionary.csv")
    described = {(r["file"], r["column"]) for r in dictionary}
    for kind in export.KINDS:
        header = next(csv.reader(io.StringIO(z.read(kind.file).decode())))
        assert {(kind.file, c) for c in header} <= described
    alerts = next(r for r in dictionary if r["file"] == "alerts.csv" and not r["column"])
    assert "not in the FHIR bundle yet" in alerts["meaning"]
    assert z.read("report.pdf").startswith(b"%PDF")
    assert p.pseudonym in z.read("README.txt").decode()


def test_another_patients_data_never_appears(cast):
    z = _zip(export.build_export(cast.patient).read())
    other = cast.other_patient
    needles = [MARKER, other.pseudonym, str(other.uuid)]
    for name in z.namelist():
        if name == "report.pdf":
            continue
        text = z.read(name).decode()
        for needle in needles:
            assert needle not in text, (name, needle)
    assert cast.patient.display_name in z.read("patient.csv").decode()


def test_the_patient_downloads_their_own_zip_and_it_is_audited(client, cast):
    login(client, cast.patient_user)
    url = reverse("reports:my_export")
    page = client.get(url)
    assert page.status_code == 200 and b"Download the ZIP" in page.content
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    z = _zip(response.content)
    assert {"everything.json", "data-dictionary.csv", "report.pdf", "README.txt"} \
        <= set(z.namelist())
    event = AuditEvent.objects.get(event="patient.export.downloaded")
    assert event.patient_id == cast.patient.pk and event.actor_id == cast.patient_user.pk


def test_the_care_team_and_its_admin_download_a_patients_zip_others_get_404(client, cast):
    url = reverse("reports:patient_export", args=[cast.patient.uuid])
    assert client.post(url).status_code == 302  # anonymous: to sign-in
    login(client, cast.other_clinician)
    assert client.post(url).status_code == 404
    assert not AuditEvent.objects.filter(event="patient.export.downloaded").exists()
    login(client, cast.admin)
    assert client.post(url).status_code == 404  # an admin on none of the patient's teams
    Membership.objects.create(team=cast.team_a, user=cast.admin)
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    login(client, cast.clinician)
    assert client.post(url).status_code == 200
    events = AuditEvent.objects.filter(event="patient.export.downloaded",
                                       patient=cast.patient)
    assert {e.actor_id for e in events} == {cast.admin.pk, cast.clinician.pk}


def test_the_export_is_linked_for_the_patient_and_a_writer_only(client, cast):
    export_url = reverse("reports:patient_export", args=[cast.patient.uuid])
    timeline = reverse("reports:timeline", args=[cast.patient.uuid])
    login(client, cast.clinician)
    assert export_url in client.get(timeline).content.decode()
    login(client, cast.readonly)  # would get 403: not offered
    assert export_url not in client.get(timeline).content.decode()
    login(client, cast.patient_user)
    assert reverse("reports:my_export") in client.get(reverse("reports:my_trends")) \
        .content.decode()
