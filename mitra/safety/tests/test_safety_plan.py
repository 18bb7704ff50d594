from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from mitra.safety.models import SafetyPlanVersion
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _plan(**fields):
    data = {"submission_uuid": str(uuid.uuid4()), "warning_signs": "", "coping_strategies": "",
            "social_distractions": "", "people_to_ask": "", "professionals": "",
            "safe_environment": "", "reasons_for_living": ""}
    data.update(fields)
    return data


def test_each_save_is_a_new_version_and_the_history_shows_them(cast):
    client = login(Client(), cast.patient_user)
    client.post(reverse("safety:my_plan_save"), _plan(warning_signs="Not sleeping"))
    client.post(reverse("safety:my_plan_save"), _plan(warning_signs="Not sleeping; isolating"))
    versions = SafetyPlanVersion.objects.filter(plan__patient=cast.patient)
    assert [v.number for v in versions] == [2, 1]
    page = client.get(reverse("safety:my_plan")).content.decode()
    assert "Version 2" in page and "isolating" in page and "data-print" in page
    history = client.get(reverse("safety:my_plan_history")).content.decode()
    assert "Version 1" in history and "Version 2" in history


def test_the_care_team_edits_the_same_plan(cast):
    login(Client(), cast.patient_user).post(reverse("safety:my_plan_save"),
                                            _plan(reasons_for_living="My dog"))
    clinician = login(Client(), cast.clinician)
    clinician.post(reverse("safety:patient_plan_save", args=[cast.patient.uuid]),
                   _plan(reasons_for_living="My dog", professionals="Clinic 555-0100"))
    latest = SafetyPlanVersion.objects.filter(plan__patient=cast.patient).first()
    assert latest.number == 2 and latest.created_by == cast.clinician


def test_a_repeated_submission_returns_the_stored_version(cast):
    client = login(Client(), cast.patient_user)
    data = _plan(warning_signs="A")
    client.post(reverse("safety:my_plan_save"), data)
    assert client.post(reverse("safety:my_plan_save"), data).status_code == 302
    assert SafetyPlanVersion.objects.count() == 1
    response = client.post(reverse("safety:my_plan_save"), {**data, "warning_signs": "B"})
    assert response.status_code == 409
    assert SafetyPlanVersion.objects.count() == 1


def test_read_only_clinicians_and_other_teams_cannot_save(cast):
    url = reverse("safety:patient_plan_save", args=[cast.patient.uuid])
    assert login(Client(), cast.readonly).post(url, _plan()).status_code == 403
    assert login(Client(), cast.other_clinician).post(url, _plan()).status_code == 404
    assert not SafetyPlanVersion.objects.exists()


def test_a_missing_submission_uuid_is_named(cast):
    response = login(Client(), cast.patient_user).post(reverse("safety:my_plan_save"),
                                                       {"warning_signs": "x"})
    assert response.status_code == 400
    assert "x" in response.content.decode()  # the answer is kept in the form
