"""PostgreSQL and Redis for `make run`: the configured ones, the local ones, or private
instances started from the binaries on this machine."""

import contextlib
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psycopg2
from psycopg2 import errors as pg_errors
from psycopg2 import sql

from scripts.devrun.common import (
    DATABASE_NAME,
    DEFAULT_POSTGRES_PORT,
    DEFAULT_REDIS_PORT,
    LOCALHOST,
    PRIVATE_POSTGRES_PORT,
    PRIVATE_REDIS_PORT,
    ROOT,
    STOP_TIMEOUT,
    VAR,
    SetupError,
    relative,
    say,
    tail,
    tcp_answers,
)
from scripts.devrun.configured import check_configured_database, configured_url

# --- Probing servers ----------------------------------------------------------------------------


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
    environ: dict[str, str],
    configured: set[str],
    cleanup: contextlib.ExitStack,
    dotenv: Path = ROOT / ".env",
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
            if name == "DATABASE_URL":
                try:
                    check_configured_database(configured_url(name, environ, dotenv))
                except SetupError as error:
                    problems.append(str(error))
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
