"""Which failures are a passing outage (503 with Retry-After) and which a bug (500), on real
exceptions: a refused connection, a full SQLite file, the kernel's ENOSPC."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.db.backends.postgresql.base import DatabaseWrapper

from mitra.lib.outage import Outage, outage_of
from tests.faults import ClosedPort


@pytest.fixture
def refused(django_db_blocker):
    """The error of a real connection attempt to a port nobody listens on."""
    with django_db_blocker.unblock():  # this connection reaches no test database
        return _refused()


def _refused() -> Exception:
    port = ClosedPort()
    wrapper = DatabaseWrapper({
        "ENGINE": "django.db.backends.postgresql", "NAME": "x", "USER": "x", "PASSWORD": "",
        "HOST": "127.0.0.1", "PORT": str(port.port), "OPTIONS": {"connect_timeout": 2},
        "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False, "TIME_ZONE": None, "TEST": {},
    }, "refused")
    try:
        wrapper.ensure_connection()
    except Exception as exc:
        return exc
    finally:
        port.close()
    raise AssertionError("connected to a closed port")


def _sqlite_full(tmp_path: Path) -> Exception:
    db = sqlite3.connect(tmp_path / "small.sqlite3")
    db.execute("CREATE TABLE t (x BLOB)")
    db.execute("PRAGMA max_page_count = 2")
    try:
        db.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    except sqlite3.OperationalError as exc:
        try:  # as Django's database wrapper raises it
            raise OperationalError(*exc.args) from exc
        except OperationalError as wrapped:
            return wrapped
    finally:
        db.close()
    raise AssertionError("the insert fitted")


def test_a_refused_connection_is_a_database_outage(refused):
    exc = refused
    assert isinstance(exc, OperationalError)
    assert outage_of(exc) is Outage.DATABASE
    assert outage_of(InterfaceError("connection already closed")) is Outage.DATABASE


def test_a_failure_while_handling_a_database_error_is_the_outage(refused):
    try:
        try:
            raise refused
        except OperationalError:
            raise AttributeError("_session_cache") from None
    except AttributeError as exc:
        # `from None` hides the cause from tracebacks, not from __context__.
        assert outage_of(exc) is Outage.DATABASE


def test_a_full_sqlite_file_is_a_full_disk(tmp_path):
    exc = _sqlite_full(tmp_path)
    assert "database or disk is full" in str(exc)
    assert outage_of(exc) is Outage.DISK_FULL


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_enospc_is_a_full_disk():
    with pytest.raises(OSError) as raised, open("/dev/full", "w") as disk:  # noqa: PTH123
        disk.write("x")
        disk.flush()
    assert raised.value.errno == errno.ENOSPC
    assert outage_of(raised.value) is Outage.DISK_FULL


def test_postgresqls_disk_full_is_a_full_disk():
    try:
        raise OperationalError("could not extend file") from psycopg.errors.DiskFull("full")
    except OperationalError as exc:
        assert outage_of(exc) is Outage.DISK_FULL


def test_a_bug_is_no_outage():
    assert outage_of(IntegrityError("duplicate key")) is None
    assert outage_of(ValueError("bad")) is None
    assert outage_of(FileNotFoundError(errno.ENOENT, "missing")) is None
    assert outage_of(None) is None
