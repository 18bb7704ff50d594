"""Demo data: every demo patient enrolled by invitation (a used link, the terms accepted), and
one newcomer invited but not signed up yet. No mail is sent."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from django.utils import timezone

from mitra.accounts.actions import code_digest, digest, new_short_code
from mitra.accounts.models import CareTeam, Invitation, Role, User
from mitra.enrolment import terms
from mitra.enrolment.models import Acceptance
from mitra.patients.cohort import DemoContext, team_clinician
from mitra.patients.models import Intake, Patient

NEWCOMER = ("Robin Newcomer", "newcomer@demo.invalid")


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def populate(ctx: DemoContext) -> None:
    invitations, acceptances = [], []
    for dp in ctx.patients:
        patient, user = dp.patient, dp.patient.user
        sent = _at(patient.enrolled_on, 10)
        invitations.append(Invitation(
            user=user, token_hash=digest(secrets.token_urlsafe(32)),
            created_by=team_clinician(ctx, dp.index), expires_at=sent + timedelta(days=7),
            used_at=sent + timedelta(hours=5)))
        acceptances.append(Acceptance(user=user, terms_version=terms.CURRENT))
    Invitation.objects.bulk_create(invitations)
    Acceptance.objects.bulk_create(acceptances)
    # auto_now_add stamped them now: they were accepted when each link was used.
    for invitation in invitations:
        Acceptance.objects.filter(user=invitation.user).update(accepted_at=invitation.used_at)
    _newcomer(ctx)


def _newcomer(ctx: DemoContext) -> None:
    """Invited this morning, not signed up yet: the clinician sees an open invitation."""
    name, email = NEWCOMER
    user = User(username="newcomer", role=Role.PATIENT, first_name=name.split()[0],
                email=email, is_demo=True)
    user.set_unusable_password()
    user.save()
    patient = Patient.objects.create(
        user=user, display_name=name, pseudonym=f"D-{ctx.seed % 1000:03d}-NEW01",
        date_of_birth=ctx.today.replace(year=ctx.today.year - 34, day=1),
        enrolled_on=ctx.today, time_zone="Europe/Berlin")
    Intake.objects.create(patient=patient, jurisdiction="DE")
    CareTeam.objects.get(name="Team A").patients.add(patient)
    Invitation.objects.create(
        user=user, token_hash=digest(secrets.token_urlsafe(32)),
        code_hash=code_digest(new_short_code()), created_by=ctx.staff["clinician"],
        expires_at=timezone.now() + timedelta(days=7))
