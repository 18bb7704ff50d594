import pytest
from django.utils import timezone

from mitra.measures import demo
from mitra.measures.library import get_instrument
from mitra.measures.models import Response, Schedule
from mitra.measures.schedules import due_for_patient
from mitra.measures.scoring import change_over_time
from mitra.patients.cohort import SUICIDE_RISK, build_cohort
from mitra.safety.models import Alert

pytestmark = pytest.mark.django_db


def test_the_demo_follows_each_story():
    ctx = build_cohort(patients=12, days=90, seed=7)
    demo.populate(ctx)
    today = timezone.localdate()
    first = ctx.patients[0]
    assert "phq9" in [d.schedule.instrument for d in due_for_patient(first.patient, today)
                      if d.due_on == today]
    assert Schedule.objects.filter(instrument="phq9").count() == 12
    # SOWS only for the tapering and escalating stories.
    sows = set(Response.objects.filter(instrument="sows").values_list("patient", flat=True))
    assert sows == {p.patient.pk for p in ctx.patients
                    if p.trajectory in ("tapering", "escalating")}
    risk = ctx.by_trajectory(SUICIDE_RISK)[0].patient
    assert Alert.objects.filter(patient=risk, kind=Alert.Kind.SUICIDE_RISK).count() == 1
    assert not Alert.objects.filter(kind=Alert.Kind.SUICIDE_RISK).exclude(patient=risk).exists()
    improving = ctx.by_trajectory("improving")[0].patient
    totals = list(Response.objects.filter(patient=improving, instrument="phq9")
                  .order_by("submitted_at").values_list("total", flat=True))
    assert change_over_time(get_instrument("phq9"), totals)[-1].remission is True
