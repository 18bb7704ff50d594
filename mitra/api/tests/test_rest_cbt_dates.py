"""CBT record days over REST are bounded by the patient's enrolment (lib/bounds.py): a thought
record, an exposure practice or a scheduled activity dated before it is a 400 naming the field
and the allowed range, and nothing is stored; the enrolment day itself is accepted."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.api.tests.helpers import TokenClient, assert_error_shape, token_for
from mitra.cbt.models import ActivitySlot, ExposureLog, ThoughtRecord
from mitra.cbt.tests import factories
from mitra.testing import make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    cast = make_cast()
    cast.patient.enrolled_on = timezone.localdate() - timedelta(days=10)
    cast.patient.save(update_fields=["enrolled_on"])
    return cast


def thought(day):
    return {"uuid": str(uuid.uuid4()), "occurred_on": str(day), "situation": "Team meeting",
            "automatic_thoughts": "They think I am useless",
            "emotions": [{"emotion": "anxious", "before": 80}], "distortions": []}


def exposure(cast, day):
    item = factories.exposure_item(cast.patient)
    return {"uuid": str(uuid.uuid4()), "item": str(item.uuid), "done_on": str(day),
            "suds_before": 50, "suds_peak": 70, "suds_after": 30}


def slot(cast, day):
    activity = factories.activity(cast.patient)
    return {"uuid": str(uuid.uuid4()), "activity": str(activity.uuid), "scheduled_for": str(day)}


CASES = [  # (path, body maker, field, label in the message, model)
    ("thought-records", lambda cast, day: thought(day), "occurred_on", "Date it happened",
     ThoughtRecord),
    ("exposure-logs", exposure, "done_on", "Date", ExposureLog),
    ("activity-slots", slot, "scheduled_for", "Day", ActivitySlot),
]


@pytest.mark.parametrize(("path", "make", "field", "label", "model"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_day_before_enrolment_is_a_400_naming_the_field_and_range(cast, path, make, field,
                                                                    label, model):
    enrolled = cast.patient.enrolled_on
    client = TokenClient(token_for(cast.patient_user))
    url = f"/api/patients/{cast.patient.uuid}/{path}"
    response = client.post(url, make(cast, enrolled - timedelta(days=1)))
    problem = assert_error_shape(response, 400, field=field)["errors"][0]["problem"]
    assert problem.startswith(f"{label} must be between {enrolled:%Y-%m-%d} (enrolment) and ")
    assert not model.objects.exists()
    response = client.post(url, make(cast, enrolled))
    assert response.status_code == 201, response.content
    assert model.objects.count() == 1


def test_a_thought_record_for_the_day_after_tomorrow_is_refused():
    cast = make_cast()
    client = TokenClient(token_for(cast.patient_user))
    url = f"/api/patients/{cast.patient.uuid}/thought-records"
    tomorrow = timezone.localdate() + timedelta(days=1)
    problem = assert_error_shape(client.post(url, thought(tomorrow + timedelta(days=1))), 400,
                                 field="occurred_on")["errors"][0]["problem"]
    assert problem.endswith(f"and {tomorrow:%Y-%m-%d}.")
    assert client.post(url, thought(tomorrow)).status_code == 201
