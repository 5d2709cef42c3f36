"""The Dovecot process of a test: its temp directory, config, users, start, stop and restart."""

from __future__ import annotations

import atexit
import base64
import contextlib
import imaplib
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.imap_server.config import dovecot_config
from tests.imap_server.mailbox import MailboxAccess
from tests.imap_server.system import (
    HOST,
    DovecotError,
    dovecot_binary,
    free_port,
    group_alive,
    identities,
    port_free,
)

STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
DEFAULT_LOGINS = ("support@desk.example", "billing@desk.example", "spare@desk.example")
LOGIN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")

_running: set[DovecotServer] = set()  # held until stopped, so atexit can stop forgotten ones


class DovecotServer(MailboxAccess):
    """One private Dovecot; see the module docstring. Not thread-safe (one test at a time)."""

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        *,
        startup_timeout: float = STARTUP_TIMEOUT,
        extra_config: str = "",
    ) -> None:
        self.host = HOST
        self.port: int | None = None
        self.startup_timeout = startup_timeout
        self.extra_config = extra_config
        self._users: dict[str, str] = {}
        self._dir: Path | None = None
        self._proc: subprocess.Popen | None = None
        self._token = secrets.token_hex(6)
        self._users_stamp = 0.0
        if users is None:
            users = {login: secrets.token_urlsafe(12) for login in DEFAULT_LOGINS}
        for login, password in users.items():
            self.add_user(login, password)

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> DovecotServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def address(self) -> tuple[str, int]:
        if self.port is None:
            raise DovecotError("the server has not been started")
        return (self.host, self.port)

    @property
    def directory(self) -> Path:
        """The temp directory with config, log and store (exists from start() to stop())."""
        if self._dir is None:
            raise DovecotError("the server has not been started")
        return self._dir

    @property
    def log_path(self) -> Path:
        return self.directory / "dovecot.log"

    @property
    def users(self) -> dict[str, str]:
        """login -> password (a copy)."""
        return dict(self._users)

    def start(self) -> DovecotServer:
        """Start Dovecot and wait until the port answers with its IMAP greeting."""
        if self.running:
            raise DovecotError("already running")
        if self._dir is None:
            self._create_directory()
        want = self.port  # a restart tries its old port first
        for attempt in range(5):
            port = want if attempt == 0 and want is not None and port_free(want) else free_port()
            if self._launch(port):
                self.port = port
                _running.add(self)
                return self
        raise DovecotError(f"Dovecot found no free port in 5 tries\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop Dovecot (its client processes too) and remove the temp directory. The store is
        thrown away, so every process is simply killed: no need to wait a clean shutdown."""
        self._halt(hard=True)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.port = None

    def restart(self, *, hard: bool = False) -> None:
        """Stop and start again on the same store and, when it is still free, the same port.
        Open client connections are cut. `hard=True` kills every Dovecot process with
        SIGKILL (a crash) instead of a clean shutdown."""
        if self._dir is None:
            raise DovecotError("the server has not been started")
        self._halt(hard=hard)
        self.start()

    # -- users --------------------------------------------------------------------------------

    def add_user(self, login: str, password: str) -> None:
        """Add a user (or change a password), before start or while running. Dovecot rereads
        its passwd-file when it changes (no reload), but checks at most once per second of the
        clock: while running, this waits for the next second, then proves the login works."""
        if not LOGIN_RE.fullmatch(login) or ".." in login:
            raise ValueError(f"logins here are [A-Za-z0-9._@+-]: {login!r}")
        self._users[login] = password
        if self._dir is not None:
            self._make_home(login)
            self._write_users()
        if self.running:
            # A failed login would cost more: Dovecot delays repeated failures from one address.
            time.sleep(math.floor(time.time()) + 1.01 - time.time())
            self._await_login(login)

    def _await_login(self, login: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect(login):
                    return
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise DovecotError(f"{login} cannot log in\n{self.log_tail()}") from None
                time.sleep(0.1)

    def log_tail(self, lines: int = 40) -> str:
        """The end of Dovecot's log and of its stderr, for error messages."""
        if self._dir is None:
            return "(no log: the server has no directory)"
        parts = []
        for name in ("dovecot.log", "dovecot.stderr"):
            path = self._dir / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(parts) or "(Dovecot wrote no log)"

    # -- internals: process and files ----------------------------------------------------------

    def _create_directory(self) -> None:
        base = tempfile.gettempdir()
        if len(base) > 40:  # unix socket paths under base_dir must stay short (108 bytes)
            base = "/tmp"  # noqa: S108 - a private mkdtemp directory inside it
        self._dir = Path(tempfile.mkdtemp(prefix="dovecot-", dir=base))
        self._dir.chmod(0o755)  # the mail user and Dovecot's users must reach inside
        for name in ("run", "state", "mail"):
            (self._dir / name).mkdir()
        for login in self._users:
            self._make_home(login)
        self._write_users()

    def _home(self, login: str) -> Path:
        return self.directory / "mail" / login

    def _make_home(self, login: str) -> None:
        home = self._home(login)
        if not home.exists():
            home.mkdir(mode=0o700)
            uid, gid = identities()["mail"]
            os.chown(home, uid, gid)

    def _write_users(self) -> None:
        """passwd-file: login:{PLAIN.b64}password::::home:: (base64, so any password fits)."""
        lines = []
        for login, password in self._users.items():
            encoded = base64.b64encode(password.encode()).decode()
            lines.append(f"{login}:{{PLAIN.b64}}{encoded}::::{self._home(login)}::\n")
        path = self.directory / "users"
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(lines))
        tmp.chmod(0o644)
        # Dovecot rereads the file when its mtime or size changes: make the mtime always move.
        self._users_stamp = max(time.time(), self._users_stamp + 1)
        os.utime(tmp, (self._users_stamp, self._users_stamp))
        tmp.replace(path)

    def _write_config(self, port: int) -> Path:
        path = self.directory / "dovecot.conf"
        path.write_text(dovecot_config(self.directory, port, self._token, self.extra_config))
        return path

    def _launch(self, port: int) -> bool:
        """Start on `port`: True once it greets, False when the port was taken meanwhile."""
        conf = self._write_config(port)
        (self.directory / "run" / "master.pid").unlink(missing_ok=True)  # after a hard kill
        log = self.directory / "dovecot.log"
        log_start = log.stat().st_size if log.exists() else 0
        with (self.directory / "dovecot.stderr").open("ab") as stderr:
            self._proc = subprocess.Popen(  # noqa: S603 - our own binary and config
                [dovecot_binary(), "-F", "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                cwd=self.directory,
                start_new_session=True,  # its own process group, killed as one by _halt
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self._greets(port):
                return True
            time.sleep(0.05)
        code = self._proc.poll()
        self._halt(hard=True)
        new_log = log.read_bytes()[log_start:] if log.exists() else b""
        if b"Address already in use" in new_log:
            return False
        what = (
            f"exited with status {code}"
            if code is not None
            else f"did not answer within {self.startup_timeout:.0f}s"
        )
        raise DovecotError(f"Dovecot on {HOST}:{port} {what} (config {conf})\n{self.log_tail()}")

    def _greets(self, port: int) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1) as conn:
                greeting = conn.makefile("rb").readline()
        except OSError:
            return False
        # Our own greeting, not another worker's Dovecot that took the port in between.
        return greeting.startswith(b"* OK") and self._token.encode() in greeting

    def _halt(self, *, hard: bool) -> None:
        proc, self._proc = self._proc, None
        _running.discard(self)
        if proc is None:
            return
        if not hard and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the master stops its children too
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # stragglers, or everything when hard
        proc.wait()
        deadline = time.monotonic() + STOP_TIMEOUT
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)


def dovecot_fixture() -> Iterator[DovecotServer]:
    """A started server for one test (or any scope it is wired into), stopped afterwards:

    dovecot = pytest.fixture(dovecot_fixture)  # or name="dovecot", scope=...
    """
    server = DovecotServer()
    try:
        yield server.start()
    finally:
        server.stop()


@atexit.register
def _stop_leftovers() -> None:
    """A test process that ends without stop() leaves no Dovecot behind."""
    for server in list(_running):
        server.stop()
