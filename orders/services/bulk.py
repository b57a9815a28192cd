"""Bulk writes for the import path, without the ORM's per-value work.

A bulk import inserts tens of columns for every order, item and event. bulk_create converts
each value through the field's full preparation chain (pre_save, get_db_prep_save, its SQL
compilation), which measured as about 40% of an import's CPU time, and bulk_update builds a
CASE over every row for every column. Here what a model's insert needs is worked out once:
values whose Python type the database driver takes as they are (str, int, bool, None for
plain columns) pass straight through, and every other value (datetimes, decimals, JSON)
still goes through the field's own get_db_prep_save, so what is stored is what bulk_create
stores (tests/test_bulk_writes.py). PostgreSQL gets one INSERT ... SELECT FROM unnest() per
call, with one binary array per column; SQLite multi-row VALUES. Updates run one UPDATE per
row through executemany.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model

# Columns whose values the drivers take as they are when they already have one of these
# types; anything else goes through the field (a lazy string, a Decimal for an integer, …).
_PLAIN_TYPES: dict[str, tuple[type, ...]] = {
    "CharField": (str,),
    "TextField": (str,),
    "EmailField": (str,),
    "URLField": (str,),
    "SlugField": (str,),
    "IntegerField": (int,),
    "BigIntegerField": (int,),
    "SmallIntegerField": (int,),
    "PositiveIntegerField": (int,),
    "PositiveBigIntegerField": (int,),
    "PositiveSmallIntegerField": (int,),
    "BooleanField": (bool,),
}


def insert(objs: Sequence[Model], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """INSERT unsaved instances of one model, in as few statements as the database allows,
    and set their primary keys: QuerySet.bulk_create for the import's own tables."""
    if not objs:
        return
    model = type(objs[0])
    plan = _plan(model, connections[using], None)
    rows: list[list[Any]] = []
    for obj in objs:
        for field in plan.stamped:
            field.pre_save(obj, add=True)  # auto_now / auto_now_add, as save() sets them
        values = obj.__dict__
        for field in plan.related:
            if values.get(field.attname) is None:
                _related_id(obj, field)
        rows.append([values[name] for name in plan.attnames])
    for obj, pk in zip(objs, _insert(plan, rows, using), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using


def insert_rows(
    model: type[Model],
    names: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> list[Any]:
    """INSERT rows given as values of the columns `names` (attribute names, e.g. order_id),
    without building model instances; their primary keys, in order. A column left out takes
    its field's default, which must not be computed (callable, or auto_now): it would differ
    row by row."""
    if not rows:
        return []
    plan = _plan(model, connections[using], names)
    return _insert(plan, [[*row, *plan.defaults] for row in rows], using)


def _insert(plan: _Plan, rows: list[list[Any]], using: str) -> list[Any]:
    connection = connections[using]
    for row in rows:
        for index, field, plain in plan.checked:
            value = row[index]
            if type(value) not in plain:
                row[index] = field.get_db_prep_save(value, connection)
    pks: list[Any] = []
    with connection.cursor() as cursor:
        if plan.unnest_sql:
            # One array per column: the statement's text does not change with the number of
            # rows, so it is parsed and planned once, and its parameters are few.
            cursor.execute(plan.unnest_sql, [list(column) for column in zip(*rows, strict=True)])
            return [pk for (pk,) in cursor.fetchall()]
        size = max(1, _max_params(connection) // len(plan.attnames))
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            cursor.execute(
                plan.sql + ", ".join([plan.row_sql] * len(chunk)) + plan.returning,
                [value for row in chunk for value in row],
            )
            # Both databases return the rows of a multi-row VALUES insert in their order
            # (what bulk_create itself relies on).
            pks += [pk for (pk,) in cursor.fetchall()]
    return pks


def reserve_ids(model: type[Model], count: int, *, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """`count` new primary keys from the table's sequence, for rows this transaction inserts
    with insert_rows(..., ("id", ...)): PostgreSQL. Empty where there is no sequence to take
    them from (SQLite): insert the rows and use the keys they get."""
    connection = connections[using]
    if connection.vendor != "postgresql" or count <= 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def update(objs: Sequence[Model], names: list[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write these columns of saved instances, each row its own values: one UPDATE run for
    every row (executemany), where bulk_update builds a CASE over all rows for every column.
    auto_now is not applied (as with bulk_update): set such a field before calling."""
    if not objs:
        return
    connection = connections[using]
    meta = type(objs[0])._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",
            [
                [
                    *(
                        field.get_db_prep_save(getattr(obj, field.attname), connection)
                        for field in fields
                    ),
                    obj.pk,
                ]
                for obj in objs
            ],
        )


@dataclass(frozen=True)
class _Plan:
    attnames: list[str]  # the columns given, then the ones taking their defaults
    defaults: list[Any]  # the values of the columns not given
    stamped: list[Field]  # auto_now / auto_now_add
    related: list[Field]  # foreign keys
    # (column index, field, the value types that pass as they are) for each column
    checked: list[tuple[int, Field, tuple[type, ...]]]
    sql: str
    row_sql: str
    returning: str
    unnest_sql: str  # PostgreSQL: INSERT … SELECT FROM unnest(one array per column)


_plans: dict[tuple[type[Model], str, tuple[str, ...] | None], _Plan] = {}


def _plan(model: type[Model], connection: Any, names: tuple[str, ...] | None) -> _Plan:
    """What an insert needs to know about a model and its columns, worked out once."""
    key = (model, connection.vendor, names)
    if key not in _plans:
        _plans[key] = _make_plan(model, connection, names)
    return _plans[key]


def _make_plan(model: type[Model], connection: Any, names: tuple[str, ...] | None) -> _Plan:
    quote = connection.ops.quote_name
    meta = model._meta
    every = {
        f.attname: f
        for f in meta.concrete_fields
        if f is not meta.auto_field or (names and f.attname in names)  # ids of reserve_ids()
    }
    given = list(every) if names is None else list(names)
    unknown = set(given) - set(every)
    if unknown:
        raise ValueError(f"{model.__name__} has no column {sorted(unknown)}.")
    left_out = [field for name, field in every.items() if name not in given]
    for field in left_out:
        # Django's own fill-in for a field without a default ("" or None) is constant too.
        if (field.has_default() and callable(field.default)) or _stamped(field):
            raise ValueError(f"{model.__name__}.{field.name} needs a value in every row.")
    fields = [every[name] for name in given] + left_out
    checked = []
    for index, field in enumerate(fields):
        plain = (int,) if field.is_relation else _PLAIN_TYPES.get(field.get_internal_type(), ())
        checked.append((index, field, (*plain, type(None)) if plain else ()))
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(meta.db_table)
    returning = f" RETURNING {quote(meta.pk.column)}"
    unnest_sql = ""
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%b::{field.db_type(connection)}[]" for field in fields)
        unnest_sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}){returning}"
    return _Plan(
        attnames=[field.attname for field in fields],
        defaults=[field.get_default() for field in left_out],
        stamped=[field for field in fields if _stamped(field)],
        related=[field for field in fields if field.is_relation],
        checked=checked,
        sql=f"INSERT INTO {table} ({columns}) VALUES ",
        row_sql="(" + ", ".join(["%s"] * len(fields)) + ")",
        returning=returning,
        unnest_sql=unnest_sql,
    )


def _stamped(field: Field) -> bool:
    """auto_now / auto_now_add: set by pre_save when the row is written."""
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _related_id(obj: Model, field: Field) -> None:
    """The foreign key's id from the related instance it was given before that was saved
    (an item built with its new order), as bulk_create does."""
    if not field.is_cached(obj):
        return
    related = field.get_cached_value(obj)
    if related is None:
        return
    if related.pk is None:
        raise ValueError(f"{field.name} of a {type(obj).__name__} is not saved yet.")
    setattr(obj, field.attname, related.pk)


def _max_params(connection: Any) -> int:
    if connection.vendor == "sqlite":
        # The real limit of this SQLite build (32,766 since 3.32), not Django's 999.
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return 65_535  # PostgreSQL's bind-parameter limit per statement
