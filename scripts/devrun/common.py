"""Paths, ports and small helpers shared by the `make run` pieces."""

import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
PYTHON = sys.executable

DATABASE_NAME = "helpdesk"
LOCALHOST = "127.0.0.1"
DEFAULT_POSTGRES_PORT = 5432
PRIVATE_POSTGRES_PORT = 54329
DEFAULT_REDIS_PORT = 6379
PRIVATE_REDIS_PORT = 63799

STOP_TIMEOUT = 10.0  # seconds a child (or private server) gets between SIGTERM and SIGKILL
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CELERY_QUEUES = "default,inbound,outbound,sla,reports"
COLOURS = {"web": "36", "realtime": "32", "worker": "33", "beat": "35", "run": "1"}  # ANSI


class SetupError(Exception):
    """Something the developer has to fix: the message is printed as is, without a traceback."""


def say(message: str) -> None:
    print(f"run: {message}", flush=True)


def tcp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, to show why a server did not start."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def relative(path: Path) -> str:
    """`path` relative to the repository root when it is inside it, for friendlier messages."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass(frozen=True)
class Options:
    host: str
    port: int
    realtime_port: int
    web_concurrency: int
    celery_concurrency: int


def env_int(environ: dict[str, str], name: str, default: int) -> int:
    value = environ.get(name) or str(default)
    try:
        return int(value)
    except ValueError:
        raise SetupError(f"{name} must be a whole number, not {value!r}.") from None


def default_web_concurrency() -> int:
    """Two web processes per core. Browsers and API clients keep their connections open, and
    a process takes whichever connection it accepts first: with one process per core, two
    busy connections often land on one process (one core) while the other core idles. Twice
    as many processes lets the kernel spread the work (measured: p95 of the queue page 35-45
    ms instead of 50-100 ms with two processes on two cores)."""
    return 2 * (os.cpu_count() or 1)


def read_options(environ: dict[str, str]) -> Options:
    return Options(
        host=environ.get("HOST") or LOCALHOST,
        port=(port := env_int(environ, "PORT", 8000)),
        realtime_port=env_int(environ, "REALTIME_PORT", port + 1),
        web_concurrency=env_int(environ, "WEB_CONCURRENCY", default_web_concurrency()),
        celery_concurrency=env_int(environ, "CELERY_CONCURRENCY", 2),
    )
