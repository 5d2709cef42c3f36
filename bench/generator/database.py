"""Database plumbing: connections, COPY streams, parallel SQL, the database itself.

Parsing the URL and connecting; `CopyStream`, a file-like object each table's COPY reads in
its own thread and connection while the generator writes rows, and `copy_streams` to open
and close a set of them; `run_parallel` and `run_sql` for the statements after the load and
`reset_sequences`; the JSON marker in the database's comment that says this script made it
(and whether it finished), `prepare_database` that creates or recreates it, and Django's
setup and `migrate` for the product's own schema.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2
import psycopg2.errors

from bench.generator.tables import COPY_COLUMNS, LOADED_TABLES

ROOT = Path(__file__).resolve().parents[2]
# The generator's name in the database comment; desks made before the split carry it too.
MARKER = "bench/generate.py"

# ---------------------------------------------------------------------------------------------
# Database plumbing
# ---------------------------------------------------------------------------------------------


def connection_params(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"Not a PostgreSQL URL: {url}")
    params = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "dbname": unquote(parts.path.lstrip("/")),
    }
    if parts.password:
        params["password"] = unquote(parts.password)
    if not params["dbname"]:
        raise SystemExit("The database URL must name a database.")
    return params


def connect(params: dict, *, autocommit: bool = False, session: str = ""):
    conn = psycopg2.connect(**params)
    conn.autocommit = autocommit
    if session:
        with conn.cursor() as cur:
            cur.execute(session)
        if not autocommit:
            conn.commit()
    return conn


LOAD_SESSION = "SET synchronous_commit = off"
BUILD_SESSION = (
    "SET synchronous_commit = off; SET maintenance_work_mem = '1GB'; "
    "SET max_parallel_maintenance_workers = 2; SET work_mem = '256MB'"
)


class CopyStream:
    """A file-like object that psycopg2's `copy_expert` reads, in a thread of its own and on
    a connection of its own, while the generator adds rows. Rows are joined into chunks of
    a few hundred kilobytes; a short queue keeps memory flat and lets both sides run."""

    CHUNK_ROWS = 2000

    def __init__(self, params: dict, table: str, *, prepare: str) -> None:
        self.table = table
        self.rows = 0
        self._lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        columns = ", ".join(COPY_COLUMNS[table])
        statement = f"COPY {table} ({columns}) FROM STDIN WITH (FREEZE)"
        self._thread = threading.Thread(
            target=self._run, args=(params, prepare, statement), name=f"copy-{table}", daemon=True
        )
        self._thread.start()

    def add(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= self.CHUNK_ROWS:
            self._flush()

    def read(self, size: int = -1) -> str:
        chunk = self._queue.get()
        return "" if chunk is None else chunk

    def close(self) -> None:
        self._flush()
        self._put(None)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError(f"COPY into {self.table} failed") from self._error

    def _flush(self) -> None:
        if self._lines:
            self.rows += len(self._lines)
            self._put("".join(self._lines))
            self._lines.clear()

    def _put(self, chunk: str | None) -> None:
        while True:
            try:
                self._queue.put(chunk, timeout=1)
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError(f"COPY into {self.table} failed") from self._error
            else:
                return

    def _run(self, params: dict, prepare: str, statement: str) -> None:
        try:
            conn = connect(params, session=LOAD_SESSION)
            try:
                with conn.cursor() as cur:
                    # Created or truncated in the COPY's own transaction: FREEZE is allowed.
                    cur.execute(prepare)
                    cur.copy_expert(statement, self, size=1 << 20)
                conn.commit()
            finally:
                conn.close()
        except BaseException as error:  # handed to the generator thread by close()/_put()
            self._error = error


@contextmanager
def copy_streams(params: dict, prepares: dict[str, str]) -> Iterator[dict[str, CopyStream]]:
    streams = {table: CopyStream(params, table, prepare=sql) for table, sql in prepares.items()}
    try:
        yield streams
    finally:
        errors = []
        for stream in streams.values():
            try:
                stream.close()
            except RuntimeError as error:
                errors.append(error)
        if errors:
            raise errors[0]


def run_parallel(params: dict, tasks: list[list[str]], *, workers: int = 2) -> None:
    """Run task lists on `workers` connections; each task's statements run in order."""
    todo: queue.Queue[list[str]] = queue.Queue()
    for task in tasks:
        todo.put(task)
    errors: list[BaseException] = []

    def work() -> None:
        conn = connect(params, autocommit=True, session=BUILD_SESSION)
        try:
            with conn.cursor() as cur:
                while not errors:
                    try:
                        task = todo.get_nowait()
                    except queue.Empty:
                        return
                    for statement in task:
                        cur.execute(statement)
        except BaseException as error:
            errors.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def run_sql(params: dict, *statements: str) -> list:
    """Run statements in autocommit; return the last one's rows (if any)."""
    conn = connect(params, autocommit=True, session=BUILD_SESSION)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def reset_sequences(params: dict) -> None:
    """Move every id sequence past the loaded ids, and the ticket numbers past the last."""
    statements = [
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"coalesce(max(id), 0) + 1, false) FROM {table}"
        for table in LOADED_TABLES
    ]
    statements.append(
        "SELECT setval('tickets_ticket_number_seq', coalesce(max(number), 999) + 1, false) "
        "FROM tickets_ticket"
    )
    run_sql(params, *statements)


