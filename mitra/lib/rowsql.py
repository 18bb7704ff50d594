"""Hand-written SQL for the diary submission's hot path, and the per-request user look-up.

What is here was measured against the ORM with prepared statements on PostgreSQL
(`bench/rowsql_uses.py`; a use stays only where it saves more than about 5% of a diary
submission): the submission's locked look-up of the day and its edit UPDATEs, the alert-key
and missed-diary look-ups, the 42 days of diary the flags read (`rows`, `execute`, `prep`,
`table`), and the signed-in user with their patient record in one statement (`get_with`).
Inserts, the session read and the audit insert went back to the ORM (1-5% each).

Every statement runs on a cursor of its own, as the ORM's do (`with connection.cursor()`), so
errors arrive as django.db errors, query logging and counting see every statement, and no
cursor outlives its statement. Every value is a parameter; table and column names come from
the models' metadata.

`get_with` loads model instances itself and so depends on Django API that is not public.
Re-check these at every Django upgrade (`mitra/lib/tests/test_rowsql.py` pins the result
against the ORM's):
- `Field.get_col()`, `connection.ops.get_db_converters()` and `Col.get_db_converters()`: the
  converters the ORM's SQL compiler applies to each column (SQLite datetimes, booleans);
- `Model.from_db()` with every concrete column in order (documented) and `_state` it sets;
- `ForeignObject.set_cached_value()` / `remote_field.set_cached_value()`: the
  `select_related` cache on both sides of the one-to-one.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)
J = TypeVar("J", bound=models.Model)
# (column index, the converters the ORM applies to it, the column expression they are given)
Converters = list[tuple[int, list[Any], Any]]


def _connection() -> BaseDatabaseWrapper:
    """The connection itself: every attribute read through `django.db.connection` (a proxy)
    looks the connection up again, and these helpers read several per statement."""
    return connections[DEFAULT_DB_ALIAS]


def _one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with _connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """`model`'s field `name`, a concrete column (`get_field` is typed to return reverse
    relations too)."""
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def prep(model: type[models.Model], field: str, value: Any,
         conn: BaseDatabaseWrapper | None = None) -> Any:
    """`value` as a query parameter for `model.field` on this database."""
    return _field(model, field).get_db_prep_value(value, conn or _connection())


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with _connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; returns the number of rows it changed."""
    with _connection().cursor() as cursor:
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


def _converters(model: type[models.Model]) -> Converters:
    """(column index, converters, column) for the converters the ORM's compiler applies to
    `model`'s concrete columns (SQLite: aware datetimes, booleans, decimals)."""
    meta = model._meta
    converters: Converters = []
    for i, f in enumerate(meta.concrete_fields):
        col = f.get_col(meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((i, found, col))
    return converters


def _load(model: type[M], values: list[Any], converters: Converters,
          conn: BaseDatabaseWrapper) -> M:
    for i, found, col in converters:
        for convert in found:
            values[i] = convert(values[i], col, conn)
    # No field names: every concrete column is in `values`, and Django reads the names only
    # when some are missing (deferred).
    return model.from_db(conn.alias, None, values)  # type: ignore[arg-type]


@cache
def _joined_statement(model: type[models.Model], field: str, joined: type[models.Model],
                      link: str, vendor: str) -> tuple[str, Converters, Converters, int, int]:
    """(sql, converters, joined converters, column count of `model`, column of the joined
    key): a `model` row by `field` with the `joined` row whose one-to-one `link` points at
    it."""
    meta, other = model._meta, joined._meta
    quote = connection.ops.quote_name
    columns = [f"m.{quote(f.column)}" for f in meta.concrete_fields]
    columns += [f"j.{quote(f.column)}" for f in other.concrete_fields]
    sql = "SELECT {} FROM {} m LEFT JOIN {} j ON j.{} = m.{} WHERE m.{} = %s".format(  # noqa: S608
        ", ".join(columns), quote(meta.db_table), quote(other.db_table),
        quote(_field(joined, link).column), quote(meta.pk.column),
        quote(_field(model, field).column))
    split = len(meta.concrete_fields)
    return (sql, _converters(model), _converters(joined), split,
            split + list(other.concrete_fields).index(other.pk))


def get_with(model: type[M], field: str, value: Any, joined: type[J],
             link: str) -> tuple[M | None, J | None]:
    """The `model` row whose unique `field` equals `value`, loaded as the ORM would load it,
    and in the same statement the `joined` row whose one-to-one field `link` points at it
    (None when there is none), cached on both sides as `select_related` does: reading the
    relation from either object costs no query. (None, None) when there is no such row."""
    if field == "pk":
        field = model._meta.pk.name
    conn = _connection()
    sql, converters, joined_converters, split, joined_key = _joined_statement(
        model, field, joined, link, conn.vendor)
    row = _one(sql, [prep(model, field, value, conn)])
    if row is None:
        return None, None
    obj = _load(model, list(row[:split]), converters, conn)
    relation = cast("models.OneToOneField[Any, Any]", joined._meta.get_field(link))
    other = None
    if row[joined_key] is not None:
        other = _load(joined, list(row[split:]), joined_converters, conn)
        relation.set_cached_value(other, obj)
    relation.remote_field.set_cached_value(obj, other)
    return obj, other
