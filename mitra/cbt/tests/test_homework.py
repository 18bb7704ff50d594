import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.cbt.models import Homework
from mitra.cbt.tests import factories
from mitra.testing import MARKER, login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def assign(client, patient, **overrides):
    data = {"uuid": str(uuid.uuid4()), "kind": "module", "module_slug": "cravings",
            "due_on": (timezone.localdate() + timedelta(days=5)).isoformat(),
            "instructions": "Read it before Thursday"}
    data.update(overrides)
    return client.post(reverse("cbt:homework_assign", args=[patient.uuid]), data)


def test_the_clinician_assigns_homework(cast):
    client = login(Client(), cast.clinician)
    response = assign(client, cast.patient)
    assert response.status_code == 302
    homework = Homework.objects.get(patient=cast.patient)
    assert (homework.kind, homework.module_slug) == ("module", "cravings")
    assert homework.created_by == cast.clinician
    assert homework.title() == "Read: Cravings and urges"
    assert AuditEvent.objects.filter(event="cbt.homework.assigned").count() == 1
    page = client.get(reverse("cbt:patient", args=[cast.patient.uuid])).content.decode()
    assert "Read: Cravings and urges" in page and "Read it before Thursday" in page


def test_assigning_twice_with_one_uuid_makes_one(cast):
    client = login(Client(), cast.clinician)
    key = str(uuid.uuid4())
    assign(client, cast.patient, uuid=key)
    assign(client, cast.patient, uuid=key)
    assert Homework.objects.count() == 1
    assert assign(client, cast.patient, uuid=key, instructions="other").status_code == 409


def test_read_only_clinician_gets_403_and_no_form(cast):
    client = login(Client(), cast.readonly)
    assert assign(client, cast.patient).status_code == 403
    assert Homework.objects.count() == 0
    page = client.get(reverse("cbt:patient", args=[cast.patient.uuid])).content.decode()
    assert "read-only access" in page
    assert reverse("cbt:homework_assign", args=[cast.patient.uuid]) not in page


def test_another_team_gets_404(cast):
    client = login(Client(), cast.other_clinician)
    assert assign(client, cast.patient).status_code == 404
    assert client.get(reverse("cbt:patient", args=[cast.patient.uuid])).status_code == 404
    assert Homework.objects.count() == 0


def test_unknown_patient_is_404_and_get_is_405(cast):
    client = login(Client(), cast.clinician)
    assert assign(client, type("P", (), {"uuid": uuid.uuid4()})).status_code == 404
    url = reverse("cbt:homework_assign", args=[cast.patient.uuid])
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("overrides,message", [
    ({"kind": "juggling"}, "Exercise: juggling is not one of thought_record, activation"),
    ({"module_slug": ""}, "Module is required when the exercise is reading a module"),
    ({"due_on": "2000-01-01"}, "Due date must be between"),
    ({"due_on": ""}, "Due date is required (a date, YYYY-MM-DD)."),
])
def test_assign_validation_names_the_field(cast, overrides, message):
    response = assign(login(Client(), cast.clinician), cast.patient, **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Homework.objects.count() == 0


def test_the_patient_sees_and_completes_homework(cast):
    homework = factories.homework(cast.patient, cast.clinician, kind="module",
                                  module_slug="anxiety")
    client = login(Client(), cast.patient_user)
    home = client.get(reverse("core:me")).content.decode()
    assert "Read: Understanding anxiety" in home
    module_page = client.get(reverse("cbt:module", args=["anxiety"])).content.decode()
    assert reverse("cbt:homework_complete", args=[homework.uuid]) in module_page
    response = client.post(reverse("cbt:homework_complete", args=[homework.uuid]),
                           {"note": "Helpful"})
    assert response.status_code == 302
    homework.refresh_from_db()
    assert homework.completed_at is not None and homework.completion_note == "Helpful"
    # Completing again with the same note changes nothing; another note is refused.
    client.post(reverse("cbt:homework_complete", args=[homework.uuid]), {"note": "Helpful"})
    again = client.post(reverse("cbt:homework_complete", args=[homework.uuid]), {"note": "x"})
    assert again.status_code == 409
    assert AuditEvent.objects.filter(event="cbt.homework.completed").count() == 1


def test_overdue_is_derived_and_shown(cast):
    late = factories.homework(cast.patient, cast.clinician)
    Homework.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    factories.homework(cast.patient, cast.clinician)
    today = timezone.localdate()
    assert list(Homework.objects.overdue(today)) == [Homework.objects.get(pk=late.pk)]
    page = login(Client(), cast.clinician).get(
        reverse("cbt:patient", args=[cast.patient.uuid])).content.decode()
    assert "1 overdue" in page
    patient_page = login(Client(), cast.patient_user).get(reverse("cbt:home"))
    assert "Overdue" in patient_page.content.decode()


def test_a_patient_cannot_complete_another_patients_homework(cast):
    homework = factories.homework(cast.other_patient, cast.other_clinician)
    client = login(Client(), cast.patient_user)
    response = client.post(reverse("cbt:homework_complete", args=[homework.uuid]))
    assert response.status_code == 404
    assert MARKER not in response.content.decode()


def test_the_clinician_page_shows_the_patients_records(cast):
    factories.thought(cast.patient)
    item = factories.exposure_item(cast.patient, "Take the tram")
    factories.slot(cast.patient)
    page = login(Client(), cast.readonly).get(
        reverse("cbt:patient", args=[cast.patient.uuid])).content.decode()
    assert "Meeting at work" in page and item.situation in page and "Walk 10 minutes" in page
    assert "Too few observations" in page  # one record is not enough for an average
