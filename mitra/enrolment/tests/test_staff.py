"""A care-team admin invites a clinician, admin or researcher onto one of their teams: an account
without a password, the membership, one invitation mail (password, then their own
authenticator), audited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from mitra.accounts.models import Membership, Role, User
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.enrolment.tests.helpers import admin_on_team_a, link_path
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db

STAFF = "/enrolment/staff/"


@pytest.fixture
def cast():
    return make_cast()


def data(cast, **overrides):
    return {"first_name": "Dana", "last_name": "Doc", "email": "dana@clinic.example",
            "role": "clinician", "care_team": str(cast.team_a.uuid), "access": "write",
            **overrides}


def test_an_admin_invites_a_clinician_onto_their_team(cast, django_capture_on_commit_callbacks):
    client = admin_on_team_a(cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STAFF, data(cast, access="read"))
    assert response.status_code == 302
    dana = User.objects.get(email="dana@clinic.example")
    assert (dana.role, dana.username, dana.get_full_name()) == (Role.CLINICIAN, "dana",
                                                                "Dana Doc")
    assert not dana.has_usable_password()
    assert Membership.objects.get(user=dana).access == Membership.Access.READ
    assert [m.to for m in mail.outbox] == [["dana@clinic.example"]]
    assert "set up your authenticator app" in mail.outbox[0].body
    # Their link is the staff flow: a password form naming the authenticator step next.
    page = Client().get(link_path(mail.outbox[0].body))
    assert page.status_code == 200 and "authenticator app" in page.content.decode()
    event = AuditEvent.objects.get(event=Event.ENROLMENT_STAFF_INVITED)
    assert (event.actor, event.object_uuid) == (cast.admin, dana.uuid)
    assert event.detail == f"role clinician, access read (team {cast.team_a.uuid})"
    assert "Dana" not in event.detail and "dana@" not in event.detail


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"role": "patient"}, "role", "role: patient is not allowed; allowed: clinician, admin"),
    ({"email": "alice@example.org"}, "email", "is already the address of an account"),
    ({"care_team": "00000000-0000-4000-8000-000000000000"}, "care_team",
     "care_team: not one of your care teams; allowed: Team A"),
    ({"access": "all"}, "access", "access: all is not allowed; allowed: write, read"),
])
def test_bad_input_is_refused_naming_the_field(cast, overrides, field, words):
    response = admin_on_team_a(cast).post(STAFF, data(cast, **overrides))
    assert response.status_code == 400
    found = response.context["form"].errors
    assert list(found) == [field] and words in found[field][0], found
    assert not User.objects.filter(first_name="Dana").exists() and mail.outbox == []


def test_the_page_is_for_care_team_admins_on_a_team(cast):
    assert login(Client(), cast.admin).get(STAFF).status_code == 403  # on no team yet
    assert login(Client(), cast.clinician).get(STAFF).status_code == 404
    assert admin_on_team_a(cast).get(STAFF).status_code == 200
    # The admin's menu leads here and to enrolment.
    html = admin_on_team_a(cast).get(STAFF).content.decode()
    assert 'href="/enrolment/staff/"' in html and 'href="/enrolment/patients/add/"' in html
