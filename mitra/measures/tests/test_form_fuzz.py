"""Property tests over the questionnaire response form (issue 16, item 16).

Any item of a PHQ-9 (and of the craving rating, a 0-10 scale) may carry a hostile value (NUL, lone
surrogates, very long text, integers past 64 bits, the calendar's ends), the response UUID too:
never a 5xx; a refusal (400, 409) stores no response and raises no alert; a stored response
holds only the instrument's allowed answers.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mitra.measures.library import get_instrument
from mitra.measures.models import Response
from mitra.safety.models import Alert
from mitra.testing import login, make_cast
from tests.hostile import form_encoded, hostile_day, hostile_int, hostile_text

REUSED = str(uuid.uuid4())
answer = st.one_of(st.integers(-1, 6).map(str), hostile_int.map(str), hostile_text, hostile_day)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("instrument_id", ["phq9", "craving"])
def test_the_response_form_is_never_a_5xx_and_a_refusal_stores_nothing(client, instrument_id):
    login(client, make_cast().patient_user)
    inst = get_instrument(instrument_id)
    names = [f"q{n}" for n in range(1, len(inst.items) + 1)]
    allowed = {item.link_id: set(inst.allowed_values(item)) for item in inst.items}
    url = reverse("measures:fill", args=[instrument_id])
    valid = st.fixed_dictionaries(
        {name: st.sampled_from(sorted(allowed[item.link_id])).map(str)
         for name, item in zip(names, inst.items, strict=True)})
    changes = st.dictionaries(st.sampled_from([*names, "response_uuid", "q99"]),
                              answer | st.just(REUSED), max_size=4)

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(answers=valid, changes=changes)
    @example(answers={}, changes={"q1": str(2**63)})
    @example(answers={}, changes={"q1": "9" * 5000, "response_uuid": "\x00"})
    def submit(answers, changes):
        sent = {"response_uuid": str(uuid.uuid4())} | answers | changes
        before = (Response.objects.count(), Alert.objects.count())
        response = client.post(url, form_encoded(sent),
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500
        if response.status_code in (400, 409):
            assert (Response.objects.count(), Alert.objects.count()) == before
            return
        assert response.status_code == 302, response.status_code
        row = Response.objects.get(uuid=sent["response_uuid"])
        assert all(value in allowed[link_id] for link_id, value in row.answers.items()
                   if value is not None)

    submit()
