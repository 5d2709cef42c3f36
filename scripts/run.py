"""Run the helpdesk on a developer's machine: the process orchestrator behind `make run`.

1. Find PostgreSQL and Redis. A DATABASE_URL or REDIS_URL set in the environment (or in .env,
   which Django reads too) is used as is. Otherwise the server on the default local port is used
   if it answers, else a private one is started from the binaries installed on this machine
   (PostgreSQL under var/postgres on port 54329, Redis under var/redis on port 63799) and
   stopped again on exit. If there is neither, say what is missing in one line and exit 1.
2. Prepare the environment: a SECRET_KEY generated once and kept in var/secret_key, DEBUG=true,
   unless either is set already.
3. Migrate, collect static files and load the demo data.
4. Print where the app is and the demo logins.
5. Run web (uvicorn), worker and beat (Celery) in the foreground, each in its own process group,
   with their output prefixed by name like honcho or foreman. Ctrl-C or SIGTERM stops them all
   (SIGTERM, then SIGKILL after 10 s) and exits 0; if one exits on its own, the others are
   stopped and run.py exits with that child's status.

Stdlib only, plus psycopg2.
"""

import contextlib
import ipaddress
import os
import pwd
import re
import secrets
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import psycopg2
from psycopg2 import errors as pg_errors
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
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
COLOURS = {"web": "36", "worker": "33", "beat": "35", "run": "1"}  # ANSI: cyan, yellow, ...


class SetupError(Exception):
    """Something the developer has to fix: the message is printed as is, without a traceback."""


def say(message: str) -> None:
    print(f"run: {message}", flush=True)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, to show why a server did not start."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def relative(path: Path) -> str:
    """`path` relative to the repository root when it is inside it, for friendlier messages."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# --- Options and environment --------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    host: str
    port: int
    web_concurrency: int
    celery_concurrency: int


def env_int(environ: dict[str, str], name: str, default: int) -> int:
    value = environ.get(name) or str(default)
    try:
        return int(value)
    except ValueError:
        raise SetupError(f"{name} must be a whole number, not {value!r}.") from None


def read_options(environ: dict[str, str]) -> Options:
    return Options(
        host=environ.get("HOST") or LOCALHOST,
        port=env_int(environ, "PORT", 8000),
        web_concurrency=env_int(environ, "WEB_CONCURRENCY", 2),
        celery_concurrency=env_int(environ, "CELERY_CONCURRENCY", 2),
    )


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


def prepare_environment(environ: dict[str, str], configured: set[str]) -> None:
    if "SECRET_KEY" not in configured:
        environ["SECRET_KEY"] = development_secret_key(VAR / "secret_key")
    if "DEBUG" not in configured:
        environ["DEBUG"] = "true"
    environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    environ["PYTHONUNBUFFERED"] = "1"  # children's output reaches us line by line


def ensure_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            pass
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise SetupError(
            f"Cannot listen on {host}:{port} ({reason}): stop whatever is using it, "
            f"or choose another address with HOST and PORT (e.g. PORT=8001 make run)."
        ) from None


# --- Probing servers ----------------------------------------------------------------------------


def tcp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a Redis at host:port replies +PONG to PING (one that wants a password does not)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            with connection.makefile("rb") as replies:
                return replies.readline().rstrip() == b"+PONG"
    except OSError:
        return False


def postgres_connect(host: str, port: int, dbname: str = "postgres"):
    return psycopg2.connect(host=host, port=port, user="postgres", dbname=dbname, connect_timeout=5)


def postgres_problem(host: str, port: int) -> str | None:
    """None if PostgreSQL at host:port lets user postgres in, else what is wrong, as a phrase."""
    if not tcp_answers(host, port):
        return f"is not running at {host}:{port}"
    try:
        postgres_connect(host, port).close()
    except psycopg2.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"at {host}:{port} refused user postgres ({reason})"
    return None


def ensure_database(host: str, port: int, name: str = DATABASE_NAME) -> None:
    """Create database `name` at host:port if it is missing."""
    try:
        connection = postgres_connect(host, port)
    except psycopg2.Error as error:
        raise SetupError(f"Cannot connect to PostgreSQL at {host}:{port}: {error}") from None
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                with contextlib.suppress(pg_errors.DuplicateDatabase):  # created meanwhile
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    say(f"created database {name} at {host}:{port}")
    except psycopg2.Error as error:
        raise SetupError(f"Cannot create database {name} at {host}:{port}: {error}") from None
    finally:
        connection.close()


# --- Services: what we use for DATABASE_URL and REDIS_URL ---------------------------------------


class Service(Protocol):
    url: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class RunningPostgres:
    """A PostgreSQL server that is already running; we only make sure our database exists."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@{self.host}:{self.port}/{DATABASE_NAME}"

    def start(self) -> None:
        ensure_database(self.host, self.port)

    def stop(self) -> None:
        pass


