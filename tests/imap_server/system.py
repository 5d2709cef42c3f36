"""What the harness needs of the machine: Dovecot's binary and version, its system users, ports."""

from __future__ import annotations

import functools
import os
import pwd
import random
import re
import shutil
import socket
import subprocess
from pathlib import Path

HOST = "127.0.0.1"
ROOT_MAIL_USER = "nobody"  # owner of the store when the tests run as root
ROOT_LOGIN_USER = "dovenull"  # Dovecot's own unprivileged login user (dovecot-core)
ROOT_INTERNAL_USER = "dovecot"  # Dovecot's own internal user (dovecot-core)
INSTALL_HINT = "install Debian's dovecot-imapd (apt-get install -y dovecot-imapd)"


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


def free_port() -> int:
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


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies waiting for a reaper don't count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


@functools.cache
def identities() -> dict[str, tuple[int, int]]:
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
