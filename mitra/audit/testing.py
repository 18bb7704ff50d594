"""Test support: let Django's test flush empty the audit tables their triggers protect.

A transactional test (the live server, threads) ends with Django's flush: TRUNCATE on
PostgreSQL, DELETE on SQLite, both refused by the trail's triggers. Only the test run lifts
them, and only around the flush: `allow_test_flush()` wraps each backend's `sql_flush` so that
the statements it returns set the triggers aside, empty the tables and put the triggers back.
"""

from __future__ import annotations

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper

PostgresOps = PostgresWrapper.ops_class
SqliteOps = SqliteWrapper.ops_class

AUDIT_TABLES = ("audit_auditevent", "audit_auditchainhead")


def _postgres(self, style, tables, **kwargs):
    statements = _original[PostgresOps](self, style, tables, **kwargs)
    ours = [t for t in AUDIT_TABLES if t in tables]
    if not statements or not ours:
        return statements
    off = [f"ALTER TABLE {t} DISABLE TRIGGER USER;" for t in ours]
    on = [f"ALTER TABLE {t} ENABLE TRIGGER USER;" for t in ours]
    return off + statements + on


def _sqlite(self, style, tables, **kwargs):
    statements = _original[SqliteOps](self, style, tables, **kwargs)
    ours = [t for t in AUDIT_TABLES if t in tables]
    if not statements or not ours:
        return statements
    with self.connection.cursor() as cursor:
        cursor.execute("SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        triggers = [(name, sql) for name, sql, table in cursor.fetchall() if table in ours]
    return ([f"DROP TRIGGER {name};" for name, _sql in triggers] + statements
            + [sql for _name, sql in triggers])


_original = {PostgresOps: PostgresOps.sql_flush, SqliteOps: SqliteOps.sql_flush}


def allow_test_flush() -> None:
    PostgresOps.sql_flush = _postgres  # type: ignore[method-assign]
    SqliteOps.sql_flush = _sqlite  # type: ignore[method-assign]
