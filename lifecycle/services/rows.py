"""Set-based row writes for the bulk writers (``bulk.py``, ``event_intake.py``, ``accounts_for_many``).

``bulk_create`` / ``bulk_update`` prepare every value through its field (64,000 calls for a thousand leads)
and ``bulk_update`` builds a ``CASE WHEN`` per row and column: together most of a thousand-lead upsert's
time. These write the same rows with one ``INSERT ... VALUES ... RETURNING id`` or one
``UPDATE ... FROM (VALUES ...)`` through psycopg2's ``execute_values``. They take model instances the caller
built (defaults, normalisation and rules stay in the model and the services) and plain values only: text,
numbers, booleans, aware datetimes, dates, decimals, None, and JSON fields (adapted here). No signals (none
are connected to these models), no ``save()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from psycopg2.extras import Json, execute_values


def _fields(model: type[models.Model], names: Sequence[str] | None = None) -> list[models.Field]:
    concrete = [f for f in model._meta.concrete_fields if not f.primary_key]
    if names is None:
        return concrete
    by_name = {f.name: f for f in concrete}
    return [by_name[name] for name in names]


def _quote(name: str | None) -> str:
    assert name is not None
    return connection.ops.quote_name(name)


def _value(field: models.Field, obj: models.Model) -> Any:
    value = getattr(obj, field.attname)
    if isinstance(field, models.JSONField):
        return Json(value, dumps=field.encoder().encode if field.encoder else None) if value is not None else None
    return value


def insert_rows(objs: Sequence[models.Model], *, on_conflict_nothing: bool = False) -> None:
    """INSERT ``objs`` (one model) in one statement and set their primary keys (not with
    ``on_conflict_nothing``, where rows that conflict are skipped and no key is set)."""
    if not objs:
        return
    model = type(objs[0])
    fields = _fields(model)
    quote = _quote
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES %s"
           + (" ON CONFLICT DO NOTHING" if on_conflict_nothing else f" RETURNING {quote(model._meta.pk.column)}"))
    rows = [tuple(_value(f, obj) for f in fields) for obj in objs]
    with connection.cursor() as cursor, connection.wrap_database_errors:  # Django's IntegrityError etc.
        found = execute_values(cursor.cursor, sql, rows, page_size=len(rows), fetch=not on_conflict_nothing)
    if on_conflict_nothing:
        return
    for obj, (pk,) in zip(objs, found, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = "default"


def insert_values(model: type[models.Model], names: Sequence[str], rows: Sequence[tuple[Any, ...]], *,
                  on_conflict_nothing: bool = False) -> None:
    """INSERT plain ``rows`` (tuples of the columns of fields ``names``; foreign keys as ids) in one statement:
    for link rows with nothing to default or normalise (no model instances built)."""
    if not rows:
        return
    fields = _fields(model, names)
    quote = _quote
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES %s"
           + (" ON CONFLICT DO NOTHING" if on_conflict_nothing else ""))
    with connection.cursor() as cursor, connection.wrap_database_errors:  # Django's IntegrityError etc.
        execute_values(cursor.cursor, sql, rows, page_size=len(rows))


def update_rows(objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """UPDATE the columns ``names`` of ``objs`` (one model, saved rows) to their values, in one statement."""
    if not objs or not names:
        return
    model = type(objs[0])
    fields = _fields(model, names)
    quote = _quote
    pk = model._meta.pk
    table = quote(model._meta.db_table)
    casts = [f"%s::{pk.db_type(connection)}", *(f"%s::{f.cast_db_type(connection)}" for f in fields)]
    columns = ["id_", *(f"v{i}" for i in range(len(fields)))]
    sets = ", ".join(f"{quote(f.column)} = v.v{i}" for i, f in enumerate(fields))
    sql = (f"UPDATE {table} SET {sets} FROM (VALUES %s) AS v ({', '.join(columns)}) "
           f"WHERE {table}.{quote(pk.column)} = v.id_")
    rows = [(obj.pk, *(_value(f, obj) for f in fields)) for obj in objs]
    with connection.cursor() as cursor, connection.wrap_database_errors:  # Django's IntegrityError etc.
        execute_values(cursor.cursor, sql, rows, template="(" + ", ".join(casts) + ")", page_size=len(rows))
