"""Strict readers for settings taken from the environment.

A typo in a production setting should stop start-up with a message, not be read as a default.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() == "true":
        return True
    if raw.lower() == "false":
        return False
    raise ImproperlyConfigured(f"{name} must be 'true' or 'false', not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_int_between(name: str, default: int, low: int, high: int) -> int:
    """A whole number from `low` to `high`, both included."""
    value = env_int(name, default)
    if not low <= value <= high:
        raise ImproperlyConfigured(
            f"{name} must be a whole number from {low} to {high}, not {value}")
    return value


def env_share(name: str, default: Decimal) -> Decimal:
    """A share from 0 to 1: "0.7", or "70%" for the same."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    try:
        value = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= 1:
        raise ImproperlyConfigured(
            f"{name} must be a share from 0 to 1 (0.7, or 70%), not {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def _key(var_dir: Path, name: str, file_env: str, file_name: str) -> str:
    """A key from the file `file_env` names, the variable `name`, or one generated once into
    `var_dir/file_name` (mode 0600)."""
    path = os.environ.get(file_env)
    if path:
        try:
            key = Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{file_env} {path!r} cannot be read: {exc.strerror}") \
                from None
        if not key:
            raise ImproperlyConfigured(f"{file_env} {path!r} is empty")
        return key
    if os.environ.get(name):
        return os.environ[name]
    key_file = var_dir / file_name
    if not key_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# Each key's helper spells out the variables it reads: the backup's manifest finds them there.
def secret_key(var_dir: Path) -> str:
    """SECRET_KEY from SECRET_KEY_FILE, SECRET_KEY, or a key generated once into var/."""
    return _key(var_dir, "SECRET_KEY", "SECRET_KEY_FILE", "secret_key")


def audit_key(var_dir: Path) -> str:
    """The audit trail's sealing key from MITRA_AUDIT_KEY_FILE, MITRA_AUDIT_KEY, or a key
    generated once into var/audit_key."""
    return _key(var_dir, "MITRA_AUDIT_KEY", "MITRA_AUDIT_KEY_FILE", "audit_key")


def research_key(var_dir: Path) -> str:
    """The research export's pseudonym and date-shift key from MITRA_RESEARCH_KEY_FILE,
    MITRA_RESEARCH_KEY, or a key generated once into var/research_key: outside the database,
    so a copy of the database alone cannot link a pseudonym back to a patient."""
    return _key(var_dir, "MITRA_RESEARCH_KEY", "MITRA_RESEARCH_KEY_FILE", "research_key")
