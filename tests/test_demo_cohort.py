"""The synthetic demo cohort: deterministic by seed, every story present, teams separated."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mitra.accounts.models import Membership, Role, User
from mitra.cbt.models import ActivitySlot, ExposureLog, ThoughtRecord
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.patients.cohort import SUICIDE_RISK, TRAJECTORIES, app_populators, build_cohort
from mitra.patients.models import Patient

pytestmark = pytest.mark.django_db


def snapshot(ctx) -> dict:
    """What must not change between two runs with one seed: people, stories, and every app's
    row counts (timestamps aside, the populators draw from seeded generators too)."""
    people = [
        (p.patient.user.username, p.patient.display_name, p.patient.pseudonym,
         p.patient.date_of_birth, p.trajectory,
         sorted(t.name for t in p.patient.care_teams.all()))
        for p in ctx.patients
    ]
    counts = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("mitra.") and model._meta.label != "audit.AuditEvent"
    }
    return {"people": people, "counts": counts}


def build(seed: int, *, populate: bool, patients: int = 12, days: int = 30) -> dict:
    """Build a cohort, take its snapshot, and roll it all back."""
    with transaction.atomic():
        ctx = build_cohort(patients=patients, days=days, seed=seed)
        if populate:
            for _label, step in app_populators():
                step(ctx)
        result = snapshot(ctx)
        transaction.set_rollback(True)
    return result


def test_the_same_seed_gives_the_same_cohort():
    first = build(11, populate=True)
    second = build(11, populate=True)
    assert first["people"] == second["people"]
    assert first["counts"] == second["counts"]
    assert Patient.objects.count() == 0  # rolled back between the runs


def test_another_seed_gives_other_people():
    a = build(11, populate=False)["people"]
    b = build(12, populate=False)["people"]
    assert [p[1] for p in a] != [p[1] for p in b]  # names
    assert [p[2] for p in a] != [p[2] for p in b]  # pseudonyms
    assert [p[4] for p in a] == [p[4] for p in b]  # the stories are by position, not by seed


def test_every_story_is_told_and_one_patient_has_a_suicide_risk_answer():
    ctx = build_cohort(patients=12, days=30, seed=3)
    told = [p.trajectory for p in ctx.patients]
    assert set(told) == {*TRAJECTORIES, SUICIDE_RISK}
    assert told.count(SUICIDE_RISK) == 1
    assert len({p.patient.pseudonym for p in ctx.patients}) == 12


def test_staff_and_teams():
    ctx = build_cohort(patients=20, days=30, seed=3)
    assert {u.username: u.role for u in User.objects.exclude(role=Role.PATIENT)} == {
        "clinician": Role.CLINICIAN, "clinician2": Role.CLINICIAN, "admin": Role.ADMIN,
        "researcher": Role.RESEARCHER, "pharmacy": Role.RECIPIENT,
    }
    assert all(u.is_demo for u in User.objects.all())
    # The outside recipient reads Team A's consented patients only, never writes.
    assert Membership.objects.get(user__username="pharmacy").access == Membership.Access.READ
    for name in ("clinician", "clinician2", "admin", "pharmacy"):
        assert ctx.staff[name].authenticator_set.filter(type="totp").exists()
    team_b = Patient.objects.filter(care_teams__name="Team B").count()
    assert team_b == 2  # every tenth patient
    assert Patient.objects.filter(care_teams__name="Team A").count() == 18
    assert Membership.objects.get(user__username="clinician").team.name == "Team A"
    # The demo patient login is "patient", the first of the cohort.
    assert ctx.patients[0].patient.user.username == "patient"



@pytest.mark.slow
def test_no_record_of_the_demo_is_dated_before_its_patients_enrolment():
    """The demo's backdated history starts on or after each patient's enrolment, as the forms
    and the API require (lib/bounds.py): diary days and use times, CBT records."""
    with transaction.atomic():
        ctx = build_cohort(patients=12, days=60, seed=5)
        for _label, step in app_populators():
            step(ctx)
        assert {p.patient.enrolled_on for p in ctx.patients} == {ctx.start}
        tomorrow = timezone.localdate() + timedelta(days=1)
        dated = [(DiaryEntry, "date"), (UseEvent, "date"), (ThoughtRecord, "occurred_on"),
                 (ExposureLog, "done_on"), (ActivitySlot, "scheduled_for")]
        for model, field in dated:
            assert model.objects.exists(), model
            early = model.objects.filter(**{f"{field}__lt": F("patient__enrolled_on")})
            assert not early.exists(), (model, list(early.values_list(field, flat=True)[:5]))
        for model, field in dated[:4]:  # days something happened: not after tomorrow
            assert not model.objects.filter(**{f"{field}__gt": tomorrow}).exists(), model
        latest = timezone.localtime().replace(tzinfo=None) + timedelta(days=1)
        assert not [u for u in UseEvent.objects.exclude(time=None).filter(date__gte=ctx.today)
                    if datetime.combine(u.date, u.time) > latest]
        transaction.set_rollback(True)


@pytest.mark.slow
def test_the_demo_pharmacy_reaches_the_consented_patients_and_the_demo_patient_has_disclosures():
    from mitra.consent.models import Consent, Disclosure
    from mitra.patients.access import patients_for_user

    with transaction.atomic():
        ctx = build_cohort(patients=12, days=40, seed=5)
        for _label, step in app_populators():
            step(ctx)
        demo = ctx.patients[0].patient
        pharmacy = ctx.staff["pharmacy"]
        reached = set(patients_for_user(pharmacy))
        assert demo in reached
        # Team B's patient (index 9) is never reached; an unconsented one (index 1) neither.
        assert ctx.patients[9].patient not in reached
        assert ctx.patients[1].patient not in reached
        assert Disclosure.objects.filter(patient=demo).count() == 2
        assert Consent.objects.filter(patient=demo, revoked_at__isnull=False).count() == 1
        assert Consent.objects.filter(source=Consent.Source.PAPER).count() == 1
