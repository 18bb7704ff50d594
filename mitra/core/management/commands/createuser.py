"""`mitra createuser NAME --role ROLE [--email ADDRESS] [--team TEAM] ...`

The account starts without a usable password: its owner sets one through a single-use
invitation link that expires after MITRA_INVITATION_DAYS, and a clinician or an admin then sets
up their own authenticator app. So whoever runs this command never knows the password nor
holds the first enrolment of the second factor. The link is mailed to `--email`, or printed
when there is no address (or with `--print-link`) for the operator to hand over.

`--password` (or MITRA_PASSWORD) remains for patient accounts only, for scripted set-ups such
as a test or training environment; staff accounts always start from an invitation.
"""

import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from mitra.accounts.actions import do_invite_user, invitation_days, invitation_roles_note
from mitra.accounts.models import STAFF_ROLES, CareTeam, Membership, Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.lib.command import MitraCommand, UsageError
from mitra.patients.actions import do_create_patient

TEAM_ROLES = (Role.CLINICIAN, Role.PATIENT)


class Command(MitraCommand):
    help = ("Create a user with a role (and, for a patient, their patient record); they set "
            "their own password from an invitation link, mailed to --email or printed.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="",
                            help="Their own address: the invitation link is mailed there.")
        parser.add_argument("--print-link", action="store_true",
                            help="Print the invitation link (to hand over yourself) instead of "
                                 "mailing it.")
        parser.add_argument(
            "--password",
            help="Patient accounts of scripted set-ups only (tests, training): an initial "
                 "password instead of an invitation. At least 12 characters, not common, not "
                 "all digits. Read from MITRA_PASSWORD when not given.",
        )
        parser.add_argument("--team", help="Care team to join (created when missing); "
                                           "for clinicians and patients.")
        parser.add_argument("--read-only", action="store_true",
                            help="A clinician who may read but not change the team's records.")
        parser.add_argument("--display-name", help="Patient's name as the care team sees it.")

    @transaction.atomic
    def handle(self, *args, username, role, email, print_link, password, team, read_only,
               display_name, **options):
        password = password or os.environ.get("MITRA_PASSWORD")
        if password and role in STAFF_ROLES:
            raise UsageError(
                f"--password (or MITRA_PASSWORD) applies to the role patient only: a {role} "
                "sets their own password and authenticator from an invitation link; leave it "
                "out (and unset MITRA_PASSWORD)")
        if team and role not in TEAM_ROLES:
            raise UsageError(f"--team applies to the roles clinician and patient, not {role}")
        if read_only and role != Role.CLINICIAN:
            raise UsageError("--read-only applies to the role clinician only")
        if display_name and role != Role.PATIENT:
            raise UsageError("--display-name applies to the role patient only")
        if User.objects.filter(username__iexact=username).exists():
            raise UsageError(f"username {username!r} is already taken")
        user = User(username=username, email=email, role=role)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise UsageError("--password: " + " ".join(exc.messages)) from None
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        record_audit(Event.ACCOUNT_USER_CREATED, acting=None, obj=user,
                     detail=f"cli role={role}")
        care_team = CareTeam.objects.get_or_create(name=team)[0] if team else None
        if role == Role.PATIENT:
            patient = do_create_patient(user=user, display_name=display_name or username)
            if care_team:
                care_team.patients.add(patient)
        elif care_team:
            access = Membership.Access.READ if read_only else Membership.Access.WRITE
            Membership.objects.create(team=care_team, user=user, access=access)
        where = f" in care team {care_team.name}" if care_team else ""
        self.stdout.write(f"created {role} {username}{where}")
        if password:
            return
        mail = bool(email) and not print_link
        _invitation, url = do_invite_user(user, acting=None, send=mail)
        days = invitation_days()
        if mail:
            self.stdout.write(f"Invitation sent to {email}: a link valid once, for {days} days. "
                              + invitation_roles_note(user))
        else:
            self.stdout.write(f"Invitation link (valid once, for {days} days; give it to "
                              f"{username} only): {url}")
            if not url.startswith(("http://", "https://")):
                self.stdout.write("Prefix it with the site's address, or set MITRA_BASE_URL.")
            self.stdout.write(invitation_roles_note(user))
