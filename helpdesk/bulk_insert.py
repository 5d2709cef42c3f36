"""Many rows of one model in one lean statement: `INSERT ... SELECT FROM unnest(arrays)`.

Django's `bulk_create` prepares every value of every row through the field machinery; for a
batch of a few hundred inbound messages that costs more than the database's own work. This
takes the values as the instances hold them (their defaults were filled in when they were
made), converting only what the driver cannot send as it is (JSON, files). It serves models
without array columns, database defaults or expressions as values; `bulk_create` serves the
rest. No signals are sent, as with `bulk_create`.
"""

from __future__ import annotations

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
        values = [getattr(obj, field.attname) for obj in objs]
        db_type = field.db_type(connection)
        if isinstance(field, JSONField):
            values = [None if v is None else json.dumps(v, cls=field.encoder) for v in values]
            db_type = "jsonb"
        elif isinstance(field, FileField):
            values = [str(v) if v else "" for v in values]
        elif any(isinstance(v, (BaseExpression, DatabaseDefault, list)) for v in values):
            raise ValueError(f"{opts.label}.{field.name}: only plain values go through unnest.")
        columns.append(connection.ops.quote_name(field.column))
        selects.append(f"%s::{db_type}[]")
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
