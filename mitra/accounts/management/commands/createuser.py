from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from mitra.accounts.models import CareTeam, Membership, Role, User
from mitra.core.command import MitraCommand, UsageError
from mitra.patients.actions import do_create_patient


class Command(MitraCommand):
    help = "Create a user with a role (and, for a patient, their patient record)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Read from MITRA_PASSWORD when not given.")
        parser.add_argument("--team", help="Care team to join (created when missing).")
        parser.add_argument("--display-name", help="Patient's name as the care team sees it.")

    @transaction.atomic
    def handle(self, *args, username, role, email, password, team, display_name, **options):
        import os

        password = password or os.environ.get("MITRA_PASSWORD")
        if not password:
            raise UsageError("--password (or MITRA_PASSWORD) is required")
        if User.objects.filter(username=username).exists():
            raise UsageError(f"username {username!r} is already taken")
        user = User(username=username, email=email, role=role)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise UsageError("--password: " + " ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        care_team = CareTeam.objects.get_or_create(name=team)[0] if team else None
        if role == Role.PATIENT:
            patient = do_create_patient(user=user, display_name=display_name or username)
            if care_team:
                care_team.patients.add(patient)
        elif care_team and role == Role.CLINICIAN:
            Membership.objects.create(team=care_team, user=user)
        self.stdout.write(f"created {role} {username}")
