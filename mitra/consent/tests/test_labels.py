"""DS4P labels and the record classification (`consent.labels`, plain Python)."""

from __future__ import annotations

import pytest

from mitra.api.fhir import DIARY_FIGURES
from mitra.consent import labels
from mitra.measures import library
from mitra.safety.models import Alert


def _codes(found):
    return [(c["system"].rsplit("/", 1)[-1], c["code"]) for c in found]


def test_substance_use_records_carry_restricted_part2_and_eth():
    assert _codes(labels.security_labels("substance_use", part2=True)) == [
        ("v3-Confidentiality", "R"), ("v3-ActCode", "42CFRPart2"), ("v3-ActCode", "ETH")]


def test_without_part_2_handling_there_is_no_policy_label():
    assert _codes(labels.security_labels("substance_use", part2=False)) == [
        ("v3-Confidentiality", "R"), ("v3-ActCode", "ETH")]


def test_mental_health_records_carry_restricted_and_psy_never_part2():
    for part2 in (True, False):
        assert _codes(labels.security_labels("mental_health", part2=part2)) == [
            ("v3-Confidentiality", "R"), ("v3-ActCode", "PSY")]
    assert labels.security_labels(None, part2=True) == []


def test_an_unknown_kind_is_refused_naming_the_allowed():
    with pytest.raises(ValueError, match="substance_use, mental_health"):
        labels.security_labels("everything", part2=True)


def test_every_instrument_diary_figure_and_alert_kind_is_classified_explicitly():
    assert {i.id for i in library.instruments()} == set(labels.INSTRUMENTS)
    assert set(DIARY_FIGURES) == set(labels.DIARY_FIGURES)
    assert set(Alert.Kind.values) == set(labels.ALERTS)


@pytest.mark.parametrize(("instrument", "kind"), [
    ("phq9", "mental_health"), ("gad7", "mental_health"), ("auditc", "substance_use"),
    ("cows", "substance_use"), ("sows", "substance_use"), ("craving", "substance_use"),
    ("not-yet-known", "substance_use"),
])
def test_instruments(instrument, kind):
    assert labels.kind_of_instrument(instrument) == kind


@pytest.mark.parametrize(("name", "kind"), [
    ("Kratom powder", "substance_use"), ("kava kava", "substance_use"),
    ("Buprenorphine/naloxone", "substance_use"), ("methadone", "substance_use"),
    ("sertraline", "mental_health"), ("ibuprofen", "mental_health"),
])
def test_medications(name, kind):
    assert labels.kind_of_medication(name) == kind


def test_labels_are_added_to_meta_and_read_back_for_the_recipient_filter():
    resource = labels.with_labels({"resourceType": "Observation", "id": "x"},
                                  "substance_use", part2=True)
    assert labels.kind_of_resource(resource) == "substance_use"
    assert labels.visible(resource, frozenset({"substance_use"}))
    assert not labels.visible(resource, frozenset({"mental_health"}))
    assert labels.visible(resource, None)
    unlabelled = {"resourceType": "Patient", "id": "p"}
    assert labels.with_labels(unlabelled, None, part2=True) is unlabelled
    assert labels.visible(unlabelled, frozenset())
