"""The synthetic demo cohort: deterministic, realistic, and never a real person.

`build_cohort` creates the accounts and patient records; then each app's `demo.py` module,
if it has one, adds its own data through `populate(ctx)`, in INSTALLED_APPS order. Each app draws
from `ctx.rng("<app>")`, so adding data to one app never changes another app's stories.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from mitra.accounts.models import CareTeam, Membership, Role, User
from mitra.accounts.totp import activate_totp
from mitra.patients.models import Patient

DEMO_PASSWORD = "mitra-demo-2026"  # noqa: S105 - synthetic accounts, printed on purpose

# Each patient follows one story; the demo shows every one of them.
TRAJECTORIES = ("improving", "stable", "escalating", "tapering", "relapse")
# Most demo patients live in the server's zone (the demo patient always: the demo's "today" is
# theirs); every third lives elsewhere, so reminders show local times across zones.
OTHER_ZONES = ("America/New_York", "Europe/Berlin", "America/Los_Angeles", "Asia/Bangkok")
SUICIDE_RISK = "suicide_risk"

STAFF = [
    ("clinician", Role.CLINICIAN, "Dr Asha Rao", "Team A"),
    ("clinician2", Role.CLINICIAN, "Dr Ben Okafor", "Team B"),
    ("admin", Role.ADMIN, "Care-team admin", None),
    ("researcher", Role.RESEARCHER, "Study researcher", None),
    # An outside recipient on Team A (read only): reaches the patients who consented to it.
    ("pharmacy", Role.RECIPIENT, "Riverside Pharmacy", "Team A"),
]

FIRST = ["Alex", "Sam", "Jordan", "Riley", "Casey", "Morgan", "Taylor", "Jamie", "Avery", "Quinn",
         "Rowan", "Skyler", "Dana", "Emerson", "Finley", "Harper", "Kai", "Logan", "Noa", "Parker"]
LAST = ["Nguyen", "Smith", "Garcia", "Chen", "Johnson", "Khan", "Brown", "Silva", "Müller",
        "Okoye", "Patel", "Kim", "Lopez", "Novak", "Haddad", "Sato", "Ivanova", "Mensah"]


@dataclass
class DemoPatient:
    patient: Patient
    trajectory: str
    index: int


@dataclass
class DemoContext:
    seed: int
    days: int
    today: date
    patients: list[DemoPatient]
    staff: dict[str, User]
    progress: Callable[[str], None] = field(default=lambda label: None)

    @property
    def start(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")  # noqa: S311 - synthetic data, not security

    def by_trajectory(self, trajectory: str) -> list[DemoPatient]:
        return [p for p in self.patients if p.trajectory == trajectory]


def demo_totp_secret(username: str, seed: int) -> str:
    digest = hashlib.sha256(f"mitra-demo:{seed}:{username}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


def trajectory_for(index: int) -> str:
    # Index 3 is the one patient with a suicide-risk answer; the rest cycle through the stories.
    if index == 3:
        return SUICIDE_RISK
    return TRAJECTORIES[index % len(TRAJECTORIES)]


@transaction.atomic
def build_cohort(*, patients: int, days: int, seed: int, progress=None) -> DemoContext:
    rng = random.Random(seed)  # noqa: S311
    password = make_password(DEMO_PASSWORD)
    staff: dict[str, User] = {}
    teams: dict[str, CareTeam] = {}
    for username, role, name, team_name in STAFF:
        first, _, last = name.partition(" ")
        user = User(username=username, role=role, first_name=first, last_name=last,
                    email=f"{username}@demo.invalid", password=password, is_demo=True)
        user.save()
        staff[username] = user
        if user.needs_mfa:
            activate_totp(user, demo_totp_secret(username, seed))
        if team_name:
            if team_name not in teams:
                teams[team_name] = CareTeam.objects.create(name=team_name)
            access = (Membership.Access.READ if role == Role.RECIPIENT
                      else Membership.Access.WRITE)
            Membership.objects.create(team=teams[team_name], user=user, access=access)

    today = timezone.localdate()
    users = User.objects.bulk_create([
        User(username="patient" if i == 0 else f"patient{i + 1}", role=Role.PATIENT,
             email=f"patient{i + 1}@demo.invalid", password=password, is_demo=True)
        for i in range(patients)
    ])
    records = Patient.objects.bulk_create([
        Patient(
            user=user,
            display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            pseudonym=f"D-{seed % 1000:03d}-{i + 1:05d}",
            date_of_birth=date(
                1960 + rng.randrange(40), rng.randrange(1, 13), rng.randrange(1, 29)
            ),
            enrolled_on=today - timedelta(days=days - 1),
            time_zone=zone_for(i),
        )
        for i, user in enumerate(users)
    ])
    Through = CareTeam.patients.through
    Through.objects.bulk_create([
        Through(careteam_id=teams[team_for(i)].pk, patient_id=p.pk)
        for i, p in enumerate(records)
    ])
    cohort = [DemoPatient(p, trajectory_for(i), i) for i, p in enumerate(records)]
    return DemoContext(seed=seed, days=days, today=today, patients=cohort, staff=staff,
                       progress=progress or (lambda label: None))


def app_populators() -> list[tuple[str, Callable[[DemoContext], None]]]:
    """Each app's `populate`, then each app's optional `finish` (which sees every app's data:
    the safety app's review of the alerts the other apps raised, for example)."""
    steps, finishing = [], []
    for config in apps.get_app_configs():
        if not config.name.startswith("mitra."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        steps.append((config.label, module.populate))
        if hasattr(module, "finish"):
            finishing.append((f"{config.label} follow-up", module.finish))
    return steps + finishing


def zone_for(index: int) -> str:
    if index % 3 == 2:
        return OTHER_ZONES[index // 3 % len(OTHER_ZONES)]
    return settings.TIME_ZONE


def team_for(index: int) -> str:
    """The care team of the patient at `index`: every tenth patient belongs to Team B, so the
    demo shows care-team separation."""
    return "Team B" if index % 10 == 9 else "Team A"


def team_clinician(ctx: DemoContext, index: int) -> User:
    team = team_for(index)
    username = next(u for u, role, _, t in STAFF if t == team and role == Role.CLINICIAN)
    return ctx.staff[username]


def logins_text(seed: int) -> str:
    lines = [
        "Demo logins (synthetic accounts; password for all: " + DEMO_PASSWORD + ")",
        "  patient      the demo patient (diary, questionnaires)",
        "  clinician    Team A clinician (TOTP required)",
        "  clinician2   Team B clinician (TOTP required)",
        "  admin        care-team admin: users, teams, audit (TOTP required)",
        "  researcher   de-identified aggregates only",
        "  pharmacy     outside recipient: only patients who consented to it (TOTP required)",
        "TOTP: add the secret to an authenticator app, or print the current code with",
        "  .venv/bin/mitra totp clinician",
    ]
    for username in ("clinician", "clinician2", "admin", "pharmacy"):
        lines.append(f"  {username:<11} secret {demo_totp_secret(username, seed)}")
    return "\n".join(lines)
