"""Shared by the enrolment tests: a valid enrolment form, the invitation link in a mail."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from mitra.accounts.actions import do_invite_user
from mitra.accounts.models import Invitation, Membership
from mitra.testing import Cast, login

NEW_PASSWORD = "my own secret phrase 2027"  # noqa: S105
ADD = "/enrolment/patients/add/"
JOIN = "/join/"
SIGNUP = "/join/welcome/"
CONSENT = "/join/consent/"
PREFERENCES = "/join/reminders/"
LINK = re.compile(r"https?://[^/\s]+(/accounts/invitation/[\w-]+/)")


def enrol_data(cast: Cast, **overrides: Any) -> dict[str, Any]:
    data = {"display_name": "Nina Newcomer", "date_of_birth": "1990-04-05",
            "email": "nina@example.org", "phone": "", "jurisdiction": "US-CA",
            "time_zone": "America/Los_Angeles", "language": "en",
            "care_team": str(cast.team_a.uuid), "pseudonym": ""}
    data.update(overrides)
    return data


def clinician(cast: Cast) -> Client:
    return login(Client(), cast.clinician)


def admin_on_team_a(cast: Cast) -> Client:
    Membership.objects.get_or_create(team=cast.team_a, user=cast.admin)
    return login(Client(), cast.admin)


def link_path(text: str) -> str:
    found = LINK.search(text)
    assert found, text
    return found.group(1)


def invitation_page(patient) -> str:
    return f"/enrolment/patients/{patient.uuid}/invitation/"


def uninvited(cast: Cast):
    """Team A's patient as if just enrolled: no password; returns (patient, link path)."""
    user = cast.patient_user
    user.set_unusable_password()
    user.save()
    _invitation, url = do_invite_user(user, acting=None, send=False)
    return cast.patient, url.removeprefix("http://testserver")


def sign_up(client: Client, password: str = NEW_PASSWORD, **extra: Any):
    from mitra.enrolment import terms

    return client.post(SIGNUP, {"new_password1": password, "new_password2": password,
                                "accept_terms": "on", "terms_version": terms.CURRENT, **extra})


def latest_invitation(user) -> Invitation:
    return user.invitations.order_by("-created_at", "-pk").first()
