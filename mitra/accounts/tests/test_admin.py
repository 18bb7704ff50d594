"""The care-team admin cannot take over an account, and every change they make is audited.

Nobody sets or learns another person's password: the set-password page is refused, the user
forms have no password field, a new account gets an invitation, a locked-out person gets a
reset link at their own address. Every admin change (users, teams, memberships, patient
records, unlocks, bulk actions) records a Mitra audit event naming the fields changed.
"""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from mitra.accounts.models import CareTeam, Membership, Role, User
from mitra.accounts.tests.helpers import add_inline_form, admin_form_data
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.testing import TEST_PASSWORD, login, make_cast, make_user

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


def admin_client(cast) -> Client:
    return login(Client(), cast.admin)


def events(event: Event):
    return AuditEvent.objects.filter(event=event).order_by("seq")


@pytest.fixture
def cast():
    return make_cast()


# --- nobody sets another person's password ----------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_the_set_password_page_is_refused_for_every_account(cast, who):
    if who == "superuser":
        boss = make_user("boss", Role.ADMIN, is_superuser=True)
        client = login(Client(), boss)
    else:
        client = admin_client(cast)
    for target in (cast.patient_user, cast.clinician, cast.admin):
        url = f"{USERS}{target.pk}/password/"
        assert client.get(url).status_code == 403, target
        response = client.post(url, {"password1": "a brand new passphrase 9",
                                     "password2": "a brand new passphrase 9"})
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.check_password(TEST_PASSWORD), f"{target}'s password was changed"


def test_the_user_forms_have_no_password_field_and_no_link_to_set_one(cast):
    client = admin_client(cast)
    for url in (f"{USERS}add/", f"{USERS}{cast.patient_user.pk}/change/"):
        page = client.get(url)
        html = page.content.decode()
        assert page.status_code == 200
        form = page.context["adminform"].form
        assert not {"password", "password1", "password2"} & set(form.fields), url
        assert 'type="password"' not in html and "password/" not in html, url


def test_a_password_sent_with_the_add_form_is_ignored(cast):
    client = admin_client(cast)
    response = client.post(f"{USERS}add/", {
        "username": "newdoc", "email": "newdoc@example.org", "role": Role.CLINICIAN,
        "password1": "chosen by the admin 123", "password2": "chosen by the admin 123",
        "usable_password": "true",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newdoc")
    assert not user.has_usable_password()
    assert not user.check_password("chosen by the admin 123")


def test_adding_a_user_mails_them_an_invitation_and_records_it(
        cast, django_capture_on_commit_callbacks):
    client = admin_client(cast)
    # The mail goes out once the admin's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{USERS}add/", {
            "username": "newdoc", "email": "newdoc@example.org", "role": Role.CLINICIAN,
            "first_name": "Nia", "last_name": "Doc",
        })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newdoc")
    assert not user.has_usable_password() and user.role == Role.CLINICIAN
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newdoc@example.org"]
    link = re.search(r"http://testserver/accounts/invitation/[\w-]+/", message.body)
    assert link, message.body
    assert "authenticator app" in message.body  # a clinician enrols TOTP next
    # The link is in the mail only: not on the admin's pages.
    page = client.get(response["Location"]).content.decode()
    assert link.group(0) not in page and link.group(0).split("/")[-2] not in page
    created = events(Event.ADMIN_USER_CREATED).get()
    assert (created.actor, created.object_uuid) == (cast.admin, user.uuid)
    assert set(created.detail.split(",")) == {"username", "email", "role", "first_name",
                                              "last_name"}
    assert "Nia" not in created.detail
    sent = events(Event.ACCOUNT_INVITATION_SENT).get()
    assert (sent.actor, sent.object_uuid, sent.detail) == (cast.admin, user.uuid, "mailed")


def test_the_reset_action_mails_a_link_to_the_users_own_address_and_records_it(
        cast, django_capture_on_commit_callbacks):
    client = admin_client(cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(USERS, {"action": "send_password_reset_link",
                                       "_selected_action": [cast.patient_user.pk]},
                               follow=True)
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.patient_user.email]
    link = re.search(r"/accounts/password/reset/key/[\w-]+/", message.body)
    assert link, message.body
    assert link.group(0) not in response.content.decode()
    event = events(Event.ADMIN_USER_PASSWORD_RESET_SENT).get()
    assert (event.actor, event.object_uuid) == (cast.admin, cast.patient_user.uuid)
    # The patient, not the admin, sets the new password with it.
    cast.patient_user.refresh_from_db()
    assert cast.patient_user.check_password(TEST_PASSWORD)


def test_the_reset_action_skips_accounts_it_cannot_help(cast):
    cast.clinician.email = ""
    cast.clinician.save()
    invited = User.objects.create(username="invited", email="i@example.org", role=Role.PATIENT)
    invited.set_unusable_password()
    invited.save()
    response = admin_client(cast).post(USERS, {
        "action": "send_password_reset_link",
        "_selected_action": [cast.clinician.pk, invited.pk]}, follow=True)
    html = " ".join(str(m) for m in response.context["messages"])
    assert "alice has no e-mail address; no link sent." in html
    assert "invited has not set a password yet: send an invitation" in html
    assert mail.outbox == []
    assert not events(Event.ADMIN_USER_PASSWORD_RESET_SENT).exists()


def test_a_care_admin_cannot_point_an_account_at_another_address(cast):
    """A reset link goes to the account's address: choosing it would hand over the account."""
    client = admin_client(cast)
    url = f"{USERS}{cast.patient_user.pk}/change/"
    data = admin_form_data(client.get(url))
    assert "email" not in data  # shown read-only
    data["email"] = "admin-controlled@example.org"
    assert client.post(url, data).status_code == 302
    cast.patient_user.refresh_from_db()
    assert cast.patient_user.email == "pat@example.org"


