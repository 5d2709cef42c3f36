"""What a test does with a mailbox, over IMAP only: deliver, read back, rebuild a folder."""

from __future__ import annotations

import contextlib
import imaplib
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

from tests.imap_server.system import DovecotError

APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
UID_RE = re.compile(rb"\bUID (\d+)")
INTERNALDATE_RE = re.compile(rb'INTERNALDATE ("[^"]*")')
STATUS_ITEMS = ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN")


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


class MailboxAccess:
    """The IMAP side of `DovecotServer`: every helper logs in as a user of the server."""

    # What the server gives it: `host`, `address` (host, port), `_users` (login -> password)
    # and `_home(login)`, the user's home in the store (DovecotServer).
    host: str
    address: tuple[str, int]
    _users: dict[str, str]
    _home: Callable[[str], Path]

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
