"""Mailboxes: fetching new mail by IMAP into the raw inbox, and raw messages handed to us by
an MTA pipe or a mail service's webhook.

The poller remembers the last UID it stored (per UIDVALIDITY). Each message is written to the
inbox and the UID recorded *before* it is marked seen on the server, so a poller killed at
any point fetches at most the message it was on again - and the inbox key (mailbox,
UIDVALIDITY, UID) makes that second copy the same event. A message that is too large or
cannot be fetched is recorded with its error and skipped for good; a mailbox that cannot be
reached is marked with its error for admins and tried again at the next poll.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from channels_inbound import inbox
from channels_inbound.models import InboundEvent, Mailbox

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
BATCH = 200
UIDVALIDITY_RE = re.compile(rb"UIDVALIDITY (\d+)")
SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class PollResult:
    fetched: int = 0
    skipped: int = 0
    error: str = ""


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.imap_security == Mailbox.Security.SSL:
        client = imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT_SECONDS,
                                   ssl_context=ssl.create_default_context())  # fmt: skip
    else:
        client = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT_SECONDS)
        if mailbox.imap_security == Mailbox.Security.STARTTLS:
            client.starttls(ssl_context=ssl.create_default_context())
    client.login(mailbox.imap_login, mailbox.imap_password)
    return client


def _uidvalidity(client: imaplib.IMAP4, folder: str) -> int:
    status, data = client.select(_quote(folder))
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open folder {folder}: {data}")
    response = client.response("UIDVALIDITY")[1]
    if response and response[0]:
        return int(response[0])
    status, data = client.status(_quote(folder), "(UIDVALIDITY)")
    match = UIDVALIDITY_RE.search(data[0] or b"")
    if not match:
        raise imaplib.IMAP4.error("the server gave no UIDVALIDITY")
    return int(match[1])


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _new_uids(client: imaplib.IMAP4, after: int) -> list[int]:
    status, data = client.uid("SEARCH", None, f"UID {after + 1}:*")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID SEARCH failed: {data}")
    # "n:*" always matches the highest UID, even when it is not newer: keep only newer ones.
    return sorted(uid for uid in map(int, (data[0] or b"").split()) if uid > after)


def _size(client: imaplib.IMAP4, uid: int) -> int:
    status, data = client.uid("FETCH", str(uid), "(RFC822.SIZE)")
    match = SIZE_RE.search(b" ".join(d if isinstance(d, bytes) else d[0] for d in data if d))
    return int(match[1]) if status == "OK" and match else 0


def _body(client: imaplib.IMAP4, uid: int) -> bytes:
    """The message exactly as stored, without setting \\Seen (BODY.PEEK)."""
    status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    for part in data or ():
        if isinstance(part, tuple) and len(part) == 2:
            return part[1]
    raise imaplib.IMAP4.error(f"no body for UID {uid} ({status})")


def _event_key(mailbox: Mailbox, uidvalidity: int, uid: int) -> str:
    return f"imap:{mailbox.pk}:{uidvalidity}:{uid}"


def _record_skip(mailbox: Mailbox, uidvalidity: int, uid: int, error: str) -> None:
    """A message we will not fetch again, kept as a failed inbox event an admin can see."""
    InboundEvent.objects.get_or_create(
        channel="email",
        external_key=_event_key(mailbox, uidvalidity, uid),
        defaults={"payload": {"mailbox": mailbox.pk, "uid": uid},
                  "status": InboundEvent.Status.FAILED, "error": error[:5000]},
    )  # fmt: skip


def _advance(mailbox: Mailbox, uid: int) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid)
    mailbox.last_uid = uid


def _try_lock(mailbox_id: int) -> bool:
    """One poller per mailbox at a time, across processes (a session-level advisory lock:
    no transaction stays open while we talk to the mail server)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [0x4D42, mailbox_id])
        return bool(cursor.fetchone()[0])


def _unlock(mailbox_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [0x4D42, mailbox_id])


def poll(*, mailbox_id: int) -> PollResult:
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    if mailbox is None or not mailbox.imap_host:
        return PollResult()
    if not _try_lock(mailbox.pk):
        return PollResult()  # another worker is polling it right now
    try:
        return _poll(mailbox)
    finally:
        _unlock(mailbox.pk)


def _poll(mailbox: Mailbox) -> PollResult:
    limit = settings.HELPDESK_MAX_EMAIL_MB * 1024 * 1024
    fetched = skipped = 0
    try:
        client = _connect(mailbox)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        return _failed(mailbox, f"Cannot log in to {mailbox.imap_host}: {error}")
    try:
        uidvalidity = _uidvalidity(client, mailbox.imap_folder)
        if mailbox.uidvalidity != uidvalidity:
            # The folder was recreated: its UIDs mean other messages now. Start over; the
            # messages already stored are recognised by their Message-ID when they come again.
            Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
            mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
        for uid in _new_uids(client, mailbox.last_uid)[:BATCH]:
            size = _size(client, uid)
            if size > limit:
                _record_skip(mailbox, uidvalidity, uid,
                             f"The message is {size} bytes; the limit is {limit}. It stays in "
                             "the mailbox, unread.")  # fmt: skip
                skipped += 1
            else:
                try:
                    raw = _body(client, uid)
                except (TimeoutError, imaplib.IMAP4.abort) as error:
                    _record_skip(mailbox, uidvalidity, uid, f"Fetching it timed out: {error}")
                    skipped += 1
                    _advance(mailbox, uid)
                    client = _reconnect(client, mailbox)
                    continue
                with transaction.atomic():
                    inbox.receive(channel="email", raw=raw,
                                  external_key=_event_key(mailbox, uidvalidity, uid),
                                  payload={"mailbox": mailbox.pk, "uid": uid})  # fmt: skip
                    _advance(mailbox, uid)
                client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")  # only after commit
                fetched += 1
            _advance(mailbox, uid)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        return _failed(mailbox, f"The mail server broke off: {error}", fetched, skipped)
    finally:
        _logout(client)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=timezone.now(), last_error="", failing_since=None
    )
    return PollResult(fetched, skipped)


def _reconnect(client: imaplib.IMAP4, mailbox: Mailbox) -> imaplib.IMAP4:
    _logout(client)
    fresh = _connect(mailbox)
    _uidvalidity(fresh, mailbox.imap_folder)
    return fresh


def _logout(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.logout()


def _failed(mailbox: Mailbox, error: str, fetched: int = 0, skipped: int = 0) -> PollResult:
    logger.warning("mailbox %s: %s", mailbox.address, error)
    now = timezone.now()
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error=error[:2000], last_polled_at=now)
    Mailbox.objects.filter(pk=mailbox.pk, failing_since__isnull=True).update(failing_since=now)
    return PollResult(fetched, skipped, error)


def active_mailbox_ids() -> list[int]:
    return list(
        Mailbox.objects.filter(is_active=True).exclude(imap_host="").values_list("pk", flat=True)
    )


def receive_raw(*, mailbox: Mailbox, raw: bytes) -> inbox.Received:
    """A raw RFC 5322 message from an MTA pipe or a webhook: into the inbox, once per content."""
    digest = hashlib.sha256(raw).hexdigest()
    return inbox.receive(
        channel="email",
        external_key=f"raw:{mailbox.pk}:{digest}",
        raw=raw,
        payload={"mailbox": mailbox.pk},
    )