def test_a_patient_record_cannot_be_moved_to_another_account(cast):
    client = admin_client(cast)
    spare = make_user("spare", Role.PATIENT)
    url = f"/admin/patients/patient/{cast.patient.pk}/change/"
    data = admin_form_data(client.get(url))
    data["user"] = str(spare.pk)
    assert client.post(url, data).status_code == 302
    cast.patient.refresh_from_db()
    assert cast.patient.user == cast.patient_user


# --- every admin change is audited ------------------------------------------------------------


def test_changing_a_user_records_the_fields_changed_not_their_values(cast):
    client = admin_client(cast)
    url = f"{USERS}{cast.readonly.pk}/change/"
    data = admin_form_data(client.get(url))
    data.update(first_name="Rory", role=Role.RESEARCHER)
    assert client.post(url, data).status_code == 302
    event = events(Event.ADMIN_USER_CHANGED).get()
    assert (event.actor, event.object_uuid) == (cast.admin, cast.readonly.uuid)
    assert set(event.detail.split(",")) == {"first_name", "role"}


def test_changing_a_patient_record_is_in_the_patients_trail_with_field_names(cast):
    client = admin_client(cast)
    url = f"/admin/patients/patient/{cast.patient.pk}/change/"
    data = admin_form_data(client.get(url))
    data.update(display_name="Patricia Example", date_of_birth="1980-02-03")
    assert client.post(url, data).status_code == 302
    event = events(Event.ADMIN_PATIENT_CHANGED).get()
    assert (event.actor, event.patient) == (cast.admin, cast.patient)
    assert set(event.detail.split(",")) == {"display_name", "date_of_birth"}
    assert "Patricia" not in event.detail and "1980" not in event.detail


def test_membership_changes_made_in_the_team_page_are_audited(cast):
    client = admin_client(cast)
    url = f"/admin/accounts/careteam/{cast.team_a.pk}/change/"
    data = admin_form_data(client.get(url))
    readonly = Membership.objects.get(team=cast.team_a, user=cast.readonly)
    alice = Membership.objects.get(team=cast.team_a, user=cast.clinician)
    rows = {int(data[f"membership_set-{i}-id"]): i for i in range(2)}
    data[f"membership_set-{rows[readonly.pk]}-access"] = Membership.Access.WRITE
    data[f"membership_set-{rows[alice.pk]}-DELETE"] = "on"
    add_inline_form(data, "membership_set", user=cast.other_clinician.pk,
                    access=Membership.Access.READ, team=cast.team_a.pk)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    team = f"(team {cast.team_a.uuid})"
    created = events(Event.ADMIN_MEMBERSHIP_CREATED).get()
    assert created.object_uuid == cast.other_clinician.uuid
    assert set(created.detail.removesuffix(" " + team).split(",")) == {"user", "access"}
    changed = events(Event.ADMIN_MEMBERSHIP_CHANGED).get()
    assert (changed.object_uuid, changed.detail) == (cast.readonly.uuid, f"access {team}")
    deleted = events(Event.ADMIN_MEMBERSHIP_DELETED).get()
    assert (deleted.object_uuid, deleted.detail) == (cast.clinician.uuid, team)
    assert {e.actor for e in (created, changed, deleted)} == {cast.admin}


def test_putting_patients_on_a_team_and_taking_them_off_is_in_each_patients_trail(cast):
    client = admin_client(cast)
    url = f"/admin/accounts/careteam/{cast.team_b.pk}/change/"
    data = admin_form_data(client.get(url))
    data["patients"] = [str(cast.patient.pk)]  # Team A's patient joins, Team B's leaves
    assert client.post(url, data).status_code == 302
    added = events(Event.ADMIN_CARETEAM_PATIENT_ADDED).get()
    removed = events(Event.ADMIN_CARETEAM_PATIENT_REMOVED).get()
    assert (added.patient, added.object_uuid) == (cast.patient, cast.team_b.uuid)
    assert (removed.patient, removed.object_uuid) == (cast.other_patient, cast.team_b.uuid)
    assert events(Event.ADMIN_CARETEAM_CHANGED).get().detail == "patients"


def test_bulk_deactivation_is_audited_per_account_and_stops_sign_in(cast):
    client = admin_client(cast)
    response = client.post(USERS, {"action": "deactivate_accounts",
                                   "_selected_action": [cast.patient_user.pk,
                                                        cast.readonly.pk]})
    assert response.status_code == 302
    done = events(Event.ADMIN_USER_DEACTIVATED)
    assert {e.object_uuid for e in done} == {cast.patient_user.uuid, cast.readonly.uuid}
    assert {e.actor for e in done} == {cast.admin}
    cast.patient_user.refresh_from_db()
    assert not cast.patient_user.is_active


def test_bulk_deletes_are_audited_per_object(cast):
    extra = [CareTeam.objects.create(name=f"Empty {n}") for n in range(2)]
    response = admin_client(cast).post("/admin/accounts/careteam/", {
        "action": "delete_selected", "_selected_action": [t.pk for t in extra], "post": "yes"})
    assert response.status_code == 302
    assert {e.object_uuid for e in events(Event.ADMIN_CARETEAM_DELETED)} == {
        t.uuid for t in extra}


def test_unlocking_an_account_is_audited(cast):
    attempt = AccessAttempt.objects.create(username="alice", ip_address="192.0.2.1",
                                           failures_since_start=5, user_agent="t",
                                           path_info="/accounts/login/", get_data="",
                                           post_data="", http_accept="")
    response = admin_client(cast).post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    event = events(Event.ADMIN_LOCKOUT_CLEARED).get()
    assert (event.actor, event.detail) == (cast.admin, "alice")
