"""The audit trail's sealing key lives outside the database, like SECRET_KEY."""

from __future__ import annotations

import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from mitra.lib.backup.manifest import secrets_to_keep
from mitra.lib.env import audit_key


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("MITRA_AUDIT_KEY", "MITRA_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_key_is_generated_once_into_the_var_folder_readable_by_its_owner_only(tmp_path,
                                                                                 clean_env):
    first = audit_key(tmp_path / "var")
    path = tmp_path / "var" / "audit_key"
    assert path.read_text().strip() == first and len(first) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert audit_key(tmp_path / "var") == first  # kept, not made again


def test_the_environment_and_a_key_file_come_before_the_generated_one(tmp_path, clean_env):
    clean_env.setenv("MITRA_AUDIT_KEY", "from-the-environment")
    assert audit_key(tmp_path) == "from-the-environment"
    key_file = tmp_path / "audit.key"
    key_file.write_text("from-a-file\n")
    clean_env.setenv("MITRA_AUDIT_KEY_FILE", str(key_file))
    assert audit_key(tmp_path) == "from-a-file"
    assert not (tmp_path / "audit_key").exists()


@pytest.mark.parametrize("content", [None, ""])
def test_a_missing_or_empty_key_file_stops_start_up_naming_the_variable(tmp_path, clean_env,
                                                                        content):
    key_file = tmp_path / "audit.key"
    if content is not None:
        key_file.write_text(content)
    clean_env.setenv("MITRA_AUDIT_KEY_FILE", str(key_file))
    with pytest.raises(ImproperlyConfigured, match="MITRA_AUDIT_KEY_FILE"):
        audit_key(tmp_path)


def test_a_backup_reminds_the_operator_to_keep_the_audit_key():
    (entry,) = [s for s in secrets_to_keep() if s["setting"] == "MITRA_AUDIT_KEY"]
    assert {"MITRA_AUDIT_KEY", "MITRA_AUDIT_KEY_FILE"} <= set(entry["environment"])
    assert "SECRET_KEY" not in entry["environment"]
