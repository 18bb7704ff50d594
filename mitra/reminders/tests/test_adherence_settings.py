"""MITRA_LOW_ADHERENCE and MITRA_LOW_ADHERENCE_MIN_PROMPTS: strict parsing, bounded values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from mitra.lib import conf
from mitra.lib.env import env_int_between, env_share


@pytest.mark.parametrize(("raw", "expected"), [
    (None, Decimal("0.70")), ("", Decimal("0.70")), ("0.8", Decimal("0.8")),
    ("80%", Decimal("0.8")), ("65%", Decimal("0.65")), (" 0.5 ", Decimal("0.5")),
    ("0", Decimal(0)),
    ("1", Decimal(1)),
])
def test_the_share_reads_a_fraction_or_a_percentage(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("MITRA_LOW_ADHERENCE", raising=False)
    else:
        monkeypatch.setenv("MITRA_LOW_ADHERENCE", raw)
    assert env_share("MITRA_LOW_ADHERENCE", Decimal("0.70")) == expected


@pytest.mark.parametrize("raw", ["70", "1.2", "-0.1", "high", "NaN", "Infinity", "%", "120%"])
def test_a_share_outside_0_to_1_stops_start_up_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("MITRA_LOW_ADHERENCE", raw)
    with pytest.raises(ImproperlyConfigured) as err:
        env_share("MITRA_LOW_ADHERENCE", Decimal("0.70"))
    assert str(err.value) == (f"MITRA_LOW_ADHERENCE must be a share from 0 to 1 (0.7, or 70%),"
                              f" not {raw!r}")


@pytest.mark.parametrize("raw", ["0", "101", "-3"])
def test_the_minimum_of_prompts_is_bounded(monkeypatch, raw):
    monkeypatch.setenv("MITRA_LOW_ADHERENCE_MIN_PROMPTS", raw)
    with pytest.raises(ImproperlyConfigured, match="MITRA_LOW_ADHERENCE_MIN_PROMPTS must be"
                                                   " a whole number from 1 to 100"):
        env_int_between("MITRA_LOW_ADHERENCE_MIN_PROMPTS", 4, 1, 100)
    monkeypatch.setenv("MITRA_LOW_ADHERENCE_MIN_PROMPTS", "6")
    assert env_int_between("MITRA_LOW_ADHERENCE_MIN_PROMPTS", 4, 1, 100) == 6


def test_the_accessors_give_the_defaults_and_follow_the_settings(settings):
    assert conf.low_adherence_share() == Decimal("0.70")
    assert conf.low_adherence_min_prompts() == 4
    settings.MITRA_LOW_ADHERENCE = Decimal("0.8")
    settings.MITRA_LOW_ADHERENCE_MIN_PROMPTS = 7
    assert conf.low_adherence_share() == Decimal("0.8")
    assert conf.low_adherence_min_prompts() == 7
