"""Fill a database with a realistic helpdesk of N tickets, fast, for load benchmarks.

    .venv/bin/python bench/generate.py \\
        --database-url postgres://postgres@127.0.0.1:5432/helpdesk_bench --tickets 1000000

How it stays fast:

* The schema is the product's own: the database is created if missing and `migrate` runs,
  so the load test meets exactly the tables, indexes and constraints production has.
* The few people and groups are made with the ORM; everything else streams into PostgreSQL
  with COPY. One generator loop writes each ticket's rows (ticket, messages, events,
  internal comments, participants) into one COPY stream per table at once; each stream is
  a file-like object that psycopg2's `copy_expert` reads in its own thread and connection
  while the loop goes on, so Python generates on one core while the server parses on the
  other. Rows carry
  explicit ids (1..n), so foreign keys are known without lookups; the sequences are moved
  past them afterwards.
* Tables are truncated in the same transaction as their COPY, which allows `COPY ... FREEZE`:
  rows land frozen and all-visible, and need no vacuum before the benchmark.
* Before loading, every non-primary-key index and every foreign key of the loaded tables is
  dropped (their SQL read from the catalog and kept); afterwards the indexes are rebuilt two
  at a time and the foreign keys added NOT VALID and then validated, so the result is
  identical to a normal migrate.
* The search vector is computed as the product computes it: `to_tsvector('russian', ...)`
  over the subject, the customer's name and identities and every message text. Tickets go
  into an UNLOGGED staging table with one extra column holding that text, and two
  concurrent `INSERT ... SELECT to_tsvector(...)` move one half each into tickets_ticket.

The data: two years of tickets that grow busier over time with a daily and weekly rhythm;
ticket numbers from 1000 rising with the creation time; a status mix of a real desk where
what is unsolved is mostly recent; Russian and English subjects and messages built from
fragments and numbers. Everything comes from `random.Random(--seed)`: same seed, same
database. A run that finds a finished database with enough tickets only prints its fixtures.
At the end the script prints one `BENCH-FIXTURES {json}` line with known objects the load
test uses (agent01's open ticket with exactly 5 messages and 3 internal comments, ...).

The pieces live in bench/generator/ (see its __init__ for the map); this file parses the
arguments and runs the phases.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generator.database import (
    MARKER,
    connect,
    connection_params,
    migrate,
    prepare_database,
    reset_sequences,
    run_sql,
    setup_django,
    write_marker,
)
from bench.generator.desk import DeskGenerator
from bench.generator.people import BENCH_PASSWORD, Staff, create_staff, make_customers
from bench.generator.schema import (
    check_fixture,
    fill_tickets,
    load,
    strip_for_load,
    unfilled_columns,
)
from bench.generator.shape import AGENTS
from bench.generator.tables import LOADED_TABLES

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


class Phases:
    """Times each phase and prints one line per phase."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        begin = time.monotonic()
        yield
        end = time.monotonic()
        print(f"{name:<28} {end - begin:7.1f}s   (total {end - self.started:6.1f}s)", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://user@host:port/db")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate regardless")
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.customers < 1:
        parser.error("--tickets and --customers must be positive")
    return args


def fixtures_for(args, staff: Staff, fixture: dict) -> dict:
    return {
        "ticket_with_5_messages": fixture["ticket_number"],
        "ticket_with_5_messages_id": fixture["ticket_id"],
        "customer_id": fixture["customer_id"],
        "agent_email": "agent01@bench.helpdesk",
        "agent_id": staff.agent_ids[0],
        "group_id": fixture["group_id"],
        "admin_email": "admin@bench.helpdesk",
        "internal_email": "internal01@bench.helpdesk",
        "password": BENCH_PASSWORD,
        "agents": [f"agent{n:02d}@bench.helpdesk" for n in range(1, len(AGENTS) + 1)],
        "tickets": args.tickets,
        "customers": args.customers,
        "first_number": 1000,
        "last_number": 999 + args.tickets,
        "search_terms": ["заказ", "возврат", "доставка", "refund", "invoice", "password"],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = connection_params(args.database_url)
    phase = Phases()

    with phase("database"):
        done = prepare_database(params, tickets=args.tickets, fresh=args.fresh)
    if done is not None:
        print(f'"{params["dbname"]}" already holds a bench desk of >= {args.tickets:,} tickets.')
        print("BENCH-FIXTURES " + json.dumps(done, ensure_ascii=False), flush=True)
        return 0

    with phase("migrate"):
        setup_django(args.database_url)
        migrate()
        missing = unfilled_columns(params)
        if missing:
            raise SystemExit(
                "The schema has required columns the generator does not write: "
                + ", ".join(missing)
                + ". Add them to bench/generator/tables.py."
            )
    with phase("staff and groups (ORM)"):
        staff = create_staff()
        from django.db import connections

        connections.close_all()
    with phase("drop indexes and FKs"):
        rebuild = strip_for_load(params)
    with phase("customers (in memory)"):
        rng = random.Random(args.seed)
        customers = make_customers(rng, args.customers)
        generator = DeskGenerator(rng, staff, customers, args.tickets, time.time())
    with phase("generate + COPY"):
        rows = load(params, generator, args.tickets, phase.started)
    print("    rows: " + ", ".join(f"{t.split('_', 1)[1]} {c:,}" for t, c in rows.items()))
    with phase("search vectors (2 halves)"):
        fill_tickets(params, args.tickets)
    with phase("vacuum tickets_ticket"):
        # COPY FREEZE left the other tables all-visible; INSERT cannot. Before the indexes,
        # so the vacuum has none to visit.
        run_sql(params, "VACUUM tickets_ticket")
    with phase("indexes"):
        rebuild.restore_indexes(params)
    with phase("foreign keys"):
        rebuild.restore_foreign_keys(params)
    with phase("sequences + analyze"):
        reset_sequences(params)
        run_sql(params, "ANALYZE " + ", ".join(LOADED_TABLES))
        check_fixture(params, generator.fixture["ticket_id"])

    fixtures = fixtures_for(args, staff, generator.fixture)
    marker = {"generator": MARKER, "complete": True, "tickets": args.tickets,
              "seed": args.seed, "fixtures": fixtures}  # fmt: skip
    admin = connect({**params, "dbname": "postgres"}, autocommit=True)
    try:
        write_marker(admin, params["dbname"], marker)
    finally:
        admin.close()
    print(f"done: {args.tickets:,} tickets in {time.monotonic() - phase.started:.1f}s")
    print("BENCH-FIXTURES " + json.dumps(fixtures, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
