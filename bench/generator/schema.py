"""Around the load: indexes and foreign keys out and back in, and the load itself.

Before the load `strip_for_load` drops every foreign key touching the loaded tables and
their non-primary-key indexes and unique constraints, reading their SQL from the catalog
into a `Rebuild` that puts them back afterwards (indexes two at a time, longest first;
foreign keys NOT VALID, then validated). `load` streams the generator's rows into the tables
and the staging table with COPY, `fill_tickets` moves the staged tickets into tickets_ticket
with their search vectors, and `check_fixture` checks the load test's known ticket.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.generator.database import connect, copy_streams, run_parallel, run_sql
from bench.generator.desk import DeskGenerator
from bench.generator.tables import (
    COPY_COLUMNS,
    LOADED_TABLES,
    ROWS_PER_TICKET,
    STAGING,
    TICKET_COLUMNS,
)

# ---------------------------------------------------------------------------------------------
# Indexes and foreign keys: dropped before the load, rebuilt after it
# ---------------------------------------------------------------------------------------------

FOREIGN_KEYS_SQL = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint
WHERE contype = 'f' AND (conrelid = ANY(%(tables)s::regclass[])
                         OR confrelid = ANY(%(tables)s::regclass[]))
ORDER BY 1, 2
"""
INDEXES_SQL = """
SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid), c.conname, c.contype,
       c.condeferrable, c.condeferred
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                          AND c.contype IN ('u', 'x')
WHERE x.indrelid = ANY(%(tables)s::regclass[]) AND NOT x.indisprimary
ORDER BY 1, 2
"""


@dataclass
class Rebuild:
    """The SQL that puts back what `strip_for_load` took away, straight from the catalog."""

    indexes: list[tuple[str, str]]  # (table, CREATE INDEX ...)
    constraints: list[str]  # ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...
    foreign_keys: list[tuple[str, str, str]]  # (table, name, definition)

    def restore_indexes(self, params: dict) -> None:
        # Longest first (GIN, not parallel in PostgreSQL 15; then the biggest tables), on
        # two connections: both cores stay busy until the end.
        run_parallel(params, [[sql] for _, sql in self.indexes])
        conn = connect(params, autocommit=True)
        try:
            with conn.cursor() as cur:
                for sql in self.constraints:
                    cur.execute(sql)
        finally:
            conn.close()

    def restore_foreign_keys(self, params: dict) -> None:
        """Add each foreign key NOT VALID (instant), then validate them, one referencing table
        per connection (validations of different tables do not block each other)."""
        conn = connect(params, autocommit=True)
        try:
            with conn.cursor() as cur:
                for table, name, definition in self.foreign_keys:
                    cur.execute(
                        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID'
                    )
        finally:
            conn.close()
        by_table: dict[str, list[str]] = {}
        for table, name, _ in self.foreign_keys:
            by_table.setdefault(table, []).append(
                f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"'
            )
        tasks = sorted(by_table.items(), key=lambda item: -ROWS_PER_TICKET.get(item[0], 0))
        run_parallel(params, [statements for _, statements in tasks])


# Columns the load writes besides those the COPY streams name.
FILLED_BY_SQL = {"tickets_ticket": ("search_vector", "participant_addresses")}
REQUIRED_COLUMNS_SQL = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = ANY(%(tables)s)
  AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
