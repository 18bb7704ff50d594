"""The patient's sign-up from their invitation link: terms and consent (their version stored),
password, then reminder choices, then home. A spent link of any kind says which and how to get a
new one, never a 500; staff invitations keep their own flow (password, then TOTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from mitra.accounts.actions import do_invite_user
from mitra.accounts.models import User
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.enrolment import terms
from mitra.enrolment.actions import do_revoke_invitation
from mitra.enrolment.models import Acceptance
from mitra.enrolment.tests.helpers import (
    CONSENT,
    NEW_PASSWORD,
    PREFERENCES,
    SIGNUP,
    latest_invitation,
    sign_up,
    uninvited,
)
from mitra.reminders.models import ChannelSetting, Preference
from mitra.testing import make_cast, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def opened(path: str) -> Client:
    """A phone that opened the invitation link (and was sent on to the sign-up)."""
    phone = Client()
    response = phone.get(path)
    assert response.status_code == 302 and response["Location"] == SIGNUP
    return phone


def test_the_link_leads_to_terms_and_password_without_the_secret_in_the_address(cast):
    _patient, path = uninvited(cast)
    phone = opened(path)
    page = phone.get(SIGNUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Terms and consent" in html and f"version {terms.CURRENT}" in html
    assert "it never recommends kratom or kava, and it never suggests a dose" in html
    assert "Your user name is <strong>pat</strong>" in html
    assert path.split("/")[-2] not in html  # the secret is not repeated in the page


def test_signing_up_stores_the_acceptance_and_the_password_then_asks_for_reminders(cast):
    patient, path = uninvited(cast)
    phone = opened(path)
    response = sign_up(phone)
    assert response.status_code == 302 and response["Location"] == CONSENT
    user = patient.user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    acceptance = Acceptance.objects.get(user=user)
    assert acceptance.terms_version == terms.CURRENT
    assert latest_invitation(user).used_at is not None
    assert int(phone.session[SESSION_KEY]) == user.pk  # signed in
    event = AuditEvent.objects.get(event=Event.ENROLMENT_SIGNED_UP)
    assert (event.actor, event.patient, event.object_uuid, event.detail) == (
        user, patient, acceptance.uuid, f"terms {terms.CURRENT}")
    # The consent step, optional ("Not now" leads on to the reminders), then the reminder
    # step: saved with the patient as the actor, then home.
    step = phone.get(CONSENT).content.decode()
    assert "Step 2 of 3" in step and f'href="{PREFERENCES}"' in step and "Not now" in step
    page = phone.get(PREFERENCES)
    assert page.status_code == 200 and "Step 3 of 3" in page.content.decode()
    done = phone.post(PREFERENCES, {"quiet_start": "22:00", "quiet_end": "07:00"})
    assert done.status_code == 302 and done["Location"] == "/me/"
    pref = Preference.objects.get(patient=patient)
    assert (pref.quiet_start.hour, pref.quiet_end.hour) == (22, 7)
    assert ChannelSetting.objects.get(patient=patient, channel="email").enabled is False
    changed = AuditEvent.objects.get(event=Event.REMINDERS_PREFERENCES_CHANGED)
    assert changed.actor == user
    assert phone.get("/me/").status_code == 200


def test_bad_reminder_choices_are_refused_naming_the_field(cast):
    patient, path = uninvited(cast)
    phone = opened(path)
    sign_up(phone)
    response = phone.post(PREFERENCES, {"email": "on", "paused_from": "2027-01-10"})
    assert response.status_code == 400
    assert "pause" in response.content.decode()
    assert not Preference.objects.filter(patient=patient).exists()


def test_the_terms_must_be_accepted_and_nothing_is_written_until_they_are(cast):
    patient, path = uninvited(cast)
    phone = opened(path)
    response = phone.post(SIGNUP, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
                                   "terms_version": terms.CURRENT})
    assert response.status_code == 400
    assert "accept_terms: to sign up, tick the box" in response.content.decode()
    patient.user.refresh_from_db()
    assert not patient.user.has_usable_password()
    assert not Acceptance.objects.exists()
    assert sign_up(phone).status_code == 302  # the link still works


def test_terms_changed_while_the_page_was_open_are_shown_again(cast):
    _patient, path = uninvited(cast)
    phone = opened(path)
    response = sign_up(phone, terms_version="2020-01-01")
    assert response.status_code == 400
    assert "terms_version: the terms changed" in response.content.decode()
    assert not Acceptance.objects.exists()


def test_a_weak_password_is_refused_naming_the_rule(cast):
    _patient, path = uninvited(cast)
    phone = opened(path)
    response = sign_up(phone, password="short")
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert not Acceptance.objects.exists()


def test_a_used_link_says_so(cast):
    _patient, path = uninvited(cast)
    sign_up(opened(path))
    page = Client().get(path)
    assert page.status_code == 410
    html = page.content.decode()
    assert "already been used" in html and "ask your care team for help" in html


@pytest.mark.parametrize("how", ["expired", "replaced", "revoked"])
def test_a_spent_link_says_which_and_how_to_get_a_new_one(cast, how):
    patient, path = uninvited(cast)
    heading = {"expired": "This invitation link has expired",
               "replaced": "A newer invitation was sent",
               "revoked": "This invitation was withdrawn"}[how]
    if how == "replaced":
        do_invite_user(patient.user, acting=None, send=False)
    if how == "revoked":
        do_revoke_invitation(patient, acting=cast.clinician)
    with time_machine.travel(timezone.now() + timedelta(days=7 if how == "expired" else 0,
                                                        minutes=1)):
        page = Client().get(path)
    assert page.status_code == 410
    html = page.content.decode()
    assert heading in html
    assert "care team to resend it" in html


@pytest.mark.parametrize("how", ["expired", "revoked", "used elsewhere"])
def test_a_link_spent_while_the_sign_up_page_was_open_is_refused_with_the_reason(cast, how):
    patient, path = uninvited(cast)
    phone = opened(path)
    assert phone.get(SIGNUP).status_code == 200
    if how == "revoked":
        do_revoke_invitation(patient, acting=cast.clinician)
    if how == "used elsewhere":
        sign_up(opened(path), password="another long passphrase 77")
    with time_machine.travel(timezone.now() + timedelta(days=7 if how == "expired" else 0,
                                                        minutes=1)):
        response = sign_up(phone)
    assert response.status_code == 410
    assert Acceptance.objects.filter(user=patient.user).count() == (
        1 if how == "used elsewhere" else 0)
    patient.user.refresh_from_db()
    assert not patient.user.check_password(NEW_PASSWORD)
    # And the browser forgets it: the next visit says no invitation is open.
    assert phone.get(SIGNUP).status_code == 404


def test_someone_elses_session_on_the_phone_is_ended_before_the_patient_signs_in(cast):
    _patient, path = uninvited(cast)
    phone = Client()
    phone.force_login(cast.other_patient_user)
    assert phone.get(path)["Location"] == SIGNUP
    assert sign_up(phone).status_code == 302
    assert int(phone.session[SESSION_KEY]) == cast.patient_user.pk


def test_a_made_up_link_is_not_found_and_never_a_500(cast):
    for path in ("/accounts/invitation/not-a-real-token/", "/accounts/invitation/%00/"):
        assert Client().get(path).status_code == 404
    phone = Client()
    session = phone.session
    session["mitra_invitation"] = "not-a-uuid"
    session.save()
    assert phone.get(SIGNUP).status_code == 404


def test_a_staff_invitation_keeps_the_password_then_authenticator_flow(cast):
    staff = User(username="newdoc", email="newdoc@example.org", role="clinician")
    staff.set_unusable_password()
    staff.save()
    _invitation, url = do_invite_user(staff, acting=None, send=False)
    path = url.removeprefix("http://testserver")
    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and "authenticator app" in page.content.decode()
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/caseload/")["Location"] == "/accounts/2fa/totp/activate/"
    assert not Acceptance.objects.exists()


def test_a_patient_account_without_a_record_signs_up_and_goes_home(cast):
    lone = make_user("lone", "patient")
    lone.set_unusable_password()
    lone.save()
    _invitation, url = do_invite_user(lone, acting=None, send=False)
    phone = opened(url.removeprefix("http://testserver"))
    response = sign_up(phone)
    assert response.status_code == 302 and response["Location"] == "/"
    assert Acceptance.objects.get(user=lone).terms_version == terms.CURRENT
