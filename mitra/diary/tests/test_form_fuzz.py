"""Property tests over the diary's ways in: the web form, its JSON endpoint and the entry page
(issue 16, item 16).

Hypothesis replaces any of a valid entry's fields with hostile values (NUL, lone surrogates,
very long text, integers past 64 bits, year 1 and 9999, the wrong JSON types): never a 5xx; a
refusal (400, 409) stores nothing, neither the entry nor a use nor an alert; what is stored is
text a database can hold, on a day the diary allows.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mitra.diary.forms import diary_days
from mitra.diary.models import MOTIVES, DiaryEntry, UseEvent
from mitra.diary.units import SUBSTANCES, UNITS
from mitra.lib.untrusted import text_problem
from mitra.safety.models import Alert
from mitra.testing import login, make_cast
from tests.hostile import (
    form_encoded,
    hostile_day,
    hostile_int,
    hostile_json,
    hostile_text,
    some_of,
)

RATINGS = ("mood", "anxiety", "craving", "sleep_quality", "withdrawal")
# A UUID the runs share, so that some submissions reuse it with other answers (409).
REUSED = str(uuid.uuid4())

numberish = hostile_int.map(str) | hostile_text | st.decimals(allow_nan=False).map(str)
FORM_FIELDS = {
    "uuid": st.just(REUSED) | hostile_text,
    "date": hostile_day,
    **{name: numberish for name in RATINGS},
    "motives": st.lists(st.sampled_from(list(MOTIVES)) | hostile_text, max_size=3),
    "note": hostile_text,
    "uses-TOTAL_FORMS": numberish,
    "uses-INITIAL_FORMS": numberish,
    "uses-0-substance": st.sampled_from(list(SUBSTANCES)) | hostile_text,
    "uses-0-amount": numberish,
    "uses-0-unit": st.sampled_from(list(UNITS)) | hostile_text,
    "uses-0-grams_per_unit": numberish,
    "uses-0-time": hostile_text | st.sampled_from(["08:15", "24:00", "23:59:59.999999"]),
    "uses-0-product_label": hostile_text,
}
use_json = st.fixed_dictionaries({}, optional={
    "substance": st.sampled_from(list(SUBSTANCES)) | hostile_text | hostile_json,
    "amount": hostile_int | hostile_text | hostile_json,
    "unit": st.sampled_from(list(UNITS)) | hostile_text | hostile_json,
    "grams_per_unit": hostile_int | hostile_json,
    "time": hostile_text | hostile_json,
    "product_label": hostile_text | hostile_json,
})
JSON_FIELDS = {
    "uuid": st.just(REUSED) | hostile_text | hostile_json,
    "date": hostile_day | hostile_json,
    **{name: hostile_int | hostile_json for name in RATINGS},
    "motives": st.lists(st.sampled_from(list(MOTIVES)) | hostile_text, max_size=3) | hostile_json,
    "note": hostile_text | hostile_json,
    "uses": st.lists(use_json, max_size=3) | hostile_json,
}



form_fields = some_of(FORM_FIELDS)
json_fields = some_of(JSON_FIELDS)


def valid_form() -> dict:
    return {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": "5",
            "note": "slept badly", "uses-TOTAL_FORMS": "1", "uses-INITIAL_FORMS": "0",
            "uses-0-substance": "kratom_powder", "uses-0-amount": "3", "uses-0-unit": "g"}


def valid_json() -> dict:
    return {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": 5,
            "note": "slept badly",
            "uses": [{"substance": "kratom_powder", "amount": "3", "unit": "g"}]}


def counts() -> tuple[int, int, int]:
    return DiaryEntry.objects.count(), UseEvent.objects.count(), Alert.objects.count()


def assert_stored_well(entry_uuid) -> None:
    entry = DiaryEntry.objects.get(uuid=entry_uuid)
    first, last = diary_days()
    assert first <= entry.date <= last
    assert text_problem(entry.note) is None
    assert all(text_problem(use.product_label) is None for use in entry.uses.all())


@pytest.fixture
def patient_client(client):
    cast = make_cast()
    login(client, cast.patient_user)
    return client


@pytest.mark.slow
@pytest.mark.django_db
def test_the_diary_form_is_never_a_5xx_and_a_refusal_stores_nothing(patient_client):
    # Fewer than for the JSON endpoint: a refusal renders the whole entry page again.
    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(changes=form_fields)
    # The red team's findings, always tried (issue 16), then what hypothesis draws.
    @example(changes={"note": "before\x00after"})
    @example(changes={"uses-0-product_label": "\x00"})
    @example(changes={"date": "9999-12-31"})
    @example(changes={"date": "0001-01-01"})
    @example(changes={"mood": str(2**63)})
    @example(changes={"uses-TOTAL_FORMS": str(2**63)})
    def submit(changes):
        fields = valid_form() | changes
        before = counts()
        response = patient_client.post("/diary/submit/", form_encoded(fields),
                                       content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500
        if response.status_code in (400, 409):
            assert counts() == before
        else:
            assert response.status_code == 302, response.status_code
            assert_stored_well(fields["uuid"])

    submit()


@pytest.mark.slow
@pytest.mark.django_db
def test_the_diary_json_endpoint_is_never_a_5xx_and_a_refusal_stores_nothing(patient_client):
    @settings(max_examples=120, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(changes=json_fields)
    @example(changes={"note": "before\ud800after"})
    @example(changes={"note": "before\x00after"})
    @example(changes={"uses": [{"substance": "kratom_powder", "amount": "3", "unit": "g",
                                "product_label": "\udfff"}]})
    @example(changes={"mood": 2**63, "date": "9999-12-31"})
    @example(changes={"note": json.loads("[" * 70 + "]" * 70)})  # nested too deep
    def submit(changes):
        payload = valid_json() | changes
        before = counts()
        response = patient_client.post("/diary/api/entries/", json.dumps(payload),
                                       content_type="application/json")
        assert response.status_code < 500, response.content[:300]
        if response.status_code in (400, 409):
            assert counts() == before
            assert response.json()["errors"]
        else:
            assert response.status_code in (200, 201), response.status_code
            assert_stored_well(response.json()["uuid"])

    submit()


@pytest.mark.slow
@pytest.mark.django_db
def test_the_diary_entry_page_takes_any_date_parameter(patient_client):
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(day=hostile_day | hostile_text)
    def show(day):
        response = patient_client.get("/diary/", {"date": day.encode("utf-8", "surrogatepass")
                                                  .decode("utf-8", "replace")})
        assert response.status_code in (200, 404), response.status_code

    show()