"""


def unfilled_columns(params: dict) -> list[str]:
    """NOT NULL columns without a default that no COPY stream writes: a migration added them
    after the generator was written. Checked before the minute-long load, not after it."""
    written = {table: set(columns) for table, columns in COPY_COLUMNS.items()}
    written["tickets_ticket"] = {*TICKET_COLUMNS, *FILLED_BY_SQL["tickets_ticket"]}
    conn = connect(params)
    try:
        with conn.cursor() as cur:
            cur.execute(REQUIRED_COLUMNS_SQL, {"tables": list(LOADED_TABLES)})
            required = cur.fetchall()
    finally:
        conn.close()
    return sorted(f"{t}.{c}" for t, c in required if c not in written.get(t, ()))


def strip_for_load(params: dict) -> Rebuild:
    """Drop the foreign keys touching the loaded tables and their non-primary-key indexes
    and unique constraints; return the SQL to recreate them."""
    conn = connect(params)
    try:
        with conn.cursor() as cur:
            cur.execute(FOREIGN_KEYS_SQL, {"tables": list(LOADED_TABLES)})
            foreign_keys = cur.fetchall()
            cur.execute(INDEXES_SQL, {"tables": list(LOADED_TABLES)})
            indexes = cur.fetchall()
            for table, name, _ in foreign_keys:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild = Rebuild(indexes=[], constraints=[], foreign_keys=foreign_keys)
            costs = []
            for table, index, definition, constraint, kind, deferrable, deferred in indexes:
                if kind == "x":
                    raise SystemExit(f"Exclusion constraint {constraint} is not supported.")
                if constraint:
                    cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                    timing = (" DEFERRABLE" if deferrable else "") + (
                        " INITIALLY DEFERRED" if deferred else ""
                    )
                    rebuild.constraints.append(
                        f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" '
                        f'UNIQUE USING INDEX "{index}"{timing}'
                    )
                else:
                    cur.execute(f'DROP INDEX "{index}"')
                weight = ROWS_PER_TICKET.get(table, 0) * (10 if " USING gin " in definition else 1)
                costs.append((weight, table, definition))
            rebuild.indexes = [(table, sql) for _, table, sql in sorted(costs, reverse=True)]
        conn.commit()
    finally:
        conn.close()
    return rebuild


# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------


def copy_preparations() -> dict[str, str]:
    columns = ", ".join(TICKET_COLUMNS)
    staging = (
        f"DROP TABLE IF EXISTS {STAGING}; "
        f"CREATE UNLOGGED TABLE {STAGING} AS SELECT {columns} FROM tickets_ticket WITH NO DATA; "
        f"ALTER TABLE {STAGING} ADD COLUMN body text"
    )
    tables = [t for t in COPY_COLUMNS if t != STAGING]
    return {STAGING: staging, **{table: f"TRUNCATE {table}" for table in tables}}


def load(params: dict, generator: DeskGenerator, n: int, started: float) -> dict[str, int]:
    """Generate every row and stream it into PostgreSQL; returns rows per table."""
    step = max(n // 10, 1)
    with copy_streams(params, copy_preparations()) as out:
        for i in range(1, n + 1):
            generator.ticket(i, out)
            if i % step == 0:
                print(f"    {i:>9,} tickets  {time.monotonic() - started:7.1f}s", flush=True)
        generator.customer_rows(out)
    return {table: stream.rows for table, stream in out.items()}


def fill_tickets(params: dict, n: int) -> None:
    """Staging -> tickets_ticket with the search vector, in two halves at once (two cores)."""
    columns = ", ".join(TICKET_COLUMNS)
    half = n // 2

    def part(low: int, high: int) -> list[str]:
        return [
            f"INSERT INTO tickets_ticket ({columns}, search_vector, participant_addresses) "
            f"SELECT {columns}, to_tsvector('russian'::regconfig, body), '{{}}' FROM {STAGING} "
            f"WHERE id BETWEEN {low} AND {high}"
        ]

    run_parallel(params, [part(1, half), part(half + 1, n)])
    run_sql(params, f"DROP TABLE {STAGING}")


def check_fixture(params: dict, ticket_id: int) -> None:
    rows = run_sql(
        params,
        "SELECT (SELECT count(*) FROM tickets_message WHERE ticket_id = t.id), "
        "(SELECT count(*) FROM comments_internalcomment WHERE ticket_id = t.id), t.status "
        f"FROM tickets_ticket t WHERE t.id = {int(ticket_id)}",
    )
    if rows != [(5, 3, "open")]:
        raise RuntimeError(f"The fixture ticket came out wrong: {rows}")
