"""The benchmark generator against the schema as the migrations leave it today.

The generator writes rows with COPY, not with the ORM, so a migration that adds a required
column breaks it silently until someone runs `make bench` (a minute into the load). These
tests catch that in the suite.
"""

import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from bench.generator.schema import unfilled_columns

ROOT = Path(__file__).resolve().parent.parent


def params(dbname: str) -> dict:
    db = connection.settings_dict
    return {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432,
            "user": db["USER"] or "postgres", "dbname": dbname}  # fmt: skip


@pytest.mark.django_db
def test_every_required_column_is_written_by_the_generator():
    assert unfilled_columns(params(connection.settings_dict["NAME"])) == []


@pytest.mark.django_db
def test_a_column_the_generator_does_not_know_is_named():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE tickets_message ADD COLUMN bench_probe text NOT NULL")
    # The ALTER is in the test's transaction: another connection must not see it, so look
    # through this one by running the check's query here.
    from bench.generator.schema import REQUIRED_COLUMNS_SQL

    with connection.cursor() as cursor:
        cursor.execute(REQUIRED_COLUMNS_SQL, {"tables": ["tickets_message"]})
        assert ("tickets_message", "bench_probe") in cursor.fetchall()


def test_a_small_desk_is_generated_from_todays_schema():
    name = connection.settings_dict["NAME"] + "_generator"
    db = params(name)
    url = f"postgres://{db['user']}@{db['host']}:{db['port']}/{name}"
    run = subprocess.run(  # noqa: S603 - our own script, our own arguments
        [sys.executable, "bench/generate.py", "--database-url", url, "--tickets", "2000",
         "--fresh"],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    try:
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
        assert "BENCH-FIXTURES" in run.stdout
        conn = psycopg2.connect(**db)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT count(*), count(*) FILTER (WHERE search_vector IS NOT NULL) "
                        "FROM tickets_ticket")  # fmt: skip
            assert cur.fetchone() == (2000, 2000)
            cur.execute("SELECT count(DISTINCT ticket_id) FROM tickets_message")
            assert cur.fetchone()[0] == 2000
        conn.close()
    finally:
        admin = psycopg2.connect(**{**db, "dbname": "postgres"})
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
