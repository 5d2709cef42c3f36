"""Many rows of one model in one lean statement: `INSERT ... SELECT FROM unnest(arrays)`.

Django's `bulk_create` prepares every value of every row through the field machinery; for a
batch of a few hundred inbound messages that costs more than the database's own work. This
takes the values as the instances hold them (their defaults were filled in when they were
made), converting only what the driver cannot send as it is (JSON, files). It serves models
without array columns, database defaults or expressions as values; `bulk_create` serves the
rest. No signals are sent, as with `bulk_create`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

from django.db import connection
from django.db.models import FileField, JSONField, Model
from django.db.models.expressions import BaseExpression, DatabaseDefault


def insert_rows(objs: Sequence[Model]) -> None:
    """Insert instances of one model, in order. Instances without a primary key get theirs
    (in order, like `bulk_create`); they may not mix with instances that have one."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk or type(obj) is not model for obj in objs):
        raise ValueError("Rows of one model, all with a primary key or all without.")
    for obj in objs:
        # Related objects saved after this one was made lend it their keys now.
        obj._prepare_related_fields_for_save(operation_name="insert_rows")
    fields = [f for f in opts.concrete_fields if not f.generated and (with_pk or not f.primary_key)]
    columns, selects, arrays = [], [], []
    for field in fields:
        values = [_plain(field, getattr(obj, field.attname)) for obj in objs]
        if any(isinstance(v, (BaseExpression, DatabaseDefault, list)) for v in values):
            raise ValueError(f"{opts.label}.{field.name}: only plain values go through unnest.")
        columns.append(connection.ops.quote_name(field.column))
        selects.append(f"%s::{_cast(field)}[]")
        arrays.append(values)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(opts.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names from the model, values are parameters
        f"SELECT * FROM unnest({', '.join(selects)})"
    )
    with connection.cursor() as cursor:
        if with_pk:
            cursor.execute(sql, arrays)
        else:
            pk = connection.ops.quote_name(opts.pk.column)
            cursor.execute(f"{sql} RETURNING {pk}", arrays)
            for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = value
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_together(
    rows: Sequence[Model], *, first_row_sql: dict[str, tuple[str, list]] | None = None
) -> None:
    """Insert a few new rows that point at one another (a ticket, its first event and
    message, the message's files) in one statement: a data-modifying CTE per row, in order,
    each row taking the new keys of the rows before it that it refers to. One round trip
    instead of one per row, and none of the ORM's compiling.

    Values are taken as `insert_rows` takes them; a column left to its database default
    (`db_default`) is read back, as `save()` would. `first_row_sql` gives SQL (and its
    parameters) for some columns of the first row: an expression such as a search vector.
    Related objects outside `rows` must be saved already."""
    q = connection.ops.quote_name
    aliases = {id(obj): f"r{n}" for n, obj in enumerate(rows)}
    ctes, params, read_back = [], [], []
    for n, obj in enumerate(rows):
        columns, values, sources = [], [], []
        for field in obj._meta.concrete_fields:
            if field.primary_key or field.generated:
                continue
            value = getattr(obj, field.attname)
            parent = _parent_in(obj, field, aliases)
            if parent is not None:
                sources.append(aliases[id(parent)])
                values.append(f"{sources[-1]}.{q(parent._meta.pk.column)}")
            elif n == 0 and field.name in (first_row_sql or {}):
                sql, sql_params = first_row_sql[field.name]
                values.append(sql)
                params.extend(sql_params)
            elif isinstance(value, DatabaseDefault):
                read_back.append((obj, field))
                continue
            else:
                values.append(f"%s::{_cast(field)}")
                params.append(_plain(field, value))
            columns.append(q(field.column))
        returned = ", ".join(
            q(f.column) for f in [obj._meta.pk, *(f for o, f in read_back if o is obj)]
        )
        source = f" FROM {', '.join(dict.fromkeys(sources))}" if sources else ""
        ctes.append(
            f"{aliases[id(obj)]} AS (INSERT INTO {q(obj._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)}{source} RETURNING {returned})"
        )
    selected = [(obj, obj._meta.pk) for obj in rows] + read_back
    columns = ", ".join(f"{aliases[id(obj)]}.{q(field.column)}" for obj, field in selected)
    sql = f"WITH {', '.join(ctes)} SELECT {columns} FROM {', '.join(aliases.values())}"  # noqa: S608 - names from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    for (obj, field), value in zip(selected, found, strict=True):
        setattr(obj, field.attname, value)
    for obj in rows:
        obj._state.adding, obj._state.db = False, connection.alias
        for field in obj._meta.concrete_fields:
            parent = _parent_in(obj, field, aliases)
            if parent is not None:
                # Not through the descriptor: it would drop the cached parent (a query later).
                obj.__dict__[field.attname] = parent.pk
    for name in first_row_sql or ():
        # Written from SQL, not from the instance: left unread (deferred), so that a later
        # save() does not overwrite it with what the instance holds.
        rows[0].__dict__.pop(rows[0]._meta.get_field(name).attname, None)


def _parent_in(obj: Model, field, aliases: dict[int, str]) -> Model | None:
    """The object `field` of `obj` points at, when it is one of the rows being inserted."""
    parent = field.get_cached_value(obj, None) if field.is_relation else None
    return parent if parent is not None and id(parent) in aliases else None


@functools.cache
def _cast(field) -> str:
    """The SQL type a value is cast to (a field works out its type afresh on every call)."""
    return "jsonb" if isinstance(field, JSONField) else field.db_type(connection)


def _plain(field, value):
    """A value as the driver takes it."""
    if isinstance(field, JSONField):
        return None if value is None else json.dumps(value, cls=field.encoder)
    if isinstance(field, FileField):
        return str(value) if value else ""
    return value