@dataclass
class RunningRedis:
    """A Redis server that is already running."""

    url: str

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass(frozen=True)
class PostgresBinaries:
    initdb: Path
    pg_ctl: Path


def find_postgres_binaries() -> PostgresBinaries | None:
    """initdb and pg_ctl from PATH, else from /usr/lib/postgresql/*/bin, newest version first."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return PostgresBinaries(Path(initdb), Path(pg_ctl))

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(number) for number in re.findall(r"\d+", bindir.parent.name))

    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True):
        binaries = PostgresBinaries(bindir / "initdb", bindir / "pg_ctl")
        if all(os.access(path, os.X_OK) for path in (binaries.initdb, binaries.pg_ctl)):
            return binaries
    return None


def postgres_user() -> pwd.struct_passwd | None:
    """Whom to run PostgreSQL as: ourselves (None), or the `postgres` user when we are root,
    since initdb and postgres refuse to run as root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise SetupError(
            "PostgreSQL refuses to run as root and there is no `postgres` user to run it as: "
            "run make as another user, create one (useradd --system postgres), "
            "or set DATABASE_URL."
        ) from None


def chown_tree(root: Path, user: pwd.struct_passwd) -> None:
    os.chown(root, user.pw_uid, user.pw_gid)
    for directory, subdirectories, files in os.walk(root):
        for name in [*subdirectories, *files]:
            path = os.path.join(directory, name)
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)


