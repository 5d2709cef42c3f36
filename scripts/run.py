"""Run the helpdesk on a developer's machine: the process orchestrator behind `make run`.

1. Find PostgreSQL and Redis. A DATABASE_URL or REDIS_URL set in the environment (or in .env,
   which Django reads too) is used as is. Otherwise the server on the default local port is used
   if it answers, else a private one is started from the binaries installed on this machine
   (PostgreSQL under var/postgres on port 54329, Redis under var/redis on port 63799) and
   stopped again on exit. If there is neither, say what is missing in one line and exit 1.
2. Prepare the environment: a SECRET_KEY generated once and kept in var/secret_key, DEBUG=true
   and SITE_URL where the pages are served, unless set already.
3. Migrate, collect static files, compile the translations and load the demo data.
4. Print where the app is and the demo logins.
5. Run web (granian: pages and API on PORT), realtime (uvicorn: websockets on REALTIME_PORT,
   PORT+1 by default), worker and beat (Celery) in the foreground, each in its own process
   group, with their output prefixed by name like honcho or foreman. Ctrl-C or SIGTERM stops
   them all (SIGTERM, then SIGKILL after 10 s) and exits 0; if one exits on its own, the
   others are stopped and run.py exits with that child's status.

Stdlib only, plus psycopg2.
"""

import contextlib
import ipaddress
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.devrun.common import (
    PYTHON,
    ROOT,
    STOP_SIGNALS,
    VAR,
    Options,
    SetupError,
    read_options,
    say,
)
from scripts.devrun.services import provide_services
from scripts.devrun.supervisor import Supervisor, child_commands, use_colour

# --- Options and environment --------------------------------------------------------------------


def dotenv_names(path: Path) -> set[str]:
    """Names assigned in .env, matched the way django-environ's read_env matches them."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return set()
    pattern = re.compile(r"\A(?:export )?([A-Za-z_0-9]+)=")
    return {match[1] for line in text.splitlines() if (match := pattern.match(line))}


def configured_names(environ: dict[str, str]) -> set[str]:
    """Variables the developer has set. Django reads .env without overriding the environment,
    so exporting our default for a name set only in .env would silently override it."""
    return {name for name, value in environ.items() if value} | dotenv_names(ROOT / ".env")


def development_secret_key(path: Path) -> str:
    """A SECRET_KEY generated once and kept in `path` (mode 600), so sessions survive restarts."""
    with contextlib.suppress(OSError):
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def site_url(options: Options) -> str:
    """Where `make run` serves the pages: the base of the links in emails and of the status
    link the web form answers with."""
    return f"http://{url_host(options.host)}:{options.port}"


def prepare_environment(environ: dict[str, str], configured: set[str], options: Options) -> None:
    if "SITE_URL" not in configured:
        environ["SITE_URL"] = site_url(options)  # else links would point at port 8000
    if "SECRET_KEY" not in configured:
        environ["SECRET_KEY"] = development_secret_key(VAR / "secret_key")
    if "DEBUG" not in configured:
        environ["DEBUG"] = "true"
    environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    environ["PYTHONUNBUFFERED"] = "1"  # children's output reaches us line by line


def ensure_port_free(host: str, port: int, variable: str = "PORT") -> None:
    """`variable` names the setting that chooses this port, for the hint."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            pass
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise SetupError(
            f"Cannot listen on {host}:{port} ({reason}): stop whatever is using it, "
            f"or choose another address with HOST and {variable} "
            f"(e.g. {variable}={port + 10} make run)."
        ) from None


# --- Preparing the app --------------------------------------------------------------------------

SETUP_STEPS = (
    ("applying migrations", ("migrate", "--noinput")),
    ("collecting static files", ("collectstatic", "--noinput", "-v", "0")),
    ("compiling translations", ("compile_translations",)),
    ("loading the demo data", ("seed_demo",)),
)


def manage(environ: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *arguments],
        cwd=ROOT,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )


def prepare_app(environ: dict[str, str]) -> None:
    for description, arguments in SETUP_STEPS:
        say(f"{description}...")
        result = manage(environ, *arguments)
        if result.returncode != 0:
            output = "\n".join(part.strip() for part in (result.stdout, result.stderr) if part)
            raise SetupError(
                f"`manage.py {shlex.join(arguments)}` failed (exit {result.returncode}):\n{output}"
            )


def url_host(host: str) -> str:
    """How to write `host` in a URL a browser can open."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return "localhost"
    return f"[{host}]" if address.version == 6 else host


def print_banner(environ: dict[str, str], options: Options) -> None:
    base = site_url(options)
    print(
        f"\n  The helpdesk is starting at {base}/\n"
        f"    API docs  {base}/api/docs/\n"
        f"    Admin     {base}/admin/\n"
        f"    Websockets on port {options.realtime_port}\n"
    )
    logins = manage(environ, "seed_demo", "--print-logins")
    if logins.returncode == 0 and logins.stdout.strip():
        print(logins.stdout, end="" if logins.stdout.endswith("\n") else "\n")
        print()
    print("  Press Ctrl-C to stop.\n", flush=True)


# --- Main ---------------------------------------------------------------------------------------


def run(cleanup: contextlib.ExitStack) -> int:
    environ = dict(os.environ)
    configured = configured_names(environ)
    options = read_options(environ)
    ensure_port_free(options.host, options.port)
    ensure_port_free(options.host, options.realtime_port, "REALTIME_PORT")
    provide_services(environ, configured, cleanup)
    prepare_environment(environ, configured, options)
    environ["REALTIME_PORT"] = str(options.realtime_port)  # where pages open their websocket
    prepare_app(environ)
    print_banner(environ, options)
    return Supervisor(colour=use_colour()).run(child_commands(options), environ)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    for signum in STOP_SIGNALS[1:]:  # SIGINT raises KeyboardInterrupt already
        signal.signal(signum, _interrupt)
    try:
        with contextlib.ExitStack() as cleanup:  # stops the private servers
            try:
                return run(cleanup)
            finally:  # let them stop without being interrupted
                for signum in STOP_SIGNALS:
                    signal.signal(signum, signal.SIG_IGN)
    except SetupError as error:  # printed last, after the servers have stopped
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("run: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
