"""FHIR Consent (read-only), DS4P security labels, and outside recipients' per-kind reads.

Every resource is validated with fhir.resources (R4B models, the R4 Consent's shape)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent as FhirConsent

from mitra.accounts.models import Membership, Role
from mitra.api.tests.helpers import TokenClient, assert_operation_outcome, token_for
from mitra.consent import labels
from mitra.consent.models import Consent, Disclosure, Purpose, Recipient, Scope
from mitra.diary.tests.factories import make_entry
from mitra.measures.actions import do_submit_response
from mitra.measures.models import Response
from mitra.safety.screening import do_add_medication
from mitra.testing import make_cast, make_user

pytestmark = pytest.mark.django_db

R = (labels.CONFIDENTIALITY, "R")
PART2 = (labels.ACT_CODE, "42CFRPart2")
ETH = (labels.ACT_CODE, "ETH")
PSY = (labels.ACT_CODE, "PSY")


def _consent(patient, **kw) -> Consent:
    base = dict(scope=Scope.ALL, recipient_kind=Consent.RecipientKind.ORGANISATION,
                recipient_name="Riverside Pharmacy", purpose=Purpose.TREATMENT,
                expiry_event="the end of my care", text_version="consent-2026-12",
                signed_name=patient.display_name,
                signed_at=timezone.now() - timedelta(days=1))
    base.update(kw)
    return Consent.objects.create(patient=patient, **base)


def _records(cast) -> None:
    """A PHQ-9 and a COWS, a diary day with use, sertraline and kratom on the list."""
    p = cast.patient
    do_submit_response(p, instrument="phq9", answers={f"phq9.q{i}": 1 for i in range(1, 10)},
                       response_uuid=uuid.uuid4(), acting=cast.patient_user)
    do_submit_response(p, instrument="auditc",
                       answers={"auditc.q1": 1, "auditc.q2": 0, "auditc.q3": 0},
                       response_uuid=uuid.uuid4(), acting=cast.patient_user)
    p.enrolled_on = timezone.localdate() - timedelta(days=10)
    p.save(update_fields=["enrolled_on"])
    make_entry(p, timezone.localdate(), mood=5, craving=4, withdrawal=2)
    do_add_medication(p, name="sertraline", started_on=date(2026, 1, 5), acting=cast.clinician)
    do_add_medication(p, name="Kratom powder", started_on=date(2026, 1, 5),
                      acting=cast.clinician)


def _codes(resource) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in resource.get("meta", {}).get("security", [])}


def _everything(client, patient) -> list[dict]:
    response = client.get(f"/fhir/Patient/{patient.uuid}/$everything")
    assert response.status_code == 200, response.content
    body = response.json()
    Bundle.model_validate(body)
    return [e["resource"] for e in body["entry"]]


MENTAL = {"phq9", "phq2", "gad7", "gad2", "mood", "anxiety", "sleep-quality"}


def _origin(resource) -> str | None:
    """The kind a resource is about, worked out here from what it is, not from its labels:
    the instrument (of the response a score is derived from), the diary figure, the drug."""
    rtype = resource["resourceType"]
    if rtype == "QuestionnaireResponse":
        instrument = resource["questionnaire"].rsplit("/", 1)[-1]
        return "mental_health" if instrument in MENTAL else "substance_use"
    if rtype == "Observation" and resource["id"].startswith("score-"):
        row = Response.objects.get(uuid=resource["id"].removeprefix("score-"))
        return "mental_health" if row.instrument in MENTAL else "substance_use"
    if rtype == "Observation":
        code = resource["code"]["coding"][0]["code"]
        return "mental_health" if code in MENTAL else "substance_use"
    if rtype == "MedicationStatement":
        name = resource["medicationCodeableConcept"]["text"]
        return "substance_use" if "kratom" in name.lower() else "mental_health"
    return None


def test_every_substance_use_resource_carries_the_three_labels_and_no_other_carries_part2():
    cast = make_cast()
    _records(cast)
    _consent(cast.patient)
    resources = _everything(TokenClient(token_for(cast.clinician)), cast.patient)
    seen = {"substance_use": 0, "mental_health": 0, None: 0}
    for resource in resources:
        origin = _origin(resource)
        seen[origin] += 1
        if origin == "substance_use":
            assert {R, PART2, ETH} <= _codes(resource), resource["id"]
            assert PSY not in _codes(resource)
        elif origin == "mental_health":
            assert _codes(resource) == {R, PSY}, resource["id"]
        else:
            assert _codes(resource) == set(), resource["id"]
    # AUDIT-C response and total, craving, withdrawal, kratom grams, the kratom medication.
    assert seen["substance_use"] == 6
    assert seen["mental_health"] == 4  # PHQ-9 response and total, mood, sertraline
    assert seen[None] == 2  # the Patient and the Consent


def test_with_part_2_off_there_is_no_part2_policy_label(settings):
    settings.MITRA_PART2 = False
    cast = make_cast()
    _records(cast)
    resources = _everything(TokenClient(token_for(cast.clinician)), cast.patient)
    assert not any(PART2 in _codes(r) for r in resources)
    assert any({R, ETH} == _codes(r) for r in resources)


def test_a_consent_reads_as_a_valid_fhir_consent():
    cast = make_cast()
    given = _consent(cast.patient, scope=Scope.SUBSTANCE_USE, purpose=Purpose.TPO,
                     recipient_kind=Consent.RecipientKind.TPO, recipient_name="")
    client = TokenClient(token_for(cast.clinician))
    body = client.get(f"/fhir/Consent/{given.uuid}").json()
    FhirConsent.model_validate(body)
    assert body["id"] == str(given.uuid)
    assert body["status"] == "active"
    assert body["scope"]["coding"][0]["code"] == "patient-privacy"
    assert body["category"][0]["coding"][0] == {
        "system": "http://loinc.org", "code": "59284-0", "display": "Consent Document"}
    assert body["patient"] == {"reference": f"Patient/{cast.patient.uuid}"}
    assert body["dateTime"] == given.signed_at.isoformat()
    assert body["policy"] == [
        {"uri": "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"}]
    assert body["organization"] == [{"display": "Team A"}]
    provision = body["provision"]
    assert [p["code"] for p in provision["purpose"]] == ["TREAT", "HPAYMT", "HOPERAT"]
    assert {p["system"] for p in provision["purpose"]} == {
        "http://terminology.hl7.org/CodeSystem/v3-ActReason"}
    assert provision["actor"][0]["reference"]["display"].startswith("Anyone receiving it")
    assert provision["actor"][0]["role"]["coding"][0]["code"] == "IRCP"
    assert [c["code"] for c in provision["securityLabel"]] == ["ETH"]
    assert "end" not in provision["period"]
    assert provision["extension"] == [{
        "url": "https://mitra.invalid/fhir/StructureDefinition/consent-expiry-event",
        "valueString": "the end of my care"}]
    assert "sourceAttachment" not in body


@pytest.mark.parametrize(("purpose", "codes"), [
    (Purpose.TREATMENT, ["TREAT"]), (Purpose.PAYMENT, ["HPAYMT"]),
    (Purpose.OPERATIONS, ["HOPERAT"]), (Purpose.PATIENT_REQUEST, ["PATRQT"]),
    (Purpose.RESEARCH, ["HRESCH"]),
])
def test_each_purpose_is_its_act_reason_code(purpose, codes):
    cast = make_cast()
    given = _consent(cast.patient, purpose=purpose)
    body = TokenClient(token_for(cast.clinician)).get(f"/fhir/Consent/{given.uuid}").json()
    assert [p["code"] for p in body["provision"]["purpose"]] == codes
    assert [c["code"] for c in body["provision"]["securityLabel"]] == ["ETH", "PSY"]


def test_revoked_and_expired_consents_are_inactive_and_a_paper_scan_is_named_not_sent():
    cast = make_cast()
    now = timezone.now()
    revoked = _consent(cast.patient, revoked_at=now - timedelta(hours=1))
    expired = _consent(cast.patient, expires_on=timezone.localdate() - timedelta(days=1),
                       expiry_event="")
    paper = _consent(cast.patient, source=Consent.Source.PAPER, scan=b"%PDF-1.4 secret bytes",
                     scan_type="application/pdf", scan_name="consent-form.pdf",
                     expires_on=timezone.localdate() + timedelta(days=30), expiry_event="")
    client = TokenClient(token_for(cast.patient_user))
    bodies = {b["id"]: b for b in (client.get(f"/fhir/Consent/{c.uuid}").json()
                                   for c in (revoked, expired, paper))}
    for body in bodies.values():
        FhirConsent.model_validate(body)
    assert bodies[str(revoked.uuid)]["status"] == "inactive"
    assert bodies[str(revoked.uuid)]["provision"]["period"]["end"] == \
        revoked.revoked_at.isoformat()
    assert bodies[str(expired.uuid)]["status"] == "inactive"
    assert bodies[str(expired.uuid)]["provision"]["period"]["end"] == \
        expired.expires_on.isoformat()
    scanned = bodies[str(paper.uuid)]
    assert scanned["status"] == "active"
    assert scanned["sourceAttachment"] == {"title": "consent-form.pdf",
                                           "contentType": "application/pdf"}
    assert "secret" not in str(scanned) and "JVBER" not in str(scanned)


def test_consent_search_by_patient_and_the_care_team_check():
    cast = make_cast()
    mine = [_consent(cast.patient), _consent(cast.patient, purpose=Purpose.PAYMENT)]
    theirs = _consent(cast.other_patient)
    client = TokenClient(token_for(cast.clinician))
    body = client.get("/fhir/Consent", patient=f"Patient/{cast.patient.uuid}").json()
    Bundle.model_validate(body)
    assert body["total"] == 2
    assert {e["resource"]["id"] for e in body["entry"]} == {str(c.uuid) for c in mine}
    assert_operation_outcome(client.get("/fhir/Consent", patient=str(cast.other_patient.uuid)),
                             404)
    assert_operation_outcome(client.get(f"/fhir/Consent/{theirs.uuid}"), 404)
    assert_operation_outcome(client.get("/fhir/Consent/not-a-uuid"), 404)
    assert_operation_outcome(client.get("/fhir/Consent", status="active"), 400)
    # The patient's own search needs no parameter and shows only their consents.
    own = TokenClient(token_for(cast.patient_user)).get("/fhir/Consent").json()
    assert {e["resource"]["id"] for e in own["entry"]} == {str(c.uuid) for c in mine}


def test_the_capability_statement_names_consent_read_and_search():
    body = TokenClient(None).get("/fhir/metadata").json()
    entry = next(r for r in body["rest"][0]["resource"] if r["type"] == "Consent")
    assert {i["code"] for i in entry["interaction"]} == {"read", "search-type"}
    assert {p["name"] for p in entry["searchParam"]} == {"patient", "subject"}


# -- outside recipients ---------------------------------------------------------------------


def _recipient(cast):
    user = make_user("rx", Role.RECIPIENT)
    Recipient.objects.create(user=user, organisation="Riverside Pharmacy",
                             purpose=Purpose.TREATMENT)
    Membership.objects.create(team=cast.team_a, user=user, access=Membership.Access.READ)
    return user


def test_a_recipient_with_a_substance_use_consent_sees_no_phq9():
    cast = make_cast()
    _records(cast)
    covering = _consent(cast.patient, scope=Scope.SUBSTANCE_USE)
    other = _consent(cast.patient, recipient_name="Dr Okafor")  # not theirs to see
    client = TokenClient(token_for(_recipient(cast)))
    resources = _everything(client, cast.patient)
    types = [r["resourceType"] for r in resources]
    assert types.count("Patient") == 1
    questionnaires = {r["questionnaire"].rsplit("/", 1)[-1] for r in resources
                      if r["resourceType"] == "QuestionnaireResponse"}
    assert questionnaires == {"auditc"}
    assert not any(PSY in _codes(r) for r in resources)
    assert all(ETH in _codes(r) for r in resources if r["resourceType"] not in
               ("Patient", "Consent"))
    assert [r["id"] for r in resources if r["resourceType"] == "Consent"] == [str(covering.uuid)]
    diary = {r["code"]["coding"][0]["code"] for r in resources
             if r["resourceType"] == "Observation" and r["id"].startswith("diary-")}
    assert diary == {"craving", "withdrawal", "kratom-grams"}
    meds = [r["medicationCodeableConcept"]["text"] for r in resources
            if r["resourceType"] == "MedicationStatement"]
    assert meds == ["Kratom powder"]

    patient = f"Patient/{cast.patient.uuid}"
    qrs = client.get("/fhir/QuestionnaireResponse", patient=patient).json()
    assert qrs["total"] == 1 and "auditc" in qrs["entry"][0]["resource"]["questionnaire"]
    observations = client.get("/fhir/Observation", patient=patient).json()
    assert not any(PSY in _codes(e["resource"]) for e in observations["entry"])
    # The AUDIT-C total and three diary figures.
    assert observations["total"] == len(observations["entry"]) == 4
    medications = client.get("/fhir/MedicationStatement", patient=patient).json()
    assert medications["total"] == 1
    consents = client.get("/fhir/Consent", patient=patient).json()
    assert [e["resource"]["id"] for e in consents["entry"]] == [str(covering.uuid)]
    assert_operation_outcome(client.get(f"/fhir/Consent/{other.uuid}"), 404)

    # Reading the PHQ-9 by its id is refused, naming what the consent leaves out.
    phq9 = Response.objects.get(patient=cast.patient, instrument="phq9")
    refused = assert_operation_outcome(client.get(f"/fhir/QuestionnaireResponse/{phq9.uuid}"),
                                       403)
    assert "mental-health records" in refused["issue"][0]["diagnostics"]
    assert_operation_outcome(client.get(f"/fhir/Observation/score-{phq9.uuid}"), 403)
    # Every read was accounted as a disclosure under the covering consent.
    assert Disclosure.objects.filter(consent=covering).count() >= 7


def test_a_recipient_with_a_whole_record_consent_sees_both_kinds():
    cast = make_cast()
    _records(cast)
    _consent(cast.patient, scope=Scope.ALL)
    resources = _everything(TokenClient(token_for(_recipient(cast))), cast.patient)
    assert any(PSY in _codes(r) for r in resources)
    assert any(ETH in _codes(r) for r in resources)
