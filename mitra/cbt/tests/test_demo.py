import pytest
from django.utils import timezone

from mitra.cbt import demo, summaries
from mitra.cbt.models import (
    ActivitySlot,
    ExposureItem,
    ExposureLog,
    Homework,
    RelapsePlan,
    ThoughtRecord,
)
from mitra.patients.cohort import build_cohort

pytestmark = pytest.mark.django_db


def test_every_tool_gets_realistic_entries():
    ctx = build_cohort(patients=12, days=90, seed=7)
    demo.populate(ctx)
    today = timezone.localdate()
    for model in (ThoughtRecord, ActivitySlot, ExposureItem, ExposureLog, RelapsePlan, Homework):
        assert model.objects.exists(), model.__name__
    assert Homework.objects.overdue(today).exists()
    assert Homework.objects.filter(completed_at__isnull=False).exists()
    assert not ActivitySlot.objects.filter(completed_at__isnull=False,
                                           scheduled_for__gt=today).exists()
    for log in ExposureLog.objects.all():
        assert log.suds_peak >= max(log.suds_before, log.suds_after)
    # The improving demo patient's thought records show a real, reported drop.
    improving = ctx.by_trajectory("improving")[0].patient
    finding = summaries.thought_finding(improving)
    assert finding.enough
    assert finding.numbers["later_mean_drop"] > finding.numbers["earlier_mean_drop"]
    # Anxious patients (every other one) have a ladder; the demo patient is one of them.
    assert ExposureItem.objects.filter(patient=ctx.patients[0].patient).count() >= 4
    # Team B's homework is assigned by Team B's clinician.
    team_b = ctx.patients[9].patient
    assert set(Homework.objects.filter(patient=team_b).values_list(
        "created_by__username", flat=True)) == {"clinician2"}