# ---------------------------------------------------------------------------------------------
# Creating, checking and dropping the database
# ---------------------------------------------------------------------------------------------


def read_marker(admin, name: str) -> dict | None:
    with admin.cursor() as cur:
        cur.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        row = cur.fetchone()
    if row is None:
        return None
    try:
        marker = json.loads(row[0] or "")
    except ValueError:
        return {}
    return marker if isinstance(marker, dict) and marker.get("generator") == MARKER else {}


def write_marker(conn, name: str, marker: dict) -> None:
    with conn.cursor() as cur:
        cur.execute(f'COMMENT ON DATABASE "{name}" IS %s', [json.dumps(marker)])


def table_count(params: dict) -> int:
    conn = connect(params)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            return cur.fetchone()[0]
    finally:
        conn.close()


def prepare_database(params: dict, *, tickets: int, fresh: bool) -> dict | None:
    """Create the database, or recreate it. Returns the stored fixtures when the database
    is already a finished benchmark desk of at least `tickets` tickets (nothing to do).

    A database this script did not make is only dropped with --fresh (or when it is empty),
    so a typo in the URL cannot wipe a developer's desk."""
    name = params["dbname"]
    admin = connect({**params, "dbname": "postgres"}, autocommit=True)
    try:
        marker = read_marker(admin, name)
        if marker is not None:
            if not fresh and marker.get("complete") and marker.get("tickets", 0) >= tickets:
                return marker["fixtures"]
            if not marker and not fresh and table_count(params) > 0:
                raise SystemExit(
                    f'Database "{name}" has tables and was not made by {MARKER}; '
                    "refusing to drop it (pass --fresh to insist)."
                )
            print(f'dropping database "{name}" ({"--fresh" if fresh else "other size"})')
            try:
                with admin.cursor() as cur:
                    cur.execute(f'DROP DATABASE "{name}"')
            except psycopg2.errors.ObjectInUse as error:
                raise SystemExit(f"Cannot drop {name}: {error.pgerror.strip()}") from None
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        write_marker(admin, name, {"generator": MARKER, "complete": False})
    finally:
        admin.close()
    return None


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["SECRET_KEY"] = "bench-generate-not-secret"  # noqa: S105
    os.environ["DEBUG"] = "false"
    os.environ["DATABASE_CONN_MAX_AGE"] = "0"
    os.environ["DATABASE_POOL_SIZE"] = "0"  # a one-shot script: plain connections, no pool
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
