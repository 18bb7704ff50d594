"""One accessor per Mitra setting: the default written once, in mitra/settings.py."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mitra.diary import forms
from mitra.lib import conf
from tests.clitools import mitra_env

# Each accessor's value in a fresh process whose environment sets none of them.
PRINT_CONF = (
    "import django, json; django.setup(); from mitra.lib import conf;"
    "print(json.dumps({'production': conf.production(), 'base_url': conf.base_url(),"
    " 'escalation': conf.alert_escalation_minutes(), 'locale': conf.crisis_locale(),"
    " 'missed': conf.diary_missed_days(), 'share': str(conf.diary_escalation_share()),"
    " 'max': conf.diary_max_amount()}))"
)


def test_the_defaults_come_from_the_settings_module_alone(tmp_path):
    env = {k: v for k, v in mitra_env(tmp_path).items() if not k.startswith("MITRA_")}
    env.update(MITRA_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="mitra.settings")
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", PRINT_CONF], env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # The README's "Configuration" table and the diary README give these defaults.
    assert json.loads(result.stdout) == {
        "production": False, "base_url": "http://127.0.0.1:8000", "escalation": 30,
        "locale": "en-US", "missed": 3, "share": "0.25", "max": {},
    }


def test_the_base_url_defaults_to_the_development_server_only_outside_production(tmp_path):
    """Without MITRA_PRODUCTION mails link to the address `make run` serves; in production
    nothing is assumed (`mitra check` warns until MITRA_BASE_URL is set, mitra.W008)."""
    env = {k: v for k, v in mitra_env(tmp_path).items() if not k.startswith("MITRA_")}
    env.update(MITRA_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="mitra.settings",
               MITRA_PRODUCTION="true")
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", PRINT_CONF], env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["base_url"] == ""


def test_each_accessor_reads_the_setting_of_the_moment_and_converts_it(settings):
    settings.MITRA_PRODUCTION = True
    settings.MITRA_BASE_URL = "https://mitra.example.org/"
    settings.MITRA_ALERT_ESCALATION_MINUTES = "10"
    settings.MITRA_CRISIS_LOCALE = "en-GB"
    settings.MITRA_DIARY_MISSED_DAYS = 0
    settings.MITRA_DIARY_ESCALATION_SHARE = 0.4
    settings.MITRA_DIARY_MAX_AMOUNT = {"g": 60}
    assert conf.production() is True
    assert conf.base_url() == "https://mitra.example.org"
    assert conf.alert_escalation_minutes() == 10
    assert conf.crisis_locale() == "en-GB"
    assert conf.diary_missed_days() == 1  # at least one day, whatever is set
    assert conf.diary_escalation_share() == Decimal("0.4")
    limits = conf.diary_max_amount()
    assert limits == {"g": 60}
    limits["g"] = 1  # a copy: a reader cannot change the deployment's limits
    assert conf.diary_max_amount() == {"g": 60}


def test_the_web_form_and_the_csv_command_read_one_maximum(settings, tmp_path: Path):
    settings.MITRA_DIARY_MAX_AMOUNT = {"g": 60}
    assert forms.amount_limits()["g"] == Decimal("60")
    path = tmp_path / "d.csv"
    path.write_text("timestamp,substance,amount,unit\n2026-01-01T08:00,kratom_powder,61,g\n")
    with pytest.raises(CommandError, match="at most 60 g"):
        call_command("diary", "analyze", str(path), stdout=StringIO())
    settings.MITRA_DIARY_MAX_AMOUNT = {}
    out = StringIO()
    call_command("diary", "analyze", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["days"][0]["total_g"] == 61
