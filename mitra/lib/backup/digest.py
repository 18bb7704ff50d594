"""Row counts and content digests of every table: what a backup promises and a restore checks.

A table's digest is SHA-256 over one header line (the table's name and its column names, sorted)
and then one line per row, in primary-key order, each row a JSON array of its values in
canonical form (the values in column-name order):

- values are first read as the ORM reads them (each field's database converters), so a UUID,
  a date or a boolean is the same Python value on SQLite and on PostgreSQL;
- then written as JSON with sorted keys: datetimes in UTC ISO 8601, decimals without trailing
  zeros, UUIDs as text, durations in microseconds, bytes in hex.

So the same content gives the same digest after a round trip on one vendor, and, for the types
Mitra stores, on SQLite and PostgreSQL alike. A table no model describes (none in Mitra today,
but an operator may add one) is digested from the driver's values and its sorted row lines, so
it needs no key.

Columns come from the table itself, not the model: a restore checked by a newer Mitra (a model
with a column the backup's schema lacks) still digests what is there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Field, Model

ALGORITHM = "mitra-rows-sha256-v1"
FETCH = 2000  # rows per round trip; a server-side cursor on PostgreSQL keeps memory flat
TEXT_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField"}


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str


@dataclass(frozen=True)
class DatabaseContent:
    """What a backup records and a restore compares: every table, and the migrations applied."""

    tables: dict[str, TableDigest]
    migrations: list[str]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def _canonical(value: Any) -> Any:
    """JSON for the values json cannot write itself (called by the encoder as `default`)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        # 3.000 (PostgreSQL's numeric scale) and 3 (a REAL in SQLite) are the same amount.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, timedelta):
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"no canonical form for {type(value).__name__}")


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                            default=_canonical)


def row_line(values: tuple[Any, ...] | list[Any]) -> bytes:
    """One row as the digest sees it (public for the tests)."""
    return _ENCODER.encode(list(values)).encode() + b"\n"


def models_by_table() -> dict[str, type[Model]]:
    """Every concrete model's table, Django's migration record included."""
    found: dict[str, type[Model]] = {}
    models: list[type[Model]] = [*apps.get_models(include_auto_created=True),
                                 MigrationRecorder.Migration]
    for model in models:
        if not model._meta.proxy:
            found.setdefault(model._meta.db_table, model)
    return found


def base_tables(conn: BaseDatabaseWrapper) -> list[str]:
    """The database's own tables (not views), as the backup copies them."""
    with conn.cursor() as cursor:
        tables = conn.introspection.get_table_list(cursor)
    return sorted(t.name for t in tables if t.type == "t" and not t.name.startswith("sqlite_"))


def _columns(conn: BaseDatabaseWrapper, table: str) -> list[str]:
    quoted = conn.ops.quote_name(table)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quoted} WHERE 1 = 0")  # noqa: S608 - a table name
        return sorted(col[0] for col in cursor.description)


def _converters(conn: BaseDatabaseWrapper, table: str, fields: list[Field[Any, Any] | None]
                ) -> list[tuple[int, list[Callable[..., Any]], Any]]:
    """The ORM's converters for each modelled column (as SQLCompiler.apply_converters uses)."""
    found = []
    for pos, field in enumerate(fields):
        if field is None:
            continue
        col = field.get_col(table)
        converters = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
        if converters:
            found.append((pos, converters, col))
    return found


def _rows(conn: BaseDatabaseWrapper, sql: str) -> Iterator[tuple[Any, ...]]:
    # A server-side cursor on PostgreSQL (the caller holds the transaction it needs); SQLite's
    # cursor reads lazily anyway.
    cursor = conn.chunked_cursor() if conn.vendor == "postgresql" else conn.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(FETCH):
            yield from batch
    finally:
        cursor.close()


def digest_table(conn: BaseDatabaseWrapper, table: str,
                 model: type[Model] | None = None) -> TableDigest:
    columns = _columns(conn, table)
    quote = conn.ops.quote_name
    by_column = {f.column: f for f in model._meta.concrete_fields} if model else {}
    fields = [by_column.get(c) for c in columns]
    key = [f.column for f in model._meta.pk_fields] if model else []
    select = ", ".join(quote(c) for c in columns)
    digest = hashlib.sha256(row_line([table, columns]))
    count = 0
    if key and all(c in columns for c in key):
        order = []
        for column in key:
            text = by_column[column].get_internal_type() in TEXT_TYPES
            # Byte order on both vendors (SQLite compares text bytewise): a database created
            # with another collation would otherwise sort text keys, and the digest, differently.
            collate = ' COLLATE "C"' if text and conn.vendor == "postgresql" else ""
            order.append(quote(column) + collate)
        converters = _converters(conn, table, fields)
        sql = f"SELECT {select} FROM {quote(table)} ORDER BY {', '.join(order)}"  # noqa: S608
        for fetched in _rows(conn, sql):
            row = list(fetched)
            for pos, functions, col in converters:
                value = row[pos]
                for function in functions:
                    value = function(value, col, conn)
                row[pos] = value
            digest.update(row_line(row))
            count += 1
    else:
        # No key to order by: the row lines sorted instead (such tables are small, if any).
        sql = f"SELECT {select} FROM {quote(table)}"  # noqa: S608
        lines = sorted(row_line(row) for row in _rows(conn, sql))
        for line in lines:
            digest.update(line)
        count = len(lines)
    return TableDigest(rows=count, sha256=digest.hexdigest())


def applied_migrations(conn: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    table = MigrationRecorder.Migration._meta.db_table
    if table not in tables:
        return []
    quote = conn.ops.quote_name
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {quote('app')}, {quote('name')} FROM {quote(table)}")  # noqa: S608
        return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


def read_database(conn: BaseDatabaseWrapper) -> DatabaseContent:
    """Counts and digests of every table, and the migrations applied, read through `conn`.

    On PostgreSQL call it inside a transaction (the server-side cursors need one); for a
    backup, the REPEATABLE READ transaction whose snapshot pg_dump copies.
    """
    tables = base_tables(conn)
    models = models_by_table()
    digests = {table: digest_table(conn, table, models.get(table)) for table in tables}
    return DatabaseContent(tables=digests, migrations=applied_migrations(conn, tables))


def compare(expected: dict[str, TableDigest], actual: dict[str, TableDigest]) -> list[str]:
    """One line per table whose rows or content differ (empty: all equal)."""
    problems = []
    for table in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(table), actual.get(table)
        if got is None:
            problems.append(f"{table}: missing from the restored database")
        elif want is None:
            problems.append(f"{table}: in the restored database but not in the backup")
        elif want.rows != got.rows:
            problems.append(f"{table}: {got.rows} rows, the backup has {want.rows}")
        elif want.sha256 != got.sha256:
            problems.append(f"{table}: content differs from the backup ({got.rows} rows each)")
    return problems
