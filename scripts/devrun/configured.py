"""A DATABASE_URL the developer set: its database is created when missing (if its user may),
else `make run` says in one line what to do, within seconds."""

import contextlib
import os
import pwd
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2
from psycopg2 import errors as pg_errors
from psycopg2 import sql

from scripts.devrun.common import DEFAULT_POSTGRES_PORT, LOCALHOST, SetupError, say, tcp_answers


def configured_url(name: str, environ: dict[str, str], dotenv: Path) -> str:
    """The value of `name` from the environment, else from .env (as Django will read it)."""
    if environ.get(name):
        return environ[name]
    pattern = re.compile(rf"\A(?:export )?{re.escape(name)}=(.*)\Z")
    with contextlib.suppress(OSError):
        for line in dotenv.read_text(errors="replace").splitlines():
            if match := pattern.match(line.strip()):
                return match[1].strip().strip("'\"")
    return ""


def check_configured_database(url: str) -> None:
    """The database a configured DATABASE_URL names, created when it is missing and its user
    may create it; else SetupError in one line that says what to do. Connection attempts give
    up after 3 s: a wrong URL must not cost the developer Django's pool time-outs."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        return  # not ours to check
    name = unquote(parts.path.lstrip("/"))
    host, port = parts.hostname or LOCALHOST, parts.port or DEFAULT_POSTGRES_PORT
    user = unquote(parts.username or "") or pwd.getpwuid(os.getuid()).pw_name
    password = unquote(parts.password) if parts.password else None
    where = f"{host}:{port}"

    def connect(dbname: str):
        return psycopg2.connect(
            host=host, port=port, user=user, password=password, dbname=dbname, connect_timeout=3
        )

    try:
        connect(name).close()
        return
    except psycopg2.OperationalError as error:
        reason = first_line(error)
    if not tcp_answers(host, port, timeout=3):
        raise SetupError(
            f"PostgreSQL does not answer at {where} (DATABASE_URL): start it, "
            "or fix or unset DATABASE_URL."
        )
    if "does not exist" not in reason or f'"{name}"' not in reason:
        raise SetupError(f"PostgreSQL at {where} refused DATABASE_URL: {reason}")
    try:
        connection = connect("postgres")
    except psycopg2.Error:
        connection = None
    if connection is not None:
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name} at {where} (DATABASE_URL named a missing one)")
            return
        except pg_errors.DuplicateDatabase:
            return  # created meanwhile
        except psycopg2.Error:
            pass
        finally:
            connection.close()
    raise SetupError(
        f"Database {name} does not exist at {where} and user {user} may not create it: "
        f"run `createdb -h {host} -p {port} -O {user} {name}` as a PostgreSQL superuser, "
        "or fix DATABASE_URL."
    )


def first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
