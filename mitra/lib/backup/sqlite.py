"""SQLite: a copy through SQLite's online backup API, digests read from the copy.

`sqlite3.Connection.backup` copies the database in one step inside a read transaction, so the
copy is one consistent state even while the app writes (in WAL mode, which Mitra's settings
turn on, writers are not even held up). The digests are read from the copy, not the live
file, so they describe exactly what was copied.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper

from mitra.lib.backup.digest import DatabaseContent, read_database
from mitra.lib.backup.errors import BackupError, TargetNotEmpty, shown


def _read_only(path: Path) -> BaseDatabaseWrapper:
    """Django's SQLite wrapper on `path`, read-only: the ORM's converters read its values."""
    settings = {**connection.settings_dict, "NAME": f"{path.resolve().as_uri()}?mode=ro",
                "OPTIONS": {}}
    return DatabaseWrapper(settings, alias="mitra_backup_copy")


def read_file(path: Path) -> DatabaseContent:
    wrapper = _read_only(path)
    try:
        return read_database(wrapper)
    finally:
        wrapper.close()


def copy(target: Path) -> tuple[DatabaseContent, str, str]:
    """Copy Django's database into `target`; (its content, SQLite version, how it was copied)."""
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
        # The copy is one self-contained file: a WAL copy would want -wal/-shm files beside it.
        destination.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite's backup into {target} failed: {exc}") from None
    finally:
        destination.close()
    return read_file(target), sqlite3.sqlite_version, "sqlite3 online backup API"


def nonempty() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type <> 'table', name")
        return [row[0] for row in cursor.fetchall()]


def restore(copy_file: Path) -> None:
    """Write the copy into Django's (empty) database through the same backup API."""
    name = connection.settings_dict["NAME"]
    found = nonempty()
    if found:
        raise TargetNotEmpty(
            f"the database {name} is not empty: it has {len(found)} tables or views "
            f"({shown(found)}); restore only into an empty database (a new file in DATABASE_URL)")
    source = sqlite3.connect(f"{copy_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite's restore into {name} failed: {exc}") from None
    finally:
        source.close()


def read_restored() -> DatabaseContent:
    return read_database(connection)
