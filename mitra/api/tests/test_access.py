"""Token access per role: the same rule as the web views, through the same helper."""

from __future__ import annotations

import pytest

from mitra.api.tests.helpers import (
    TokenClient,
    assert_error_shape,
    assert_operation_outcome,
    token_for,
)
from mitra.safety.actions import do_raise_alert
from mitra.safety.models import Alert
from mitra.testing import MARKER, make_cast

pytestmark = pytest.mark.django_db


def client_for(user) -> TokenClient:
    return TokenClient(token_for(user))


def _alerts(cast):
    for patient in (cast.patient, cast.other_patient):
        do_raise_alert(patient, kind=Alert.Kind.MISSED_DIARY, priority=Alert.Priority.NORMAL,
                       reason="No diary for 3 days", dedupe_key="missed:test")


def test_a_clinician_lists_only_their_teams_patients():
    cast = make_cast()
    body = client_for(cast.clinician).get("/api/patients").json()
    assert body["count"] == 1
    assert [p["uuid"] for p in body["items"]] == [str(cast.patient.uuid)]
    assert MARKER not in str(body)


def test_another_teams_patient_is_404_in_rest_and_fhir():
    cast = make_cast()
    client = client_for(cast.clinician)
    other = cast.other_patient.uuid
    assert_error_shape(client.get(f"/api/patients/{other}"), 404)
    assert_error_shape(client.get(f"/api/patients/{other}/alerts"), 404)
    assert_operation_outcome(client.get(f"/fhir/Patient/{other}"), 404)
    bundle = client.get("/fhir/Patient", _id=str(other)).json()
    assert bundle["total"] == 0


def test_an_unknown_or_malformed_uuid_is_404():
    cast = make_cast()
    client = client_for(cast.clinician)
    assert_error_shape(client.get("/api/patients/00000000-0000-4000-8000-000000000000"), 404)
    assert client.get("/api/patients/not-a-uuid").status_code == 404
    assert_operation_outcome(client.get("/fhir/Patient/not-a-uuid"), 404)


def test_a_read_only_clinician_reads_the_record():
    cast = make_cast()
    client = client_for(cast.readonly)
    assert client.get(f"/api/patients/{cast.patient.uuid}").status_code == 200
    assert client.get(f"/fhir/Patient/{cast.patient.uuid}").status_code == 200


def test_a_patient_reaches_only_their_own_record():
    cast = make_cast()
    client = client_for(cast.patient_user)
    body = client.get("/api/patients").json()
    assert [p["uuid"] for p in body["items"]] == [str(cast.patient.uuid)]
    assert client.get(f"/api/patients/{cast.patient.uuid}").status_code == 200
    assert_error_shape(client.get(f"/api/patients/{cast.other_patient.uuid}"), 404)
    # Alerts are the care team's worklist, as on the web.
    assert_error_shape(client.get("/api/alerts"), 404)


@pytest.mark.parametrize("role", ["researcher", "admin"])
def test_researchers_and_admins_get_no_identifiers(role):
    cast = make_cast()
    _alerts(cast)
    client = client_for(getattr(cast, role))
    listing = client.get("/api/patients")
    assert listing.json() == {"items": [], "count": 0}
    for url in (f"/api/patients/{cast.patient.uuid}", "/api/alerts"):
        assert_error_shape(client.get(url), 404)
    assert client.get("/fhir/Patient").json()["total"] == 0
    assert_operation_outcome(client.get(f"/fhir/Patient/{cast.patient.uuid}"), 404)
    for response in (listing, client.get("/fhir/Patient")):
        text = response.content.decode()
        assert cast.patient.display_name not in text
        assert cast.patient.pseudonym not in text


def test_the_alert_inbox_holds_only_the_care_teams_alerts():
    cast = make_cast()
    _alerts(cast)
    body = client_for(cast.clinician).get("/api/alerts").json()
    assert body["count"] == 1
    assert body["items"][0]["patient"] == str(cast.patient.uuid)
    assert body["items"][0]["priority_label"] == "Normal"
    other = client_for(cast.other_clinician).get("/api/alerts").json()
    assert [a["patient"] for a in other["items"]] == [str(cast.other_patient.uuid)]


def test_a_bad_filter_names_the_field_and_the_allowed_values():
    cast = make_cast()
    response = client_for(cast.clinician).get("/api/alerts", status="closed")
    body = assert_error_shape(response, 400, field="status")
    assert "open" in body["errors"][0]["problem"]
    assert body["errors"][0]["location"] == "query"


def test_lists_are_paginated():
    cast = make_cast()
    client = client_for(cast.clinician)
    body = client.get("/api/patients", limit=1, offset=1).json()
    assert body == {"items": [], "count": 1}
    assert_error_shape(client.get("/api/patients", limit=0), 400, field="limit")


def test_reading_a_record_through_the_api_is_audited():
    from mitra.audit.models import AuditEvent

    cast = make_cast()
    client_for(cast.clinician).get(f"/fhir/Patient/{cast.patient.uuid}")
    event = AuditEvent.objects.get(event="patient.record.viewed", patient=cast.patient)
    assert event.actor == cast.clinician


def test_fhir_search_refuses_unknown_parameters():
    cast = make_cast()
    response = client_for(cast.clinician).get("/fhir/Patient", family="x")
    body = assert_operation_outcome(response, 400)
    assert body["issue"][0]["expression"] == ["family"]


def test_fhir_without_the_fhir_scope_is_403():
    cast = make_cast()
    client = TokenClient(token_for(cast.clinician, ["read"]))
    assert_operation_outcome(client.get("/fhir/Patient"), 403)
    assert_operation_outcome(TokenClient(None).get("/fhir/Patient"), 401)
