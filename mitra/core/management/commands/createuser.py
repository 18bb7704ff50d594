import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from mitra.accounts.models import CareTeam, Membership, Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.lib.command import MitraCommand, UsageError
from mitra.patients.actions import do_create_patient

TEAM_ROLES = (Role.CLINICIAN, Role.PATIENT)


class Command(MitraCommand):
    help = "Create a user with a role (and, for a patient, their patient record)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="At least 12 characters, not common, not all digits. Read from MITRA_PASSWORD "
                 "when not given (safer: a command line is visible to other users).",
        )
        parser.add_argument("--team", help="Care team to join (created when missing); "
                                           "for clinicians and patients.")
        parser.add_argument("--read-only", action="store_true",
                            help="A clinician who may read but not change the team's records.")
        parser.add_argument("--display-name", help="Patient's name as the care team sees it.")

    @transaction.atomic
    def handle(self, *args, username, role, email, password, team, read_only, display_name,
               **options):
        password = password or os.environ.get("MITRA_PASSWORD")
        if not password:
            raise UsageError("--password (or MITRA_PASSWORD) is required")
        if team and role not in TEAM_ROLES:
            raise UsageError(f"--team applies to the roles clinician and patient, not {role}")
        if read_only and role != Role.CLINICIAN:
            raise UsageError("--read-only applies to the role clinician only")
        if display_name and role != Role.PATIENT:
            raise UsageError("--display-name applies to the role patient only")
        if User.objects.filter(username__iexact=username).exists():
            raise UsageError(f"username {username!r} is already taken")
        user = User(username=username, email=email, role=role)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise UsageError("--password: " + " ".join(exc.messages)) from None
        user.set_password(password)
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
        if user.needs_mfa:
            self.stdout.write("They set up an authenticator app (TOTP) at their first sign-in.")
