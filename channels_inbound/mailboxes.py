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
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from channels_inbound import inbox
from channels_inbound.models import InboundEvent, Mailbox

logger = logging.getLogger(__name__)

# One poll fetches new mail for at most this long (the task's time limit is 240 s); the
# next poll goes on where it stopped.
POLL_SECONDS = 120
# Sizes are asked for in runs of SIZE_BATCH; bodies are fetched in one command per
# FETCH_MESSAGES messages or FETCH_BYTES bytes, stored in one statement, then marked seen.
SIZE_BATCH = 1000
FETCH_MESSAGES = 100
FETCH_BYTES = 32 * 1024 * 1024
UIDVALIDITY_RE = re.compile(rb"UIDVALIDITY (\d+)")
SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")
UID_RE = re.compile(rb"UID (\d+)")


@dataclass(frozen=True)
class PollResult:
    fetched: int = 0
    skipped: int = 0
    error: str = ""


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    timeout = settings.HELPDESK_IMAP_TIMEOUT_SECONDS
    if mailbox.imap_security == Mailbox.Security.SSL:
        client = imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, timeout=timeout,
                                   ssl_context=ssl.create_default_context())  # fmt: skip
    else:
        client = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=timeout)
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


def _uid_set(uids: list[int]) -> str:
    return ",".join(map(str, uids))


def _sizes(client: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    """Sizes of many messages in one command."""
    status, data = client.uid("FETCH", _uid_set(uids), "(RFC822.SIZE)")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH RFC822.SIZE failed: {data}")
    sizes = {}
    for item in data or ():
        line = item[0] if isinstance(item, tuple) else item
        uid, size = UID_RE.search(line or b""), SIZE_RE.search(line or b"")
        if uid and size:
            sizes[int(uid[1])] = int(size[1])
    return sizes


def _bodies(client: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
    """Many messages exactly as stored, in one command, without setting \\Seen (BODY.PEEK)."""
    status, data = client.uid("FETCH", _uid_set(uids), "(BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH BODY.PEEK[] failed: {data}")
    bodies = {}
    for item in data or ():
        if isinstance(item, tuple) and len(item) == 2:
            uid = UID_RE.search(item[0])
            if uid:
                bodies[int(uid[1])] = item[1]
    return bodies


def _chunks(uids: list[int], sizes: dict[int, int]) -> list[list[int]]:
    """Consecutive UIDs in fetches of at most FETCH_MESSAGES messages and FETCH_BYTES bytes."""
    chunks, chunk, total = [], [], 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if chunk and (len(chunk) >= FETCH_MESSAGES or total + size > FETCH_BYTES):
            chunks.append(chunk)
            chunk, total = [], 0
        chunk.append(uid)
        total += size
    return [*chunks, chunk] if chunk else chunks


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
    started = time.monotonic()
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
        new = _new_uids(client, mailbox.last_uid)
        for start in range(0, len(new), SIZE_BATCH):
            if time.monotonic() - started > POLL_SECONDS:
                break  # the next poll goes on from here
            client, done, refused = _fetch_batch(client, mailbox, uidvalidity,
                                                 new[start : start + SIZE_BATCH])  # fmt: skip
            fetched, skipped = fetched + done, skipped + refused
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        return _failed(mailbox, f"The mail server broke off: {error}", fetched, skipped)
    finally:
        _logout(client)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=timezone.now(), last_error="", failing_since=None
    )
    return PollResult(fetched, skipped)


def _fetch_batch(
    client: imaplib.IMAP4, mailbox: Mailbox, uidvalidity: int, uids: list[int]
) -> tuple[imaplib.IMAP4, int, int]:
    """Fetch, store and mark seen a run of new messages; (client, fetched, skipped)."""
    limit = settings.HELPDESK_MAX_EMAIL_MB * 1024 * 1024
    fetched = skipped = 0
    sizes = _sizes(client, uids)
    for chunk in _chunks(uids, sizes):
        wanted = []
        for uid in chunk:
            if sizes.get(uid, 0) > limit:
                _record_skip(mailbox, uidvalidity, uid,
                             f"The message is {sizes[uid]} bytes; the limit is {limit}. It "
                             "stays in the mailbox, unread.")  # fmt: skip
                skipped += 1
            elif uid in sizes:  # not expunged meanwhile
                wanted.append(uid)
        try:
            bodies = _bodies(client, wanted) if wanted else {}
        except (TimeoutError, imaplib.IMAP4.error):
            # One of them stalls or breaks the server: fetch them one by one, skip that one.
            client = _reconnect(client, mailbox)
            client, bodies, stalled = _one_by_one(client, mailbox, wanted)
            for uid, error in stalled.items():
                why = f"Fetching it failed twice (timed out or refused): {error}"
                _record_skip(mailbox, uidvalidity, uid, why)
            skipped += len(stalled)
        with transaction.atomic():
            inbox.receive_many(channel="email", items=[
                (_event_key(mailbox, uidvalidity, uid), {"mailbox": mailbox.pk, "uid": uid}, raw)
                for uid, raw in sorted(bodies.items())
            ])  # fmt: skip
            _advance(mailbox, chunk[-1])
        if bodies:
            client.uid("STORE", _uid_set(sorted(bodies)), "+FLAGS", "(\\Seen)")  # after commit
        fetched += len(bodies)
    return client, fetched, skipped


def _one_by_one(
    client: imaplib.IMAP4, mailbox: Mailbox, uids: list[int]
) -> tuple[imaplib.IMAP4, dict[int, bytes], dict[int, str]]:
    """Fetch each message alone. One that fails twice, on two connections, is given up on
    (a single failure may be the network, not the message)."""
    bodies, stalled = {}, {}
    for uid in uids:
        for attempt in (1, 2):
            try:
                bodies.update(_bodies(client, [uid]))
                break
            except (TimeoutError, imaplib.IMAP4.error) as error:  # abort is an error too
                client = _reconnect(client, mailbox)
                if attempt == 2:
                    stalled[uid] = str(error) or type(error).__name__
    return client, bodies, stalled


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
