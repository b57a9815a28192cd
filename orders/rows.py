"""Model instances from a hand-written SELECT, each value converted as the ORM converts it.

For the reads every console request makes (the signed-in user, the timeline's version): they
are lookups on unique indexes, cheaper to run than the ORM's query compilation (or a raw
queryset's column mapping, done again for every query) is to prepare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

Converters = list[tuple[int, Any, list[Callable]]]

# Per connection (the converters are its backend's), per model and fields.
_converters: WeakKeyDictionary[BaseDatabaseWrapper, dict] = WeakKeyDictionary()


@cache
def field_names(model: type[Model], names: frozenset[str]) -> tuple[str, ...]:
    """These fields' names in the model's own order, the order from_db() needs values in."""
    return tuple(field.name for field in model._meta.concrete_fields if field.name in names)


def columns(model: type[Model], names: Sequence[str], table: str, quote: Callable) -> str:
    """The SELECT list of these fields of `table` (an alias), in the order of `names`."""
    meta = model._meta
    return ", ".join(f"{table}.{quote(meta.get_field(name).column)}" for name in names)


def instance(model: type[Model], names: Sequence[str], values: Sequence, using: str) -> Model:
    """The model instance for a row holding `names` (in field_names() order), as a queryset
    would give it: the fields not read are deferred."""
    connection = connections[using]
    attnames, converters = _reading(connection, model, tuple(names))
    if converters:
        values = list(values)
        for index, expression, functions in converters:
            value = values[index]
            for convert in functions:
                value = convert(value, expression, connection)
            values[index] = value
    return model.from_db(using, attnames, values)


def _reading(
    connection: BaseDatabaseWrapper, model: type[Model], names: tuple[str, ...]
) -> tuple[list[str], Converters]:
    known = _converters.setdefault(connection, {})
    found = known.get((model, names))
    if found is None:
        fields = [model._meta.get_field(name) for name in names]
        converters = []
        for index, field in enumerate(fields):
            # What the SQL compiler asks for each selected column (SQLCompiler.get_converters).
            expression = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
                connection
            )
            if functions:
                converters.append((index, expression, functions))
        found = known[(model, names)] = ([field.attname for field in fields], converters)
    return found
