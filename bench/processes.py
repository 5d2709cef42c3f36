"""Start and stop the product's processes for benchmarks, the way `make run` runs them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port} after {timeout} s")


def start(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> subprocess.Popen:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / f"{name}.log").open("ab")
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def web(env, port: int, log_dir: Path, workers: int = 2) -> subprocess.Popen:
    """The pages and the API as `make run` serves them (its websockets server is not started:
    no benchmark opens a socket, and real-time events go out through Redis all the same)."""
    from scripts.devrun.common import Options
    from scripts.devrun.supervisor import child_commands

    options = Options(host="127.0.0.1", port=port, realtime_port=0, web_concurrency=workers,
                      celery_concurrency=2)  # fmt: skip
    process = start("web", child_commands(options)["web"], env, log_dir)
    wait_for_port(port)
    return process


def worker(env, log_dir: Path, concurrency: int = 2) -> subprocess.Popen:
    return start("worker", [
        "nice", "-n", "10", PYTHON, "-m", "celery", "-A", "helpdesk", "worker", "-l", "warning",
        "-Q", "default,inbound,outbound,sla,reports", "--concurrency", str(concurrency),
    ], env, log_dir)  # fmt: skip


def beat(env, log_dir: Path) -> subprocess.Popen:
    return start("beat", [
        PYTHON, "-m", "celery", "-A", "helpdesk", "beat", "-l", "warning",
        "--schedule", str(log_dir / "celerybeat-schedule"),
    ], env, log_dir)  # fmt: skip


def redis(port: int, log_dir: Path) -> subprocess.Popen:
    process = start("redis", [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no",
    ], dict(os.environ), log_dir)  # fmt: skip
    wait_for_port(port)
    return process


def ensure_database(url: str) -> None:
    """Create the database if it does not exist, then migrate it."""
    import psycopg2
    from django.db.utils import ConnectionHandler  # noqa: F401 - django is importable

    name = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0] + "/postgres"
    connection = psycopg2.connect(base)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )


def environment(database: str, redis_port: int, **settings: str) -> dict[str, str]:
    """The product's settings for a benchmark process (and for this one, which also talks to
    that database): a private Redis, production mode, quiet logs, plus `settings`."""
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": "bench",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        **settings,
    }
    os.environ.update(env)
    return env


def recreate_database(url: str) -> None:
    """Drop the database of `url` (and whoever is connected to it), then create it afresh."""
    import psycopg2

    name = url.rsplit("/", 1)[1]
    connection = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()
    ensure_database(url)
