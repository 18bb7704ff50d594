"""The audit trail: what is recorded, that it cannot be changed, and the admin's view of it."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from mitra.audit.models import AppendOnlyError, AuditEvent
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


def test_viewing_a_patient_record_is_recorded_with_who_what_when_where():
    cast = make_cast()
    client = login(Client(REMOTE_ADDR="203.0.113.9"), cast.clinician)
    before = AuditEvent.objects.count()
    response = client.get(f"/patients/{cast.patient.uuid}/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(event="patient.record.viewed")
    assert AuditEvent.objects.count() == before + 1
    assert event.actor == cast.clinician
    assert event.actor_role == "clinician"
    assert event.patient == cast.patient
    assert event.client_address == "203.0.113.9"
    assert event.detail == f"/patients/{cast.patient.uuid}/"
    assert event.at is not None
    # The request id ties the event to the response (and to the server's log line).
    assert event.request_id == response["X-Request-ID"]
    uuid.UUID(event.request_id)


def test_a_refused_view_records_nothing_about_the_patient():
    cast = make_cast()
    client = login(Client(), cast.other_clinician)
    assert client.get(f"/patients/{cast.patient.uuid}/").status_code == 404
    assert not AuditEvent.objects.filter(patient=cast.patient,
                                         event="patient.record.viewed").exists()


def test_every_response_carries_a_fresh_request_id():
    client = Client()
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second
    uuid.UUID(first)
    uuid.UUID(second)
    # A client cannot choose its own id.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="forged")["X-Request-ID"] != "forged"


def test_sign_in_and_out_are_recorded():
    cast = make_cast()
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.post("/accounts/login/", {"login": "pat", "password": "correct horse battery staple"})
    signed_in = AuditEvent.objects.get(event="account.signed_in")
    assert signed_in.actor == cast.patient_user
    assert signed_in.client_address == "198.51.100.4"
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(event="account.signed_out", actor=cast.patient_user).exists()


def test_events_cannot_be_changed_or_deleted_through_the_application():
    cast = make_cast()
    login(Client(), cast.clinician).get(f"/patients/{cast.patient.uuid}/")
    event = AuditEvent.objects.get(event="patient.record.viewed")
    event.detail = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["detail"])
    event.refresh_from_db()
    assert event.detail == f"/patients/{cast.patient.uuid}/"


# --- the admin page ----------------------------------------------------------------------------


def _trail(cast):
    """Three views by two clinicians of two patients, so the filters have something to tell."""
    login(Client(), cast.clinician).get(f"/patients/{cast.patient.uuid}/")
    login(Client(), cast.readonly).get(f"/patients/{cast.patient.uuid}/")
    login(Client(), cast.other_clinician).get(f"/patients/{cast.other_patient.uuid}/")


def _rows(response) -> int:
    return response.context["cl"].result_count


def test_admin_filters_the_trail_by_patient_actor_event_and_date():
    cast = make_cast()
    _trail(cast)
    admin = login(Client(), cast.admin)
    url = "/admin/audit/auditevent/"
    everything = admin.get(url)
    assert everything.status_code == 200
    views = AuditEvent.objects.filter(event="patient.record.viewed")
    assert _rows(admin.get(url, {"event_prefix": "patient.record"})) == views.count() == 3
    by_patient = admin.get(url, {"patient_code": cast.patient.pseudonym,
                                 "event_prefix": "patient."})
    assert _rows(by_patient) == 2
    assert _rows(admin.get(url, {"actor_name": "rory"})) == AuditEvent.objects.filter(
        actor=cast.readonly).count()
    assert _rows(admin.get(url, {"actor_name": "rory", "event_prefix": "patient."})) == 1
    assert _rows(admin.get(url, {"actor_role": "clinician",
                                 "patient_code": cast.other_patient.pseudonym})) == 1
    today = views.first().at
    dated = admin.get(url, {"at__year": today.year, "at__month": today.month,
                            "at__day": today.day, "event_prefix": "patient."})
    assert _rows(dated) == 3
    assert _rows(admin.get(url, {"at__year": today.year - 1})) == 0
    # The list shows study codes, not names.
    page = admin.get(url, {"event_prefix": "patient."}).content.decode()
    assert cast.patient.pseudonym in page
    assert cast.patient.display_name not in page


def test_admin_trail_is_read_only():
    cast = make_cast()
    _trail(cast)
    admin = login(Client(), cast.admin)
    event = AuditEvent.objects.filter(event="patient.record.viewed").first()
    assert admin.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    change = admin.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert change.status_code == 200  # a view-only page
    assert 'name="_save"' not in change.content.decode()
    response = admin.post(f"/admin/audit/auditevent/{event.pk}/change/", {"detail": "x"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.detail != "x"
    response = admin.post("/admin/audit/auditevent/", {
        "action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_only_admins_open_the_trail():
    cast = make_cast()
    for user in (cast.clinician, cast.researcher, cast.patient_user):
        response = login(Client(), user).get("/admin/audit/auditevent/")
        assert response.status_code == 302, user.role  # to the admin login, which refuses them


def test_admin_changes_to_teams_are_recorded():
    cast = make_cast()
    admin = login(Client(), cast.admin)
    response = admin.post("/admin/accounts/careteam/add/", {
        "name": "Team C",
        "membership_set-TOTAL_FORMS": "0", "membership_set-INITIAL_FORMS": "0",
        "membership_set-MIN_NUM_FORMS": "0", "membership_set-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(event="admin.careteam.created")
    assert event.actor == cast.admin and event.actor_role == "admin"
    assert event.detail == "name"


@pytest.mark.parametrize("path", ["/me/", "/diary/", "/measures/me/", "/cbt/"])
def test_a_patient_reading_their_own_record_is_recorded_once(path):
    cast = make_cast()
    client = login(Client(REMOTE_ADDR="192.0.2.7"), cast.patient_user)
    before = AuditEvent.objects.filter(event="patient.record.viewed").count()
    assert client.get(path).status_code == 200
    events = AuditEvent.objects.filter(event="patient.record.viewed").order_by("-id")
    assert events.count() == before + 1
    event = events.first()
    assert (event.actor, event.actor_role, event.patient) == (
        cast.patient_user, "patient", cast.patient)
    assert event.client_address == "192.0.2.7"
    assert event.detail == path
