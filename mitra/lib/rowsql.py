"""Single-row SQL for hot write paths, built once per model instead of on every call.

The ORM compiles its SQL on every `create()` and `filter()`: about 0.6 ms each on a slow core,
which was most of the cost of a diary submission (`bench/diary_submissions.py`). `insert` writes
one model instance with a statement built once per model, preparing every value exactly as
`Model.save()` does (each field's `pre_save` and `get_db_prep_save`), so the row is the same.
What it skips is `save()` itself and the save signals: it refuses a model that has signal
receivers, and is meant for new records whose `save()` adds nothing to an insert.

`prep` and `rows` are for hand-written queries on those tables: parameters prepared by the
field (a UUID is hex text on SQLite, native on PostgreSQL) and plain result rows.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import signals


def _connection():
    """The connection itself: every attribute read through `django.db.connection` (a proxy)
    looks the connection up again, and these helpers read several per statement."""
    return connections[DEFAULT_DB_ALIAS]


def _cursor(conn) -> Any:
    """A cursor on `conn` kept for the database connection's life.

    Django makes a new cursor (and psycopg a new adapter map) for every statement: about a
    tenth of a diary submission's CPU. The kept one is Django's own cursor wrapper, so errors
    still arrive as django.db errors and a statement in a broken transaction is still refused;
    a new database connection gets a new cursor. Each helper reads its results before
    returning, so within a thread the one cursor never serves two statements at once.

    Django's own cursor per statement instead: while queries are logged (DEBUG, a test
    counting queries), and where one connection serves several threads (the live test
    server on SQLite's in-memory database), which would otherwise read each other's rows.
    """
    if conn.queries_logged or conn.allow_thread_sharing:
        return conn.cursor()
    # What conn.cursor() would do first (CONN_HEALTH_CHECKS, once per request): a connection
    # the database dropped since the last request is closed here, and the next line makes a
    # new cursor on a new one, instead of the kept cursor failing the request.
    conn.close_if_health_check_failed()
    kept = conn.__dict__.get("_rowsql_cursor")
    if kept is None or kept[0] is not conn.connection:
        cursor = conn.cursor()
        kept = conn._rowsql_cursor = (conn.connection, cursor)
    return kept[1]


@cache
def _insert_statement(model: type[models.Model], vendor: str) -> tuple[str, tuple, bool]:
    """(sql, fields, returns_pk) for one row of `model` on this database vendor."""
    for signal in (signals.pre_save, signals.post_save):
        if signal.has_listeners(model):
            raise TypeError(f"{model.__name__} has save signal receivers: use the ORM")
    meta = model._meta
    if not isinstance(meta.pk, models.AutoField):
        raise TypeError(f"{model.__name__}: only models with an automatic integer key")
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    returning = connection.features.can_return_columns_from_insert
    sql = "INSERT INTO {} ({}) VALUES ({}){}".format(  # noqa: S608
        quote(meta.db_table), ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
        f" RETURNING {quote(meta.pk.column)}" if returning else "",
    )
    return sql, fields, returning


def insert(obj: models.Model) -> models.Model:
    """INSERT `obj` (a new instance) and set its primary key; returns it, saved."""
    conn = _connection()
    sql, fields, returning = _insert_statement(type(obj), conn.vendor)
    params = [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]
    cursor = _cursor(conn)
    cursor.execute(sql, params)
    obj.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    obj._state.adding = False
    obj._state.db = conn.alias
    return obj


def prep(model: type[models.Model], field: str, value: Any, conn=None) -> Any:
    """`value` as a query parameter for `model.field` on this database."""
    return model._meta.get_field(field).get_db_prep_value(value, conn or _connection())


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def rows(sql: str, params: list | tuple = ()) -> list[tuple]:
    cursor = _cursor(_connection())
    cursor.execute(sql, params)
    return cursor.fetchall()


def execute(sql: str, params: list | tuple = ()) -> int:
    """Run one statement; returns the number of rows it changed."""
    cursor = _cursor(_connection())
    cursor.execute(sql, params)
    return cursor.rowcount


def for_update() -> str:
    """' FOR UPDATE' where the database locks rows (PostgreSQL); SQLite locks the database."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def decimal(value: Any, places: int) -> Decimal | None:
    """A decimal column's value as the ORM returns it: SQLite hands back int or float."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def _converters(model: type[models.Model]) -> list[tuple[int, list, Any]]:
    """(column index, converters, column) for the converters the ORM's compiler applies to
    `model`'s concrete columns (SQLite: aware datetimes, booleans, decimals)."""
    meta = model._meta
    converters = []
    for i, f in enumerate(meta.concrete_fields):
        col = f.get_col(meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((i, found, col))
    return converters


def _load(model: type[models.Model], values: list, converters, conn) -> models.Model:
    for i, found, col in converters:
        for convert in found:
            values[i] = convert(values[i], col, conn)
    return model.from_db(conn.alias, None, values)


@cache
def _select_statement(model: type[models.Model], field: str, vendor: str) -> tuple[str, list]:
    """(sql, converters) reading every concrete column of one `model` row by `field`."""
    meta = model._meta
    quote = connection.ops.quote_name
    sql = "SELECT {} FROM {} WHERE {} = %s".format(  # noqa: S608
        ", ".join(quote(f.column) for f in meta.concrete_fields), quote(meta.db_table),
        quote(meta.get_field(field).column))
    return sql, _converters(model)


def get(model: type[models.Model], field: str, value: Any) -> models.Model | None:
    """The `model` row whose `field` equals `value` (a unique field), as the ORM would load
    it, or None."""
    if field == "pk":
        field = model._meta.pk.name
    conn = _connection()
    sql, converters = _select_statement(model, field, conn.vendor)
    cursor = _cursor(conn)
    cursor.execute(sql, [prep(model, field, value, conn)])
    row = cursor.fetchone()
    return None if row is None else _load(model, list(row), converters, conn)


@cache
def _joined_statement(model: type[models.Model], field: str, joined: type[models.Model],
                      link: str, vendor: str) -> tuple[str, list, list, int, int]:
    """(sql, converters, joined converters, column count of `model`, column of the joined
    key): a `model` row by `field` with the `joined` row whose one-to-one `link` points at
    it."""
    meta, other = model._meta, joined._meta
    quote = connection.ops.quote_name
    columns = [f"m.{quote(f.column)}" for f in meta.concrete_fields]
    columns += [f"j.{quote(f.column)}" for f in other.concrete_fields]
    sql = "SELECT {} FROM {} m LEFT JOIN {} j ON j.{} = m.{} WHERE m.{} = %s".format(  # noqa: S608
        ", ".join(columns), quote(meta.db_table), quote(other.db_table),
        quote(other.get_field(link).column), quote(meta.pk.column),
        quote(meta.get_field(field).column))
    split = len(meta.concrete_fields)
    return (sql, _converters(model), _converters(joined), split,
            split + list(other.concrete_fields).index(other.pk))


def get_with(model: type[models.Model], field: str, value: Any, joined: type[models.Model],
             link: str) -> tuple[models.Model | None, models.Model | None]:
    """As `get`, and in the same statement the `joined` row whose one-to-one field `link`
    points at it (None when there is none), cached on both sides as `select_related` does:
    reading the relation from either object costs no query."""
    if field == "pk":
        field = model._meta.pk.name
    conn = _connection()
    sql, converters, joined_converters, split, joined_key = _joined_statement(
        model, field, joined, link, conn.vendor)
    cursor = _cursor(conn)
    cursor.execute(sql, [prep(model, field, value, conn)])
    row = cursor.fetchone()
    if row is None:
        return None, None
    obj = _load(model, list(row[:split]), converters, conn)
    relation = joined._meta.get_field(link)
    other = None
    if row[joined_key] is not None:
        other = _load(joined, list(row[split:]), joined_converters, conn)
        relation.set_cached_value(other, obj)
    relation.remote_field.set_cached_value(obj, other)
    return obj, other
