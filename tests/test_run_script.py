"""`make run`'s environment: what it sets for the developer, and what it leaves alone."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg2

from scripts.devrun.common import read_options
from scripts.run import prepare_environment


def test_links_point_where_make_run_serves_unless_site_url_is_set():
    """A status link or an email's link must open the running helpdesk, on whatever port."""
    environ = {"PORT": "8300", "SECRET_KEY": "set", "DEBUG": "false"}
    prepare_environment(environ, set(environ), read_options(environ))
    assert environ["SITE_URL"] == "http://127.0.0.1:8300"

    chosen = {"PORT": "8300", "SECRET_KEY": "set", "SITE_URL": "https://help.example.com"}
    prepare_environment(chosen, set(chosen), read_options(chosen))
    assert chosen["SITE_URL"] == "https://help.example.com"


# --- A DATABASE_URL naming a database that does not exist --------------------------------------
# `make run` itself (scripts/run.py), in its own process group, against the real PostgreSQL.

ROOT = Path(__file__).resolve().parents[1]
ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres(statement: str, *params) -> list[tuple]:
    connection = psycopg2.connect(**ADMIN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def start_make_run(database_url: str) -> subprocess.Popen[str]:
    port = free_port()
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "TEST_"))
    }
    environ.update(
        DATABASE_URL=database_url,
        PORT=str(port),
        REALTIME_PORT=str(free_port()),
        SECRET_KEY="test-run-script",
        NO_COLOR="1",
    )
    return subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=ROOT,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def read_until(process: subprocess.Popen[str], wanted: str, seconds: float) -> list[str]:
    """The lines `process` printed until one containing `wanted` (or its end, or the time)."""
    lines: list[str] = []
    done = threading.Event()

    def reader() -> None:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if wanted in line:
                break
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(seconds)
    return lines


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_make_run_creates_the_missing_database_its_url_names_within_seconds():
    # Given: DATABASE_URL names a database that does not exist, on a server its user owns.
    name = f"helpdesk_missing_{uuid.uuid4().hex[:10]}"
    process = start_make_run(f"postgres://postgres@127.0.0.1:5432/{name}")
    try:
        # When: make run starts.
        lines = read_until(process, "applying migrations", seconds=5)

        # Then: within 5 s it has created the database and goes on preparing the product.
        assert any(f"created database {name}" in line for line in lines), lines
        assert any("applying migrations" in line for line in lines), lines
        assert postgres("SELECT 1 FROM pg_database WHERE datname = %s", name) == [(1,)]
    finally:
        stop(process)
        postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_make_run_says_in_one_line_what_to_run_when_the_database_cannot_be_created():
    # Given: DATABASE_URL names a missing database, as a user who may not create databases.
    role = f"nocreate_{uuid.uuid4().hex[:10]}"
    name = f"helpdesk_missing_{uuid.uuid4().hex[:10]}"
    postgres(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
    started = time.monotonic()
    process = start_make_run(f"postgres://{role}@127.0.0.1:5432/{name}")
    try:
        # When: make run starts.
        output, _ = process.communicate(timeout=5)
        took = time.monotonic() - started

        # Then: it stops within 5 s with one line saying what to run, and no traceback.
        assert process.returncode == 1, output
        problem = [line for line in output.splitlines() if not line.startswith("run: ")]
        assert len(problem) == 1, output
        assert f"createdb -h 127.0.0.1 -p 5432 -O {role} {name}" in problem[0], output
        assert "Traceback" not in output and took < 5
        assert postgres("SELECT 1 FROM pg_database WHERE datname = %s", name) == []
    finally:
        stop(process)
        postgres(f'DROP ROLE IF EXISTS "{role}"')


def test_make_run_says_in_one_line_when_the_configured_server_does_not_answer():
    # Given: DATABASE_URL names a server nobody listens on.
    port = free_port()
    started = time.monotonic()
    process = start_make_run(f"postgres://postgres@127.0.0.1:{port}/helpdesk")
    try:
        # When: make run starts.
        output, _ = process.communicate(timeout=5)

        # Then: within 5 s one line says so, and what to do.
        problem = [line for line in output.splitlines() if not line.startswith("run: ")]
        assert process.returncode == 1 and time.monotonic() - started < 5, output
        assert problem == [
            f"PostgreSQL does not answer at 127.0.0.1:{port} (DATABASE_URL): start it, "
            "or fix or unset DATABASE_URL."
        ], output
    finally:
        stop(process)
