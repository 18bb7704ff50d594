"""The plain-Python reading of a JSON diary submission agrees with the forms.

`json_submission.plain_json_submission` takes the common, plainly shaped submission without the
forms; anything else goes to the forms. Whenever it accepts a payload, the forms must accept it
too and make the same Submission (same values, same payload hash), or idempotency and the stored
record would depend on which path read it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from mitra.diary import forms, json_submission
from mitra.diary.models import MOTIVES
from mitra.diary.units import DEFAULT_MAX_AMOUNT, SUBSTANCES, UNITS, UNITS_FOR


def by_forms(payload: dict, enrolled_on=None):
    _, _, submission = forms.parse_submission(json_submission.json_to_formdata(payload),
                                              enrolled_on=enrolled_on)
    return submission, json_submission.json_shape_errors(payload)


def typical(**changes) -> dict:
    payload = {
        "uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": 4,
        "anxiety": 6, "craving": 0, "sleep_quality": 10, "withdrawal": None,
        "motives": ["pain", "avoid_withdrawal"], "note": "  slept badly ",
        "uses": [
            {"substance": "kratom_powder", "amount": "3.5", "unit": "g", "time": "08:15"},
            {"substance": "kratom_capsule", "amount": 4, "unit": "capsules",
             "grams_per_unit": "0.5", "product_label": " Brand "},
            {"substance": "kava", "amount": 250.0, "unit": "mL", "time": None},
        ],
    }
    payload.update(changes)
    return payload


def test_a_typical_submission_takes_the_plain_path_and_matches_the_forms():
    payload = typical()
    plain = json_submission.plain_json_submission(payload)
    submission, shape = by_forms(payload)
    assert plain is not None and submission is not None and not shape
    assert plain == submission
    assert plain.payload_hash() == submission.payload_hash()
    assert plain.uses[1]["grams"] == Decimal("2") and plain.uses[0]["grams"] == Decimal("3.5")
    assert plain.note == "slept badly" and plain.uses[1]["product_label"] == "Brand"


def test_the_parse_entry_point_uses_the_plain_path_and_still_words_errors():
    submission, errors = json_submission.parse_json_submission(typical(uses=[]))
    assert submission is not None and errors == {}
    submission, errors = json_submission.parse_json_submission(
        typical(uses=[{"substance": "kratom_powder", "amount": "250", "unit": "g"}]))
    assert submission is None
    assert errors == {"uses[0].amount": ["amount must be more than 0 and at most 100 g, "
                                         "not 250"]}


def test_a_day_before_enrolment_or_a_use_time_a_day_ahead_goes_to_the_forms():
    today = timezone.localdate()
    before = typical(date=(today - timedelta(days=3)).isoformat())
    assert json_submission.plain_json_submission(before) is not None
    assert json_submission.plain_json_submission(
        before, enrolled_on=today - timedelta(days=2)) is None
    late = typical(date=(today + timedelta(days=2)).isoformat())
    assert json_submission.plain_json_submission(late) is None
    submission, errors = json_submission.parse_json_submission(
        before, enrolled_on=today - timedelta(days=2))
    assert submission is None and list(errors) == ["date"]
    assert "(enrolment)" in errors["date"][0]


def test_values_outside_the_plain_shape_go_to_the_forms():
    for changes in (
        {"uuid": uuid.uuid4().hex}, {"mood": "5"}, {"mood": 5.0}, {"mood": True},
        {"date": (timezone.localdate() + timedelta(days=3)).isoformat()},
        {"uses": [{"substance": "kratom_powder", "amount": "1e1", "unit": "g"}]},
        {"uses": [{"substance": "kratom_powder", "amount": "2", "unit": "g", "time": "8:00"}]},
        {"uses": [{}]}, {"uses": "none"}, {"motives": "pain"}, {"note": 5},
    ):
        assert json_submission.plain_json_submission(typical(**changes)) is None, changes


def _day(offset: int) -> str:
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


numbers = st.one_of(
    st.decimals(min_value=-1, max_value=200000, places=3, allow_nan=False).map(str),
    st.decimals(min_value=0, max_value=5, places=4, allow_nan=False).map(str),
    st.integers(-5, 200), st.floats(0, 300), st.floats(allow_nan=True),
    st.sampled_from(["1e2", " 2.5", "2.", ".5", "007", "0", "-1", "", "x", "Infinity"]),
    st.none(), st.booleans(),
)
uses = st.fixed_dictionaries(
    {"substance": st.sampled_from([*SUBSTANCES, "bogus", None]),
     "amount": numbers,
     "unit": st.sampled_from([*UNITS, "kg", None])},
    optional={
        "grams_per_unit": numbers,
        "time": st.one_of(st.sampled_from(["08:00", "23:59", "24:00", "8:00", "07:30:00", ""]),
                          st.none(), st.integers()),
        "product_label": st.one_of(st.none(), st.text(max_size=8), st.just("x" * 121),
                                   st.just(" a\x00 "), st.integers()),
    },
)

@st.composite
def valid_uses(draw):
    """Use objects the forms accept (and some they refuse on range), in every plain shape."""
    substance = draw(st.sampled_from(list(SUBSTANCES)))
    unit = draw(st.sampled_from(list(UNITS_FOR[substance])))
    amount = draw(st.decimals(min_value=Decimal("0.001"), max_value=DEFAULT_MAX_AMOUNT[unit] + 1,
                              places=3, allow_nan=False))
    use = {"substance": substance, "unit": unit,
           "amount": draw(st.sampled_from([str(amount), format(amount.normalize(), "f")]))}
    if amount == amount.to_integral_value() and draw(st.booleans()):
        use["amount"] = int(amount)
    if unit == "capsules" and draw(st.booleans()):
        use["grams_per_unit"] = str(draw(st.decimals(min_value=Decimal("0.001"),
                                                     max_value=Decimal("2.5"), places=3)))
    if draw(st.booleans()):
        use["time"] = draw(st.sampled_from(["00:00", "08:15", "23:59", None, ""]))
    if draw(st.booleans()):
        use["product_label"] = draw(st.one_of(st.none(), st.text(max_size=10)))
    return use


payloads = st.fixed_dictionaries(
    {
        "uuid": st.one_of(st.uuids().map(str), st.uuids().map(str),
                          st.uuids().map(lambda u: str(u).upper()),
                          st.uuids().map(lambda u: u.hex), st.text(max_size=8), st.none()),
        "date": st.one_of(st.integers(-400, 4).map(_day), st.integers(-360, 0).map(_day),
                          st.sampled_from(["2026-02-30", "2026-1-5", "", "today"]), st.none()),
    },
    optional={
        **{name: st.one_of(st.none(), st.integers(0, 10), st.integers(-2, 12), st.floats(0, 10),
                           st.booleans(),
                           st.sampled_from(["5", "", "x"]))
           for name in forms.RATINGS},
        "motives": st.one_of(st.none(), st.lists(st.sampled_from([*MOTIVES, "bogus"]),
                                                 max_size=4),
                             st.text(max_size=4), st.lists(st.integers(), max_size=2)),
        "note": st.one_of(st.none(), st.text(max_size=20), st.just("x" * 2001),
                          st.just("a\x00b"), st.integers()),
        "uses": st.one_of(st.none(), st.lists(uses, max_size=3),
                          st.lists(valid_uses(), max_size=4), st.lists(valid_uses(), max_size=4),
                          st.lists(st.one_of(valid_uses(), uses), max_size=3),
                          st.lists(uses, min_size=21, max_size=21), st.text(max_size=3),
                          st.lists(st.integers(), max_size=1)),
    },
)


@pytest.mark.slow
@given(payload=payloads)
@settings(max_examples=500, deadline=None)
def test_whenever_the_plain_path_accepts_the_forms_make_the_same_submission(payload):
    plain = json_submission.plain_json_submission(payload)
    if plain is None:
        return
    submission, shape = by_forms(payload)
    assert not shape
    assert submission == plain
    assert submission.payload_hash() == plain.payload_hash()


plain_payloads = st.fixed_dictionaries(
    {"uuid": st.uuids().map(str), "date": st.integers(-366, 1).map(_day),
     "uses": st.lists(valid_uses(), max_size=4)},
    optional={
        **{name: st.one_of(st.none(), st.integers(0, 10)) for name in forms.RATINGS},
        "motives": st.lists(st.sampled_from(list(MOTIVES)), max_size=3),
        "note": st.one_of(st.none(), st.text(max_size=30)),
    },
)


@pytest.mark.slow
@given(payload=plain_payloads, enrolled=st.one_of(st.none(), st.integers(-400, 1)))
@settings(max_examples=300, deadline=None)
def test_plain_payloads_are_read_as_the_forms_read_them(payload, enrolled):
    """Plainly shaped payloads (amounts up to just over each unit's maximum; days around the
    enrolment, use times late on tomorrow's page): the plain path accepts exactly what the forms
    accept among them, with the same result, so the forms are left only the unusual shapes."""
    enrolled_on = None if enrolled is None else timezone.localdate() + timedelta(days=enrolled)
    plain = json_submission.plain_json_submission(payload, enrolled_on=enrolled_on)
    submission, shape = by_forms(payload, enrolled_on)
    accepted_by_forms = submission is not None and not shape
    if plain is not None:
        assert accepted_by_forms and submission == plain
        assert submission.payload_hash() == plain.payload_hash()
    else:
        assert not accepted_by_forms, payload
