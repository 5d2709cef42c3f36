"""A private, throwaway Dovecot IMAP server for tests of the email channel.

Each `DovecotServer` is its own Dovecot (Debian's `dovecot-imapd`), started as a child process
in the foreground (`dovecot -F -c <conf>`) with everything under one temp directory: the
config, the passwd-file of users, `base_dir` (sockets, pid file), `state_dir`, the log and the
Maildir store. It listens on 127.0.0.1 only, on a free port of its own, with plain-text LOGIN
and no TLS, so parallel test workers (`-n auto`) never share a port, a store or a socket.

    with DovecotServer() as server:
        uid = server.deliver("support@desk.example", raw_message)
        host, port = server.address
        password = server.users["support@desk.example"]

Who runs what (Dovecot refuses some of it as root):
- As root (CI): the master runs as root, as Dovecot expects. Dovecot will not run its login
  processes as root ("This process must not be run as root") nor touch mail as root ("Mail
  access not allowed for root"), so the login processes run as `dovenull`, the internal
  services (auth) as `dovecot` - both system users that `dovecot-core` creates - and the
  mail store is owned by `nobody:nogroup`: the users' homes are made and chowned to it here.
  The temp directory is made world-traversable (0755) for them; it holds only throwaway data.
- As any other user: Dovecot's non-root mode - every process, and the store, is that user.

Messages go in over IMAP (APPEND), as a mail server's delivery would leave them, and every
helper reads back over IMAP, never from the files. Mail is CRLF on the wire: a message given
with CRLF line ends comes back byte for byte; bare LFs come back as CRLF (imaplib and any
IMAP server do that).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import functools
import grp
import imaplib
import math
import os
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
DEFAULT_LOGINS = ("support@desk.example", "billing@desk.example", "spare@desk.example")
ROOT_MAIL_USER = "nobody"  # owner of the store when the tests run as root
ROOT_LOGIN_USER = "dovenull"  # Dovecot's own unprivileged login user (dovecot-core)
ROOT_INTERNAL_USER = "dovecot"  # Dovecot's own internal user (dovecot-core)
LOGIN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")
APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
UID_RE = re.compile(rb"\bUID (\d+)")
INTERNALDATE_RE = re.compile(rb'INTERNALDATE ("[^"]*")')
STATUS_ITEMS = ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN")
INSTALL_HINT = "install Debian's dovecot-imapd (apt-get install -y dovecot-imapd)"

_running: set[DovecotServer] = set()  # held until stopped, so atexit can stop forgotten ones


class DovecotError(RuntimeError):
    """Dovecot could not be started, or an IMAP command the harness relies on failed."""


@functools.cache
def dovecot_binary() -> str:
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    binary = shutil.which("dovecot", path=path)
    if binary is None:
        raise DovecotError(f"dovecot is not installed: {INSTALL_HINT}")
    return binary


@functools.cache
def dovecot_version() -> tuple[int, ...]:
    """`dovecot --version` prints e.g. "2.3.19.1 (9b53102964)"."""
    out = subprocess.run(  # noqa: S603 - our own binary, fixed arguments
        [dovecot_binary(), "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    match = re.match(r"\s*(\d+(?:\.\d+)+)", out)
    if match is None:
        raise DovecotError(f"cannot read the Dovecot version from {out!r}")
    return tuple(int(part) for part in match[1].split("."))


def quote_mailbox(name: str) -> str:
    """An IMAP quoted string for a folder name (ASCII names only: no modified UTF-7 here)."""
    if not name.isascii():
        raise ValueError(f"folder names must be ASCII here: {name!r}")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result: tuple[str, list], what: str) -> list:
    status, data = result
    if status != "OK":
        raise DovecotError(f"{what} failed: {status} {data!r}")
    return data


def _free_port() -> int:
    """A port that can be bound now, preferably below the ephemeral range, so that no outgoing
    connection takes it while the server restarts on it."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    candidates = random.sample(range(10000, low), min(50, max(low - 10000, 0)))
    for port in [*candidates, 0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise DovecotError("no free TCP port on 127.0.0.1")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies waiting for a reaper don't count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


class DovecotServer:
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
            port = want if attempt == 0 and want is not None and _port_free(want) else _free_port()
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

    # -- IMAP helpers -------------------------------------------------------------------------

    @contextlib.contextmanager
    def connect(self, login: str, *, timeout: float = 10.0) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib client for `login`; logs out on exit."""
        client = imaplib.IMAP4(self.host, self.address[1], timeout=timeout)
        try:
            client.login(login, self._users[login])
            yield client
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    def deliver(
        self,
        login: str,
        raw: bytes,
        folder: str = "INBOX",
        flags: Iterable[str] = (),
        internaldate: datetime | str | None = None,
    ) -> int:
        """APPEND a message (creating the folder if missing); returns its UID."""
        with self.connect(login) as client:
            return self._append(client, folder, raw, tuple(flags), internaldate)

    def deliver_many(self, login: str, raws: Iterable[bytes], folder: str = "INBOX") -> list[int]:
        """APPEND many messages over one connection; returns their UIDs in order."""
        with self.connect(login) as client:
            return [self._append(client, folder, raw, (), None) for raw in raws]

    def status(self, login: str, folder: str = "INBOX") -> dict[str, int]:
        """STATUS of a folder: MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN."""
        with self.connect(login) as client:
            data = _check(
                client.status(quote_mailbox(folder), f"({' '.join(STATUS_ITEMS)})"), "STATUS"
            )
        line = data[0] or b""
        return {
            item: int(match[1])
            for item in STATUS_ITEMS
            if (match := re.search(rb"\b" + item.encode() + rb" (\d+)", line))
        }

    def uidvalidity(self, login: str, folder: str = "INBOX") -> int:
        return self.status(login, folder)["UIDVALIDITY"]

    def message_count(self, login: str, folder: str = "INBOX") -> int:
        return self.status(login, folder)["MESSAGES"]

    def uids(self, login: str, folder: str = "INBOX") -> list[int]:
        with self.connect(login) as client:
            self._examine(client, folder)
            return self._uids(client)

    def flags(self, login: str, uid: int, folder: str = "INBOX") -> frozenset[str]:
        """The message's flags and keywords, e.g. {"\\Seen"} (\\Recent is left out: it is
        per session, not stored)."""
        with self.connect(login) as client:
            self._examine(client, folder)
            return self._flags_and_date(client, uid)[0]

    def fetch(self, login: str, uid: int, folder: str = "INBOX") -> bytes:
        """The message as the server gives it (BODY.PEEK[]: flags untouched)."""
        with self.connect(login) as client:
            self._examine(client, folder)
            return self._body(client, uid)

    def reset_uidvalidity(
        self, login: str, folder: str = "INBOX", *, keep_messages: bool = True
    ) -> int:
        """Recreate the folder, as a server whose mailbox was rebuilt would: a new UIDVALIDITY
        and UIDs from 1 again. With keep_messages the messages come back in their old order
        with their flags and dates (new UIDs); without it the folder is left empty. Returns the
        new UIDVALIDITY. Call it while no client has the folder open."""
        old = self.uidvalidity(login, folder)
        saved: list[tuple[bytes, frozenset[str], str]] = []
        if keep_messages:
            with self.connect(login) as client:
                self._examine(client, folder)
                for uid in self._uids(client):
                    flags, date = self._flags_and_date(client, uid)
                    saved.append((self._body(client, uid), flags, date))
        if folder.upper() == "INBOX":
            # IMAP refuses to DELETE INBOX; it lives in its own directory (mail_location's
            # INBOX=~/inbox), and Dovecot creates it afresh, with the next UIDVALIDITY of the
            # user's dovecot-uidvalidity counter, the next time it is opened.
            shutil.rmtree(self._home(login) / "inbox")
        else:
            with self.connect(login) as client:
                _check(client.delete(quote_mailbox(folder)), f"DELETE {folder}")
                _check(client.create(quote_mailbox(folder)), f"CREATE {folder}")
        with self.connect(login) as client:
            _check(client.select(quote_mailbox(folder)), f"SELECT {folder}")  # recreates INBOX
            for raw, flags, date in saved:
                self._append(client, folder, raw, tuple(flags), date)
        new = self.uidvalidity(login, folder)
        if new == old:
            raise DovecotError(f"UIDVALIDITY of {login}/{folder} stayed {old}")
        return new

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

    # -- internals: IMAP ----------------------------------------------------------------------

    @staticmethod
    def _examine(client: imaplib.IMAP4, folder: str) -> None:
        _check(client.select(quote_mailbox(folder), readonly=True), f"EXAMINE {folder}")

    @staticmethod
    def _uids(client: imaplib.IMAP4) -> list[int]:
        data = _check(client.uid("SEARCH", None, "ALL"), "UID SEARCH")
        return sorted(int(uid) for uid in (data[0] or b"").split())

    @staticmethod
    def _flags_and_date(client: imaplib.IMAP4, uid: int) -> tuple[frozenset[str], str]:
        data = _check(client.uid("FETCH", str(uid), "(FLAGS INTERNALDATE)"), "UID FETCH")
        for line in data:
            found = UID_RE.search(line) if isinstance(line, bytes) else None
            if found and int(found[1]) == uid:
                flags = {flag.decode() for flag in imaplib.ParseFlags(line)}
                date = INTERNALDATE_RE.search(line)
                return frozenset(flags - {"\\Recent"}), date[1].decode() if date else ""
        raise LookupError(f"no message with UID {uid}")

    @staticmethod
    def _body(client: imaplib.IMAP4, uid: int) -> bytes:
        data = _check(client.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH")
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                return part[1]
        raise LookupError(f"no message with UID {uid}")

    @staticmethod
    def _append(
        client: imaplib.IMAP4,
        folder: str,
        raw: bytes,
        flags: tuple[str, ...],
        internaldate: datetime | str | None,
    ) -> int:
        flag_list = f"({' '.join(flags)})" if flags else None
        mailbox = quote_mailbox(folder)
        status, data = client.append(mailbox, flag_list, internaldate, raw)
        if status != "OK" and b"[TRYCREATE]" in (data[0] or b""):
            _check(client.create(mailbox), f"CREATE {folder}")
            status, data = client.append(mailbox, flag_list, internaldate, raw)
        _check((status, data), f"APPEND to {folder}")
        match = APPENDUID_RE.search(data[0] or b"")
        if match is None:
            raise DovecotError(f"APPEND to {folder} gave no APPENDUID: {data!r}")
        return int(match[2])

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
            uid, gid = _identities()["mail"]
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
        path.write_text(_config(self.directory, port, self._token, self.extra_config))
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
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)


@functools.cache
def _identities() -> dict[str, tuple[int, int]]:
    """uid and gid of the store's owner ("mail") and the names Dovecot runs its processes as."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return {"mail": (me.pw_uid, me.pw_gid), me.pw_name: (me.pw_uid, me.pw_gid)}
    found = {}
    for name in (ROOT_MAIL_USER, ROOT_LOGIN_USER, ROOT_INTERNAL_USER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise DovecotError(f"system user {name!r} is missing: {INSTALL_HINT}") from None
        found[name] = (entry.pw_uid, entry.pw_gid)
    found["mail"] = found[ROOT_MAIL_USER]
    return found


def _config(directory: Path, port: int, token: str, extra: str) -> str:
    uid, gid = _identities()["mail"]
    if os.geteuid() == 0:
        internal_user, login_user, login_chroot = ROOT_INTERNAL_USER, ROOT_LOGIN_USER, "login"
        internal_group = ""  # the internal user's group
    else:
        internal_user = login_user = pwd.getpwuid(os.geteuid()).pw_name
        internal_group = f"default_internal_group = {grp.getgrgid(os.getegid()).gr_name}"
        login_chroot = ""  # only root can chroot: see `unchrooted` below for the others
    users = directory / "users"
    common = f"""
base_dir = {directory / "run"}
state_dir = {directory / "state"}
instance_name = dovecot-test-{token}
log_path = {directory / "dovecot.log"}
info_log_path = {directory / "dovecot.log"}
protocols = imap
listen = {HOST}
ssl = no
login_greeting = Dovecot test {token} ready.
auth_mechanisms = plain login
auth_cache_size = 0
auth_failure_delay = 0
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
first_valid_gid = {gid}
default_internal_user = {internal_user}
default_login_user = {login_user}
{internal_group}
# The list index caches each folder's UIDVALIDITY; reset_uidvalidity changes INBOX on disk.
mailbox_list_index = no
shutdown_clients = yes
"""
    if dovecot_version() < (2, 4):
        specific = f"""
disable_plaintext_auth = no
auth_username_format = %u
mail_location = maildir:~/Maildir:INBOX=~/inbox
passdb {{
  driver = passwd-file
  args = {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
service imap-login {{
  chroot = {login_chroot}
  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        header = ""
    else:  # Dovecot 2.4 renamed most of these; written from its documentation
        specific = f"""
auth_allow_cleartext = yes
auth_username_format = %{{user}}
mail_driver = maildir
mail_path = ~/Maildir
mail_inbox_path = ~/inbox
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb passwd-file {{
  passwd_file_path = {users}
}}
userdb passwd-file {{
  passwd_file_path = {users}
}}
service imap-login {{
  chroot = {login_chroot}
  inet_listener imap {{
    listen = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        header = "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"
    unchrooted = ""
    if os.geteuid() != 0:  # services that chroot by default; 2.4 dropped the last three
        names = ["anvil", "ipc", "imap-urlauth-login"]
        if dovecot_version() < (2, 4):
            names += ["old-stats", "aggregator", "director"]
        unchrooted = "".join(f"service {name} {{\n  chroot =\n}}\n" for name in names)
    return f"{header}# Written by tests/imap_server.py\n{common}{specific}{unchrooted}{extra}\n"


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
