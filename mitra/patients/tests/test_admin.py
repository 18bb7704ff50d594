"""The admin's patient records: a new one is put on a care team as it is made (audited in the
patient's trail), and the list tells two patients of one name apart."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.patients.models import Patient
from mitra.testing import login, make_cast, make_patient

pytestmark = pytest.mark.django_db

PATIENTS = "/admin/patients/patient/"


def test_a_patient_added_in_the_admin_joins_the_care_team_chosen():
    cast = make_cast()
    client = login(Client(), cast.admin)
    form = client.get(f"{PATIENTS}add/")
    assert form.status_code == 200 and 'name="care_team"' in form.content.decode()
    data = {"display_name": "Ada Admin-Made", "pseudonym": "P-ADA1", "enrolled_on": "2026-11-01",
            "time_zone": "UTC", "language": "en", "phone": "", "date_of_birth": "1970-01-02"}
    missing = client.post(f"{PATIENTS}add/", data)
    assert missing.status_code == 200 and "This field is required" in missing.content.decode()
    assert not Patient.objects.filter(pseudonym="P-ADA1").exists()
    assert client.post(f"{PATIENTS}add/", {**data, "care_team": cast.team_b.pk}
                       ).status_code == 302
    patient = Patient.objects.get(pseudonym="P-ADA1")
    assert list(patient.care_teams.all()) == [cast.team_b]
    added = AuditEvent.objects.get(event=Event.ADMIN_CARETEAM_PATIENT_ADDED)
    assert (added.actor, added.patient, added.object_uuid) == (cast.admin, patient,
                                                               cast.team_b.uuid)
    # The change form keeps its fields: teams are changed on the team's page.
    assert 'name="care_team"' not in client.get(
        f"{PATIENTS}{patient.pk}/change/").content.decode()


def test_the_list_shows_date_of_birth_study_code_and_teams_to_tell_namesakes_apart():
    cast = make_cast()
    for username, born, team in (("sam1", date(1980, 1, 1), cast.team_a),
                                 ("sam2", date(1991, 6, 30), cast.team_b)):
        patient = make_patient(username, "Sam Same", team)
        patient.date_of_birth = born
        patient.save()
    html = login(Client(), cast.admin).get(f"{PATIENTS}?q=Sam").content.decode()
    for shown in ("T-sam1", "T-sam2", "1 Jan 1980", "30 Jun 1991", "Team A", "Team B"):
        assert shown in html, shown