class PrivatePostgres:
    """A PostgreSQL cluster of our own in `root`, listening on 127.0.0.1:`port` only."""

    def __init__(
        self,
        binaries: PostgresBinaries,
        root: Path,
        port: int,
        user: pwd.struct_passwd | None,
        *,
        why: str = "",
    ) -> None:
        self.why = why  # why the default server will not do, to tell the developer
        self.binaries = binaries
        self.root = root
        self.data = root / "data"
        self.sockets = root / "run"
        self.log = root / "log"
        self.port = port
        self.user = user

    @property
    def url(self) -> str:
        return f"postgres://postgres@{LOCALHOST}:{self.port}/{DATABASE_NAME}"

    def start(self) -> None:
        if self.why:
            say(f"PostgreSQL {self.why}, so a private one is used")
        self._prepare_directories()
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        if self._is_running():  # left over from a run that was killed
            say(f"reusing the private PostgreSQL already running from {relative(self.data)}")
        else:
            say(f"starting a private PostgreSQL from {relative(self.data)} on port {self.port}")
            self._start_server()
        ensure_database(LOCALHOST, self.port)

    def stop(self) -> None:
        if self._is_running():
            say("stopping the private PostgreSQL")
            self._run(self.binaries.pg_ctl, "-D", self.data, "stop", "-m", "fast", "-w")

    def _prepare_directories(self) -> None:
        self.sockets.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            chown_tree(self.root, self.user)

    def _initdb(self) -> None:
        say(f"creating a private PostgreSQL cluster in {relative(self.data)}")
        output = ""
        for locale in ("C.UTF-8", "C"):  # C.UTF-8 is missing on some older systems
            result = self._run(
                self.binaries.initdb,
                *("-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8"),
                f"--locale={locale}",
            )
            if result.returncode == 0:
                return
            output = result.stdout.strip()
        raise SetupError(f"initdb failed{self._user_hint()}:\n{output}")

    def _start_server(self) -> None:
        options = (
            f"-p {self.port} -k {shlex.quote(str(self.sockets))} -c listen_addresses={LOCALHOST}"
        )
        result = self._run(
            self.binaries.pg_ctl, "-D", self.data, "-o", options, "-l", self.log, "start", "-w"
        )
        if result.returncode != 0:
            raise SetupError(
                f"Could not start the private PostgreSQL{self._user_hint()}:\n"
                f"{result.stdout.strip()}\n{tail(self.log)}"
            )

    def _is_running(self) -> bool:
        return self._run(self.binaries.pg_ctl, "-D", self.data, "status").returncode == 0

    def _user_hint(self) -> str:
        if self.user is None:
            return ""
        return f" (it runs as user {self.user.pw_name}, who must be able to reach {self.root})"

    def _run(self, *command: str | Path) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool as self.user, in a session of its own so that Ctrl-C in the
        terminal does not reach the server before our children have stopped."""
        as_user = {}
        if self.user is not None:
            as_user = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(part) for part in command],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
            check=False,
            **as_user,
        )


class PrivateRedis:
    """A Redis of our own in `directory`, listening on 127.0.0.1:`port`, as our child process."""

    def __init__(self, executable: Path, directory: Path, port: int) -> None:
        self.executable = executable
        self.directory = directory
        self.log = directory / "log"
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOCALHOST}:{self.port}/0"

    def start(self) -> None:
        if redis_answers(LOCALHOST, self.port):  # left over from a run that was killed
            say(f"reusing the Redis already answering on port {self.port} (it stays running)")
            return
        say(f"starting a private Redis in {relative(self.directory)} on port {self.port}")
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(str(self.executable), "--port", str(self.port), "--bind", LOCALHOST),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
                    *("--daemonize", "no"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal must not reach it
            )
        self._wait_until_ready()

    def stop(self) -> None:
        if self.process is None:
            return
        say("stopping the private Redis")
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _wait_until_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not redis_answers(LOCALHOST, self.port):
            if self.process is None or self.process.poll() is not None:
                raise SetupError(f"Could not start the private Redis:\n{tail(self.log)}")
            if time.monotonic() > deadline:
                raise SetupError(f"The private Redis did not answer in {timeout:.0f} s.")
            time.sleep(0.1)


def choose_database() -> Service:
    """The default local PostgreSQL if it lets us in, else a private one, else SetupError."""
    problem = postgres_problem(LOCALHOST, DEFAULT_POSTGRES_PORT)
    if problem is None:
        return RunningPostgres(LOCALHOST, DEFAULT_POSTGRES_PORT)
    binaries = find_postgres_binaries()
    if binaries is None:
        raise SetupError(
            f"PostgreSQL {problem} and no server binaries were found: "
            "install it (Debian: apt-get install postgresql) or set DATABASE_URL."
        )
    user = postgres_user()
    return PrivatePostgres(binaries, VAR / "postgres", PRIVATE_POSTGRES_PORT, user, why=problem)


def choose_redis() -> Service:
    """The default local Redis if it answers, else a private one, else SetupError."""
    if redis_answers(LOCALHOST, DEFAULT_REDIS_PORT):
        return RunningRedis(f"redis://{LOCALHOST}:{DEFAULT_REDIS_PORT}/0")
    executable = shutil.which("redis-server")
    if executable is None:
        raise SetupError(
            f"Redis is not running at {LOCALHOST}:{DEFAULT_REDIS_PORT} and redis-server was not "
            "found: install it (Debian: apt-get install redis-server) or set REDIS_URL."
        )
    return PrivateRedis(Path(executable), VAR / "redis", PRIVATE_REDIS_PORT)


def provide_services(
    environ: dict[str, str], configured: set[str], cleanup: contextlib.ExitStack
) -> None:
    """Set DATABASE_URL and REDIS_URL unless configured, starting private servers if needed.

    Both are looked for before anything is started, so that when both are missing the
    developer learns it at once (one line each)."""
    choosers = {"DATABASE_URL": choose_database, "REDIS_URL": choose_redis}
    services: dict[str, Service] = {}
    problems = []
    for name, choose in choosers.items():
        if name in configured:
            say(f"using {name} from the environment")
            continue
        try:
            services[name] = choose()
        except SetupError as error:
            problems.append(str(error))
    if problems:
        raise SetupError("\n".join(problems))
    for name, service in services.items():
        cleanup.callback(service.stop)  # before start: a half-started server is stopped too
        service.start()
        environ[name] = service.url
        say(f"{name}={service.url}")


# --- Preparing the app --------------------------------------------------------------------------

SETUP_STEPS = (
    ("applying migrations", ("migrate", "--noinput")),
    ("collecting static files", ("collectstatic", "--noinput", "-v", "0")),
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
    base = f"http://{url_host(options.host)}:{options.port}"
    print(
        f"\n  The helpdesk is starting at {base}/\n"
        f"    API docs  {base}/api/docs/\n"
        f"    Admin     {base}/admin/\n"
    )
    logins = manage(environ, "seed_demo", "--print-logins")
    if logins.returncode == 0 and logins.stdout.strip():
        print(logins.stdout, end="" if logins.stdout.endswith("\n") else "\n")
        print()
    print("  Press Ctrl-C to stop.\n", flush=True)


# --- Running the children -----------------------------------------------------------------------


def child_commands(options: Options) -> dict[str, list[str]]:
    return {
        "web": [
            *(PYTHON, "-m", "uvicorn", "helpdesk.asgi:application"),
            *("--host", options.host, "--port", str(options.port)),
            *("--workers", str(options.web_concurrency), "--proxy-headers"),
            *("--no-access-log", "--lifespan", "off"),
        ],
        "worker": [
            *(PYTHON, "-m", "celery", "-A", "helpdesk", "worker", "-l", "info"),
            *("-Q", CELERY_QUEUES, "--concurrency", str(options.celery_concurrency)),
        ],
        "beat": [
            *(PYTHON, "-m", "celery", "-A", "helpdesk", "beat", "-l", "info"),
            *("--schedule", str(VAR / "celerybeat-schedule")),
        ],
    }


def describe_exit(returncode: int) -> str:
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        return f"was killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"was killed by signal {-returncode}"


def exit_status(returncode: int) -> int:
    """Our exit status when a child stopped on its own: never 0, since that is a failure."""
    if returncode < 0:
        return 128 - returncode
    return returncode or 1


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    pending: bytes = b""  # output after the last newline
    open: bool = True  # whether its output pipe is still open


@dataclass
class Supervisor:
    """Runs children in the foreground with prefixed output and stops them all together."""

    colour: bool
    children: list[Child] = field(default_factory=list)
    signals: int = 0  # SIGINT, SIGTERM and SIGHUP received so far
    width: int = 6
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)

    def run(self, commands: dict[str, list[str]], environ: dict[str, str]) -> int:
        """Start the commands and wait; return 0 after a signal, else the failed child's status."""
        for signum in STOP_SIGNALS:  # before starting anything, so that no child is left behind
            signal.signal(signum, self._on_signal)
        self.width = max(len(name) for name in [*commands, "run"])
        for name, command in commands.items():
            self._start(name, command, environ)
        exited = self._wait_for_first_exit()
        if exited is None:
            self.announce("stopping (press Ctrl-C again to kill at once)")
            status = 0
        else:
            self._drain(timeout=0.5)  # show its last words before saying it has gone
            returncode = exited.process.returncode
            self.announce(f"{exited.name} {describe_exit(returncode)}; stopping the others")
            status = exit_status(returncode)
        self.stop()
        return status

    def stop(self) -> None:
        """SIGTERM every child's process group, wait up to STOP_TIMEOUT, then SIGKILL them.

        A further signal while waiting kills at once."""
        signals_before = self.signals
        self._signal_groups(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while self._alive() and time.monotonic() < deadline and self.signals == signals_before:
            self._pump(timeout=0.1)
        for child in self._alive():
            self.announce(f"killing {child.name}")
        self._signal_groups(signal.SIGKILL)  # also whatever a child left behind in its group
        for child in self.children:
            child.process.wait()
        self._drain(timeout=1.0)

    def announce(self, message: str) -> None:
        self._write("run", message.encode())
        sys.stdout.flush()

    def _on_signal(self, _signum: int, _frame: object) -> None:
        self.signals += 1

    def _start(self, name: str, command: list[str], environ: dict[str, str]) -> None:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,  # our own signals decide when it stops, not the terminal's
        )
        child = Child(name, process)
        self.children.append(child)
        self.selector.register(process.stdout, selectors.EVENT_READ, child)

    def _wait_for_first_exit(self) -> Child | None:
        while self.signals == 0:
            for child in self.children:
                if child.process.poll() is not None:
                    return child
            self._pump(timeout=0.2)
        return None

    def _alive(self) -> list[Child]:
        return [child for child in self.children if child.process.poll() is None]

    def _signal_groups(self, signum: signal.Signals) -> None:
        for child in self.children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signum)

    def _pump(self, timeout: float) -> None:
        """Copy whatever output is ready to our stdout, waiting at most `timeout` seconds."""
        if not any(child.open for child in self.children):
            time.sleep(timeout)
            return
        for key, _events in self.selector.select(timeout):
            child: Child = key.data
            data = os.read(key.fd, 65536)
            if data:
                *lines, child.pending = (child.pending + data).split(b"\n")
                for line in lines:
                    self._write(child.name, line)
            else:
                self._close(child)
        sys.stdout.flush()

    def _drain(self, timeout: float) -> None:
        """Copy the output of exited children until their pipes close (or `timeout` passes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            child.open and child.process.poll() is not None for child in self.children
        ):
            self._pump(timeout=0.05)

    def _close(self, child: Child) -> None:
        self.selector.unregister(child.process.stdout)
        child.process.stdout.close()
        child.open = False
        if child.pending:
            self._write(child.name, child.pending)
            child.pending = b""

    def _write(self, name: str, line: bytes) -> None:
        label = f"{name:<{self.width}} |"
        if self.colour:
            label = f"\033[{COLOURS.get(name, '0')}m{label}\033[0m"
        sys.stdout.buffer.write(label.encode() + b" " + line.rstrip(b"\r") + b"\n")


def use_colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


# --- Main ---------------------------------------------------------------------------------------


def run(cleanup: contextlib.ExitStack) -> int:
    environ = dict(os.environ)
    configured = configured_names(environ)
    options = read_options(environ)
    ensure_port_free(options.host, options.port)
    provide_services(environ, configured, cleanup)
    prepare_environment(environ, configured)
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
