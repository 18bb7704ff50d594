"""Settings from the environment: safe defaults, strict parsing, production checks."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from unittest import mock

import pytest

from mitra.core.checks import production_settings
from tests.clitools import mitra_env, run_mitra

# Reading a setting imports mitra.settings; loading the apps (django.setup) would add a second
# to each start and change none of these values.
PRINT_SETTINGS = (
    "import json; from django.conf import settings;"
    "print(json.dumps({'db': settings.DATABASES['default']['NAME'],"
    " 'engine': settings.DATABASES['default']['ENGINE'], 'debug': settings.DEBUG,"
    " 'key': settings.SECRET_KEY, 'hosts': settings.ALLOWED_HOSTS}))"
)


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", PRINT_SETTINGS], env={**env, "DJANGO_SETTINGS_MODULE":
                                                     "mitra.settings"},
        capture_output=True, text=True, timeout=60,
    )


def settings_with(tmp_path, **overrides) -> dict:
    env = mitra_env(tmp_path)
    env.pop("DATABASE_URL")
    for name in ("DEBUG", "ALLOWED_HOSTS", "SECRET_KEY_FILE", "MITRA_PRODUCTION"):
        env.pop(name, None)
    env.update(overrides)
    result = load_settings(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_defaults_are_sqlite_under_var_and_debug_off(tmp_path):
    values = settings_with(tmp_path)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["db"] == str(tmp_path / "var" / "mitra.sqlite3")
    assert values["debug"] is False
    assert values["hosts"] == ["127.0.0.1", "localhost"]


@pytest.mark.slow
def test_secret_key_is_generated_once_into_var_and_kept_private(tmp_path):
    first = settings_with(tmp_path)["key"]
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert settings_with(tmp_path)["key"] == first  # reused, not regenerated
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert settings_with(other)["key"] != first  # each installation its own


@pytest.mark.slow
def test_secret_key_from_the_environment_wins(tmp_path):
    values = settings_with(tmp_path, SECRET_KEY="from-the-environment-" + "x" * 40)
    assert values["key"].startswith("from-the-environment-")
    assert not (tmp_path / "var" / "secret_key").exists()


@pytest.mark.slow
def test_explicit_settings_are_read(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    values = settings_with(tmp_path, DATABASE_URL=url, DEBUG="true",
                           ALLOWED_HOSTS="mitra.example.org, www.mitra.example.org")
    assert values["db"] == str(tmp_path / "other.sqlite3")
    assert values["debug"] is True
    assert values["hosts"] == ["mitra.example.org", "www.mitra.example.org"]


@pytest.mark.slow
@pytest.mark.parametrize("name, value, message", [
    ("DEBUG", "yes", "DEBUG must be 'true' or 'false', not 'yes'"),
    ("DEBUG", "1", "DEBUG must be 'true' or 'false', not '1'"),
    ("SECURE_COOKIES", "on", "SECURE_COOKIES must be 'true' or 'false', not 'on'"),
    ("MITRA_PRODUCTION", "True!", "MITRA_PRODUCTION must be 'true' or 'false'"),
    ("MITRA_STAFF_IDLE_MINUTES", "fifteen", "MITRA_STAFF_IDLE_MINUTES must be a whole number"),
    ("MITRA_LOGIN_FAILURE_LIMIT", "5.5", "MITRA_LOGIN_FAILURE_LIMIT must be a whole number"),
])
def test_strict_parsing_stops_with_a_clear_message(tmp_path, name, value, message):
    result = run_mitra("check", env=mitra_env(tmp_path, **{name: value}))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# --- production checks (mitra/core/checks.py) --------------------------------------------------


@pytest.fixture
def engine(settings):
    """Pretend the configured database is another engine (the check reads only the name)."""
    patcher = None

    def set_engine(name: str) -> None:
        nonlocal patcher
        patcher = mock.patch.dict(settings.DATABASES["default"], {"ENGINE": name})
        patcher.start()

    yield set_engine
    if patcher is not None:
        patcher.stop()


def ids(messages) -> set[str]:
    return {m.id for m in messages}


def test_no_production_checks_unless_production_is_declared(settings):
    settings.MITRA_PRODUCTION = False
    assert production_settings() == []


def test_production_refuses_sqlite_insecure_cookies_and_local_hosts(settings, engine):
    settings.MITRA_PRODUCTION = True
    settings.DEBUG = False
    engine("django.db.backends.sqlite3")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    found = ids(production_settings())
    assert {"mitra.W002", "mitra.W003", "mitra.W004", "mitra.W005"} <= found
    assert "mitra.W001" not in found
    settings.DEBUG = True
    assert "mitra.W001" in ids(production_settings())


def test_a_sound_production_configuration_passes(settings, engine):
    settings.MITRA_PRODUCTION = True
    settings.DEBUG = False
    engine("django.db.backends.postgresql")
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.ALLOWED_HOSTS = ["mitra.example.org"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.MITRA_BASE_URL = "https://mitra.example.org"
    assert production_settings() == []


@pytest.mark.slow
def test_mitra_check_reports_production_problems(tmp_path):
    env = mitra_env(tmp_path, MITRA_PRODUCTION="true")
    result = run_mitra("check", env=env)
    assert result.returncode == 0  # warnings, not errors: the operator decides
    assert "mitra.W002" in result.stderr and "mitra.W003" in result.stderr
    assert "mitra.W008" in result.stderr  # MITRA_BASE_URL: no default in production
    strict = run_mitra("check", "--fail-level", "WARNING", env=env)
    assert strict.returncode != 0
    assert os.environ.get("MITRA_PRODUCTION") is None  # the suite itself is not "production"
