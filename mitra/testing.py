"""Shared test helpers: a named cast of users on two care teams, and sign-in with MFA.

    cast = make_cast()
    login(client, cast.clinician)          # signs in with the MFA record a real login leaves
    cast.patient_b.display_name            # carries MARKER: must never leak outside Team B
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.test import Client

from mitra.accounts.models import CareTeam, Membership, Role, User
from mitra.accounts.totp import activate_totp
from mitra.patients.models import Patient

MARKER = "ZZ-OTHER-TEAM-MARKER-7Q"
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105
TEST_PASSWORD = "correct horse battery staple"  # noqa: S105


@dataclass
class Cast:
    team_a: CareTeam
    team_b: CareTeam
    clinician: User  # Team A, read and write
    readonly: User  # Team A, read only
    other_clinician: User  # Team B
    researcher: User
    admin: User
    patient_user: User
    patient: Patient  # Team A
    other_patient_user: User
    other_patient: Patient  # Team B, named with MARKER


def make_user(username: str, role: str, **kw) -> User:
    user = User(username=username, role=role, email=f"{username}@example.org", **kw)
    user.set_password(TEST_PASSWORD)
    user.save()
    if user.needs_mfa:
        activate_totp(user, TEST_TOTP_SECRET)
    return user


def make_patient(username: str, display_name: str, team: CareTeam | None = None, *,
                 enrolled_on: date | None = None) -> Patient:
    """A patient on `team`, enrolled today unless `enrolled_on` says otherwise (no diary day or
    CBT record may be dated before it: lib/bounds.py)."""
    user = make_user(username, Role.PATIENT)
    patient = Patient.objects.create(
        user=user, display_name=display_name, pseudonym=f"T-{username[:12]}",
        **({"enrolled_on": enrolled_on} if enrolled_on else {}),
    )
    if team:
        team.patients.add(patient)
    return patient


def make_cast() -> Cast:
    team_a = CareTeam.objects.create(name="Team A")
    team_b = CareTeam.objects.create(name="Team B")
    clinician = make_user("alice", Role.CLINICIAN)
    readonly = make_user("rory", Role.CLINICIAN)
    other = make_user("bob", Role.CLINICIAN)
    Membership.objects.create(team=team_a, user=clinician)
    Membership.objects.create(team=team_a, user=readonly, access=Membership.Access.READ)
    Membership.objects.create(team=team_b, user=other)
    patient = make_patient("pat", "Pat Example", team_a)
    other_patient = make_patient("olly", f"Olly {MARKER}", team_b)
    return Cast(
        team_a=team_a, team_b=team_b, clinician=clinician, readonly=readonly,
        other_clinician=other, researcher=make_user("rita", Role.RESEARCHER),
        admin=make_user("adam", Role.ADMIN), patient_user=patient.user, patient=patient,
        other_patient_user=other_patient.user, other_patient=other_patient,
    )


def make_recipient(cast: Cast, username: str = "rx", *,
                   organisation: str = "Riverside Pharmacy", purpose: str = "treatment",
                   team: CareTeam | None = None) -> User:
    """An outside recipient (Role.RECIPIENT) of `organisation`, for `purpose`, with read
    access to Team A (or `team`): they reach its patients only under a covering consent."""
    from mitra.consent.models import Recipient  # the consent app: above the accounts layer

    user = make_user(username, Role.RECIPIENT)
    Recipient.objects.create(user=user, organisation=organisation, purpose=purpose)
    Membership.objects.create(team=team or cast.team_a, user=user,
                              access=Membership.Access.READ)
    return user


def login(client: Client, user: User) -> Client:
    """Sign in as after a full password + TOTP login (what RequireMFAMiddleware checks)."""
    client.force_login(user)
    session = client.session
    now = time.time()
    records = [{"method": "password", "at": now, "username": user.username}]
    if user.needs_mfa:
        records.append({"method": "mfa", "at": now, "type": "totp"})
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client
