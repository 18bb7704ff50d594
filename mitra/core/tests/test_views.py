"""Core pages: the researcher's aggregates carry no identifier; home sends each role home."""

from __future__ import annotations

import pytest
from django.test import Client

from mitra.patients.cohort import build_cohort
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


def test_research_page_shows_aggregates_and_no_identifier():
    ctx = build_cohort(patients=15, days=30, seed=5)
    client = login(Client(), ctx.staff["researcher"])
    page = client.get("/research/").content.decode()
    assert "15 enrolled participants" in page
    for p in ctx.patients:
        patient = p.patient
        assert patient.display_name not in page
        assert patient.pseudonym not in page
        assert f">{patient.user.username}<" not in page
        assert str(patient.uuid) not in page


@pytest.mark.parametrize("actor, target", [
    ("clinician", "/caseload/"), ("patient_user", "/me/"), ("researcher", "/research/"),
    ("admin", "/admin/"),
])
def test_home_sends_each_role_to_its_page(actor, target):
    cast = make_cast()
    response = login(Client(), getattr(cast, actor)).get("/")
    assert response.status_code == 302
    assert response["Location"] == target


def test_caseload_lists_only_the_clinicians_teams():
    cast = make_cast()
    page = login(Client(), cast.clinician).get("/caseload/").content.decode()
    assert cast.patient.display_name in page
    assert cast.other_patient.display_name not in page
    assert "1 patient on your care teams" in page
