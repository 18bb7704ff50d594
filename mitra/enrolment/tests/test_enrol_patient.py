"""A clinician (or a care-team admin) enrols a patient from the caseload: one transaction makes
the account, record, intake and team membership, and one invitation is mailed after it; bad
input is refused naming the field; a likely duplicate must be confirmed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from mitra.accounts.models import Invitation, Role, User
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.enrolment.tests.helpers import ADD, admin_on_team_a, clinician, enrol_data, link_path
from mitra.patients.models import Intake, Patient
from mitra.testing import login, make_cast, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def post(client: Client, cast, **overrides):
    return client.post(ADD, enrol_data(cast, **overrides))


def errors(response) -> dict[str, list[str]]:
    return {name: list(errs) for name, errs in response.context["form"].errors.items()}


def test_enrolment_makes_account_record_intake_membership_and_mails_one_invitation(
        cast, django_capture_on_commit_callbacks):
    client = clinician(cast)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, cast, phone="+49 151 1234-5678", pseudonym="KR-0042")
    patient = Patient.objects.get(pseudonym="KR-0042")
    assert response.status_code == 302
    assert response["Location"] == f"/enrolment/patients/{patient.uuid}/invitation/"
    user = patient.user
    assert (user.role, user.email, user.username) == (Role.PATIENT, "nina@example.org", "nina")
    assert not user.has_usable_password()
    assert (patient.display_name, patient.date_of_birth) == ("Nina Newcomer", date(1990, 4, 5))
    assert (patient.phone, patient.time_zone, patient.language) == (
        "+4915112345678", "America/Los_Angeles", "en")
    assert Intake.objects.get(patient=patient).jurisdiction == "US-CA"
    assert list(patient.care_teams.all()) == [cast.team_a]
    assert Invitation.objects.filter(user=user, used_at__isnull=True).count() == 1
    # One mail, after the commit, to the patient's own address, with a working link.
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["nina@example.org"]]
    assert Client().get(link_path(mail.outbox[0].body)).status_code == 302
    # Audited with the fields' names, never their values.
    event = AuditEvent.objects.get(event=Event.ENROLMENT_PATIENT_ENROLLED)
    assert (event.actor, event.patient, event.object_uuid) == (cast.clinician, patient,
                                                               patient.uuid)
    assert event.detail.startswith("display_name,date_of_birth,email,jurisdiction,")
    assert "phone" in event.detail and "pseudonym" in event.detail
    for value in ("Nina", "1990", "nina@", "+49", "KR-0042", "Los_Angeles"):
        assert value not in event.detail
    assert AuditEvent.objects.filter(event=Event.ACCOUNT_INVITATION_SENT,
                                     object_uuid=user.uuid, detail="mailed").exists()


def test_a_blank_study_code_gets_a_new_unique_one_and_the_username_does_not_clash(cast):
    User.objects.create(username="nina", email="other@example.org")
    assert post(clinician(cast), cast).status_code == 302
    patient = Patient.objects.get(display_name="Nina Newcomer")
    assert patient.pseudonym.startswith("P-") and len(patient.pseudonym) == 10
    assert patient.user.username == "nina2"


def test_the_mail_waits_for_the_commit(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert post(clinician(cast), cast).status_code == 302
    assert mail.outbox == [] and len(callbacks) == 1


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"time_zone": "Mars/Olympus"}, "time_zone", "time_zone: unknown time zone 'Mars/Olympus'"),
    ({"phone": "0151 1234"}, "phone", "phone: 0151 1234 is not an international number"),
    ({"phone": "+0123456789"}, "phone", "+ then 8 to 15 digits"),
    ({"phone": "+1234567890123456"}, "phone", "E.164"),
    ({"email": "pat@example.org"}, "email", "email: pat@example.org is already the address"),
    ({"email": "PAT@Example.org"}, "email", "is already the address of an account"),
    ({"email": "not-an-address"}, "email", "email: give a whole address"),
    ({"email": ""}, "email", "email: give the person's own e-mail address"),
    ({"date_of_birth": "1899-12-31"}, "date_of_birth", "allowed: from 1900-01-01 to"),
    ({"jurisdiction": "XX"}, "jurisdiction", "jurisdiction: XX is not a known ISO 3166 code"),
    ({"language": "tlh"}, "language", "language: tlh is not one of the site's languages"),
    ({"pseudonym": "T-pat"}, "pseudonym", "pseudonym: T-pat is already another patient's"),
    ({"pseudonym": "no spaces!"}, "pseudonym", "allowed: up to 16 letters, digits, - and _"),
    ({"display_name": "   "}, "display_name", "display_name: give the patient's name"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(cast, overrides, field,
                                                                      words):
    users = User.objects.count()
    response = post(clinician(cast), cast, **overrides)
    assert response.status_code == 400
    found = errors(response)
    assert list(found) == [field], found
    assert words in found[field][0], found[field]
    # The answers are kept; nothing half-written; no mail.
    assert 'value="Nina Newcomer"' in response.content.decode() or field == "display_name"
    assert User.objects.count() == users and not Patient.objects.filter(
        display_name="Nina Newcomer").exists()
    assert mail.outbox == []


def test_a_date_of_birth_in_the_future_is_refused_naming_today(cast):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = post(clinician(cast), cast, date_of_birth=tomorrow.isoformat())
    assert response.status_code == 400
    assert errors(response)["date_of_birth"] == [
        f"date_of_birth: {tomorrow.isoformat()} is not allowed; allowed: from 1900-01-01 to "
        f"{timezone.localdate().isoformat()} (today)"]


def test_only_teams_with_write_membership_are_offered_and_accepted(cast):
    client = clinician(cast)
    page = client.get(ADD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Team A" in html and "Team B" not in html
    response = post(client, cast, care_team=str(cast.team_b.uuid))
    assert response.status_code == 400
    assert errors(response)["care_team"] == [
        "care_team: not one of your care teams; allowed: Team A"]


def test_a_read_only_clinician_may_not_enrol_and_is_told_why(cast):
    client = login(Client(), cast.readonly)
    for response in (client.get(ADD), post(client, cast)):
        assert response.status_code == 403
        assert "read-and-write member" in response.content.decode()
    assert not Patient.objects.filter(display_name="Nina Newcomer").exists()


@pytest.mark.parametrize("who", ["researcher", "patient_user"])
def test_other_roles_do_not_find_the_page(cast, who):
    assert login(Client(), getattr(cast, who)).get(ADD).status_code == 404


def test_a_care_team_admin_enrols_onto_their_team(cast):
    client = admin_on_team_a(cast)
    assert post(client, cast).status_code == 302
    patient = Patient.objects.get(display_name="Nina Newcomer")
    assert list(patient.care_teams.all()) == [cast.team_a]
    assert AuditEvent.objects.get(event=Event.ENROLMENT_PATIENT_ENROLLED).actor == cast.admin
    # and reaches the invitation page, which a clinician reaches from the record
    page = client.get(f"/enrolment/patients/{patient.uuid}/invitation/")
    assert page.status_code == 200 and "Invited, not signed up yet" in page.content.decode()


# --- a likely duplicate ------------------------------------------------------------------------


def test_the_same_name_and_date_of_birth_on_the_team_must_be_confirmed(cast):
    twin = make_patient("nina1", "Nina Newcomer", cast.team_a)
    twin.date_of_birth = date(1990, 4, 5)
    twin.save()
    client = clinician(cast)
    response = post(client, cast, display_name="  nina   NEWCOMER ")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Already on Team A?" in html
    assert twin.pseudonym in html and "enrolled" in html
    assert list(errors(response)) == ["enrol_anyway"]
    assert "tick “Enrol anyway”" in errors(response)["enrol_anyway"][0]
    assert Patient.objects.filter(display_name__iexact="nina newcomer").count() == 1
    confirmed = post(client, cast, display_name="Nina Newcomer", enrol_anyway="on")
    assert confirmed.status_code == 302
    assert Patient.objects.filter(display_name="Nina Newcomer").count() == 2


def test_the_same_name_on_another_team_or_born_another_day_is_no_duplicate(cast):
    other = make_patient("nina1", "Nina Newcomer", cast.team_b)
    other.date_of_birth = date(1990, 4, 5)
    other.save()
    elsewhere = make_patient("nina2", "Nina Newcomer", cast.team_a)
    elsewhere.date_of_birth = date(1991, 4, 5)
    elsewhere.save()
    response = post(clinician(cast), cast)
    assert response.status_code == 302
    # Team B's patient's study code never shows on Team A's clinician's page.
    assert other.pseudonym not in clinician(cast).get(ADD).content.decode()


def test_the_caseload_has_the_add_patient_button(cast):
    html = clinician(cast).get("/caseload/").content.decode()
    assert f'href="{ADD}"' in html and "Add patient" in html
