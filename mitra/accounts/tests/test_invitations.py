"""Accounts start from a single-use, expiring invitation: the person sets their own password
and, for staff, enrols their own authenticator; a spent link says so and how to get a new one."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from mitra.accounts.actions import do_invite_user
from mitra.accounts.models import Role, User
from mitra.audit.events import Event
from mitra.audit.models import AuditEvent
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "my own secret phrase 2027"  # noqa: S105


def invited(username="newdoc", role=Role.CLINICIAN) -> tuple[User, str]:
    user = User(username=username, email=f"{username}@example.org", role=role)
    user.set_unusable_password()
    user.save()
    _invitation, url = do_invite_user(user, acting=None, send=False)
    return user, url.removeprefix("http://testserver")


def createuser(*args: str) -> str:
    out = StringIO()
    call_command("createuser", *args, stdout=out)
    return out.getvalue()


def set_password(client: Client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, {"new_password1": password, "new_password2": password})


def test_createuser_makes_a_staff_account_without_a_password_and_prints_a_link():
    output = createuser("drlee", "--role", "clinician")
    user = User.objects.get(username="drlee")
    assert not user.has_usable_password()
    link = re.search(r"(/accounts/invitation/[\w-]+/)", output)
    assert link, output
    assert "then set up their authenticator app (TOTP)" in output
    assert not Authenticator.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(event=Event.ACCOUNT_INVITATION_SENT, object_uuid=user.uuid,
                                     detail="printed").exists()


def test_createuser_mails_the_link_to_the_address_given(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = createuser("drmail", "--role", "admin", "--email", "drmail@example.org")
    assert "Invitation sent to drmail@example.org" in output
    assert "/accounts/invitation/" not in output  # the operator does not see the link
    assert [m.to for m in mail.outbox] == [["drmail@example.org"]]
    assert re.search(r"/accounts/invitation/[\w-]+/", mail.outbox[0].body)


@pytest.mark.parametrize("role", ["clinician", "admin", "researcher"])
def test_createuser_refuses_a_password_for_a_staff_account(role):
    with pytest.raises(CommandError, match="--password .*patient only.*invitation"):
        createuser("staffer", "--role", role, "--password", "a long enough passphrase 42")
    assert not User.objects.filter(username="staffer").exists()


# A real transaction, so allauth's on-commit signal runs inside the request as in production.
@pytest.mark.django_db(transaction=True)
def test_the_clinician_sets_their_password_then_enrols_their_own_authenticator():
    cast = make_cast()
    user, path = invited()
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert "newdoc" in page.content.decode() and "authenticator app" in page.content.decode()
    response = set_password(client, path)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Signed in, and sent straight to set up TOTP (no password asked again: just proved).
    response = client.get("/caseload/")
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.get("Location")
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    assert client.post("/accounts/2fa/totp/activate/", {"code": code}).status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert get_mfa_adapter().decrypt(
        Authenticator.objects.get(user=user, type="totp").data["secret"]) == secret
    assert client.get("/caseload/").status_code == 200
    assert cast.team_a.pk  # the caseload page is there to land on
    done = AuditEvent.objects.filter(event=Event.ACCOUNT_INVITATION_ACCEPTED).get()
    assert (done.actor, done.object_uuid) == (user, user.uuid)


def test_a_used_link_says_so_and_how_to_go_on():
    user, path = invited()
    assert set_password(Client(), path).status_code == 302
    again = Client()
    page = again.get(path)
    assert page.status_code == 410
    html = page.content.decode()
    assert "This invitation link has already been used" in html
    assert "/accounts/password/reset/" in html and "/accounts/login/" in html
    # Nor can it set another password.
    assert set_password(again, path, "someone else's phrase 99").status_code == 410
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_expired_link_says_so_and_how_to_get_a_new_one():
    user, path = invited()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        page = Client().get(path)
        assert page.status_code == 410
        html = page.content.decode()
        assert "This invitation link has expired" in html
        assert "Ask your care-team admin to send you a new invitation" in html
        assert set_password(Client(), path).status_code == 410
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_new_invitation_replaces_the_old_link():
    user, old = invited()
    _invitation, new = do_invite_user(user, acting=None, send=False)
    page = Client().get(old)
    assert page.status_code == 410 and "A newer invitation was sent" in page.content.decode()
    assert set_password(Client(), new.removeprefix("http://testserver")).status_code == 302


def test_a_made_up_link_is_not_found_and_says_what_to_do():
    make_cast()
    page = Client().get("/accounts/invitation/not-a-real-token/")
    assert page.status_code == 404
    assert "ask your care-team admin to send you a new invitation" in page.content.decode()


def test_a_weak_password_is_refused_naming_the_rule_and_the_link_still_works():
    user, path = invited()
    client = Client()
    response = set_password(client, path, "short")
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert set_password(client, path).status_code == 302


def test_an_account_with_a_password_is_not_invited():
    cast = make_cast()
    with pytest.raises(ValueError, match="send a password reset link instead"):
        do_invite_user(cast.clinician, acting=None, send=False)


def test_a_link_stops_working_once_the_password_was_set_another_way():
    user, path = invited()
    user.set_password(NEW_PASSWORD)  # e.g. through a reset link sent to their address
    user.save()
    page = Client().get(path)
    assert page.status_code == 410
    assert "A password has been set for this account already" in page.content.decode()
    assert set_password(Client(), path, "someone else's phrase 99").status_code == 410


def test_a_short_code_opens_the_same_invitation_and_is_kept_only_as_a_keyed_digest():
    from mitra.accounts.actions import (
        InvitationUnusable,
        code_digest,
        digest,
        find_invitation_by_code,
        new_short_code,
    )

    user = User(username="newpat", email="newpat@example.org", role=Role.PATIENT)
    user.set_unusable_password()
    user.save()
    code = new_short_code()
    invitation, _url = do_invite_user(user, acting=None, send=False, code=code)
    assert invitation.code_hash == code_digest(code) != digest(code)
    assert find_invitation_by_code(code.lower()) == invitation
    with pytest.raises(ValueError, match="code: give a code made by new_short_code"):
        do_invite_user(user, acting=None, send=False, code="not-a-code")
    # A newer invitation replaces the code with the link.
    do_invite_user(user, acting=None, send=False)
    with pytest.raises(InvitationUnusable) as refused:
        find_invitation_by_code(code)
    assert refused.value.reason == "replaced"


def test_a_withdrawn_staff_link_says_so():
    user, path = invited()
    user.invitations.update(revoked_at=timezone.now(), replaced_at=timezone.now())
    page = Client().get(path)
    assert page.status_code == 410
    assert "This invitation was withdrawn" in page.content.decode()
    assert set_password(Client(), path).status_code == 410
