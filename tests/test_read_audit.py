"""Every response that carries patient data records who saw which patients.

A list (the caseload, the alert inbox, the overdue list, `/api/patients`, `/api/alerts`, a FHIR
Patient search) records one `patient.list.viewed` event naming the patients it showed by UUID;
a patient's own FHIR searches record a view of their record, as naming it would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, token_for
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.measures.models import Schedule
from mitra.patients.models import Patient
from mitra.safety.tests.factories import make_alert
from mitra.testing import login, make_cast, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    cast = make_cast()
    # A second patient on Team A, so that a list shows more than one and paging shows fewer.
    cast.second = make_patient("pam", "Pam Second", cast.team_a)
    return cast


def list_events():
    return AuditEvent.objects.filter(event=Event.PATIENT_LIST_VIEWED).order_by("seq")


def one_new_list_event(before: int, response, actor) -> AuditEvent:
    assert response.status_code == 200, response.content[:500]
    events = list(list_events())
    assert len(events) == before + 1, [e.detail for e in events]
    event = events[-1]
    assert event.actor == actor and event.actor_role == actor.role
    assert event.patient_id is None
    return event


def team_a(cast) -> set[str]:
    return {str(cast.patient.uuid), str(cast.second.uuid)}


def test_fhir_patient_search_by_id_records_the_patient_shown(cast):
    client = TokenClient(token_for(cast.clinician, ["fhir"]))
    before = list_events().count()
    response = client.get("/fhir/Patient", _id=str(cast.patient.uuid))
    event = one_new_list_event(before, response, cast.clinician)
    assert response.json()["total"] == 1
    assert event.subjects == [str(cast.patient.uuid)]
    assert event.detail == "/fhir/Patient"
    # No names in the trail.
    assert cast.patient.display_name not in str(event.subjects) + event.detail


def test_fhir_patient_search_records_the_page_shown_not_the_whole_caseload(cast):
    client = TokenClient(token_for(cast.clinician, ["fhir"]))
    before = list_events().count()
    everyone = one_new_list_event(before, client.get("/fhir/Patient"), cast.clinician)
    assert set(everyone.subjects) == team_a(cast)
    first_page = one_new_list_event(before + 1, client.get("/fhir/Patient", _count="1"),
                                    cast.clinician)
    ids = [e["resource"]["id"] for e in client.get("/fhir/Patient", _count="1").json()["entry"]]
    assert first_page.subjects == ids and len(ids) == 1


def test_fhir_patient_search_that_finds_nobody_records_no_list(cast):
    client = TokenClient(token_for(cast.clinician, ["fhir"]))
    before = list_events().count()
    response = client.get("/fhir/Patient", _id=str(cast.other_patient.uuid))
    assert response.status_code == 200 and response.json()["total"] == 0
    assert list_events().count() == before


def test_api_patients_records_the_patients_listed(cast):
    client = TokenClient(token_for(cast.clinician, ["read"]))
    before = list_events().count()
    response = client.get("/api/patients")
    event = one_new_list_event(before, response, cast.clinician)
    assert set(event.subjects) == team_a(cast) == {p["uuid"] for p in response.json()["items"]}
    assert event.detail == "/api/patients"
    paged = client.get("/api/patients", limit=1, offset=1)
    event = one_new_list_event(before + 1, paged, cast.clinician)
    assert event.subjects == [paged.json()["items"][0]["uuid"]]


def test_api_alerts_records_the_patients_whose_alerts_were_listed(cast):
    make_alert(cast.patient)
    make_alert(cast.other_patient)  # Team B's: not listed to Team A
    client = TokenClient(token_for(cast.clinician, ["read"]))
    before = list_events().count()
    response = client.get("/api/alerts")
    event = one_new_list_event(before, response, cast.clinician)
    assert len(response.json()["items"]) == 1
    assert event.subjects == [str(cast.patient.uuid)]


def test_the_caseload_page_records_the_patients_on_the_page(cast):
    browser = login(Client(), cast.clinician)
    before = list_events().count()
    response = browser.get("/caseload/")
    event = one_new_list_event(before, response, cast.clinician)
    assert set(event.subjects) == team_a(cast)
    assert event.detail == "/caseload/"
    assert str(cast.other_patient.uuid) not in event.subjects


def test_the_alert_inbox_records_the_patients_with_alerts_shown(cast):
    make_alert(cast.second, key="a")
    make_alert(cast.second, key="b", kind="missed_diary", priority=2)
    browser = login(Client(), cast.clinician)
    before = list_events().count()
    event = one_new_list_event(before, browser.get("/safety/alerts/"), cast.clinician)
    assert event.subjects == [str(cast.second.uuid)]  # once, for two alerts


def test_an_empty_inbox_records_no_list(cast):
    browser = login(Client(), cast.other_clinician)
    before = list_events().count()
    assert browser.get("/safety/alerts/").status_code == 200
    assert list_events().count() == before


def test_the_overdue_list_records_the_patients_listed(cast):
    Schedule.objects.create(patient=cast.patient, instrument="phq9", every_days=None,
                            start=timezone.localdate() - timedelta(days=10),
                            created_by=cast.clinician)
    browser = login(Client(), cast.clinician)
    before = list_events().count()
    response = browser.get("/measures/overdue/")
    event = one_new_list_event(before, response, cast.clinician)
    assert event.subjects == [str(cast.patient.uuid)]


@pytest.mark.parametrize("path", ["/fhir/QuestionnaireResponse", "/fhir/Observation",
                                  "/fhir/MedicationStatement"])
def test_a_patients_own_fhir_search_without_patient_records_a_view_of_their_record(cast, path):
    client = TokenClient(token_for(cast.patient_user, ["fhir"]))
    views = AuditEvent.objects.filter(event=Event.PATIENT_RECORD_VIEWED)
    before = views.count()
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    assert views.count() == before + 1
    event = views.order_by("-seq").first()
    assert (event.actor, event.patient, event.detail) == (cast.patient_user, cast.patient, path)


def test_the_admin_trail_filter_by_patient_finds_the_lists_that_showed_them(cast):
    login(Client(), cast.clinician).get("/caseload/")
    response = login(Client(), cast.admin).get(
        "/admin/audit/auditevent/", {"patient_code": cast.second.pseudonym,
                                     "event": Event.PATIENT_LIST_VIEWED.value})
    assert response.context["cl"].result_count == 1
    assert Patient.objects.get(pk=cast.second.pk).display_name not in response.content.decode()
