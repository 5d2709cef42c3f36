"""Submitting the public web form, and replying from the status page.

Each check refuses before anything is written: honeypot, rate limit, fields, attachment sizes.
Then the ticket number is drawn, the files are stored, and the submission goes into the raw
inbox. The customer gets the number and the link to the status page at once; a worker
creates the ticket a moment later.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from channels_inbound import inbox, status_links
from channels_inbound.models import InboundEvent
from helpdesk.errors import ApplicationError, Conflict, TooManyRequests
from tickets.models import Channel, Ticket
from tickets.services.attachments import NewAttachment, check_sizes
from tickets.services.customers import normalize_typed_email

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10
MAX_TEXT = 50_000
RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Submission:
    number: int
    status_url: str
    duplicate: bool = False


def parse_rate(rate: str) -> tuple[int, int]:
    match = RATE.match(rate)
    if not match:
        raise ValueError(f'HELPDESK_WEBFORM_RATE_LIMIT must look like "5/minute", not "{rate}"')
    return int(match[1]), SECONDS[match[2]]


def check_rate(*, client: str) -> None:
    """A fixed window per client address, counted in Redis (shared by every web process) in
    one round trip."""
    limit, window = parse_rate(settings.HELPDESK_WEBFORM_RATE_LIMIT)
    now = time.time()
    key = cache.make_key(f"webform-rate:{client}:{int(now // window)}")
    try:
        client_ = cache._cache.get_client(key, write=True)  # the shared Redis connection pool
        pipe = client_.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, window + 1, nx=True)
        count = pipe.execute()[0]
    except RedisError:
        # Without Redis there is no shared counter. Taking the customer's request matters
        # more than counting it: the limit holds again as soon as Redis is back.
        logger.warning("rate limit unavailable (Redis down); request allowed")
        return
    if count > limit:
        retry_after = int(window - now % window) + 1
        raise TooManyRequests(
            ngettext(
                "Too many requests from your address. Try again in %(n)s second.",
                "Too many requests from your address. Try again in %(n)s seconds.",
                retry_after,
            )
            % {"n": retry_after},
            extra={"retry_after": retry_after},
        )


def check_honeypot(value: str) -> None:
    if value:
        raise ApplicationError(
            _(
                "This form was filled in by a program, so it was not sent. If you are a person, "
                "leave the hidden “website” field empty and send it again."
            ),
            extra={"field": "website"},
        )


def _store_files(key: str, attachments: Sequence[NewAttachment]) -> list[dict]:
    stored = []
    for n, attachment in enumerate(attachments):
        content = attachment.content
        data = content if isinstance(content, bytes) else content.read()
        digest = hashlib.sha256(data).hexdigest()
        path = default_storage.save(f"inbox/web/{key}/{n}-{digest[:16]}", ContentFile(data))
        stored.append(
            {
                "name": attachment.name[:255] or "attachment",
                "content_type": attachment.content_type or "application/octet-stream",
                "path": path,
                "size": len(data),
            }
        )
    return stored


def _validate(text: str, attachments: Sequence[NewAttachment]) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Describe your question in the message."), extra={"field": "text"})
    if len(text) > MAX_TEXT:
        raise ApplicationError(
            ngettext(
                "The message can be at most %(n)s character long.",
                "The message can be at most %(n)s characters long.",
                MAX_TEXT,
            )
            % {"n": MAX_TEXT}
        )
    if len(attachments) > MAX_ATTACHMENTS:
        raise ApplicationError(
            ngettext(
                "Attach at most %(n)s file.",
                "Attach at most %(n)s files.",
                MAX_ATTACHMENTS,
            )
            % {"n": MAX_ATTACHMENTS}
        )
    check_sizes(attachments)
    return text


def _submission_key(key: str) -> str:
    key = (key or "").strip()
    if key and not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", key):
        raise ApplicationError(_("The submission key must be 8-64 letters, digits, - or _."))
    return key or uuid.uuid4().hex


def submit(
    *,
    email: str,
    text: str,
    name: str = "",
    subject: str = "",
    attachments: Sequence[NewAttachment] = (),
    honeypot: str = "",
    client: str = "",
    key: str = "",
    language: str = "",
) -> Submission:
    """A new request from the public form. The same `key` twice (a double click, a retried
    POST) answers with the first submission's number and stores nothing new."""
    check_honeypot(honeypot)
    given_key = _submission_key(key) if key else ""
    if given_key:
        earlier = (
            InboundEvent.objects.filter(channel=Channel.WEB, external_key=given_key)
            .values_list("reserved_number", "payload__email")
            .first()
        )
        if earlier is not None and earlier[0]:
            return Submission(earlier[0], status_links.status_url(earlier[0], earlier[1]),
                              duplicate=True)  # fmt: skip
    check_rate(client=client)
    email = normalize_typed_email(email)
    text = _validate(text, attachments)
    key = given_key or uuid.uuid4().hex
    payload = {
        "key": key,
        "email": email,
        "name": " ".join((name or "").split())[:200],
        "subject": " ".join((subject or "").split())[:255],
        "text": text,
        "language": language if language in ("en", "ru") else "",
        "attachments": _store_files(key, attachments),
    }
    received = inbox.receive(
        channel=Channel.WEB, external_key=key, payload=payload, reserve_number=True
    )
    number = received.reserved_number
    return Submission(number, status_links.status_url(number, email),
                      duplicate=not received.created)  # fmt: skip


REPLY_WINDOW = 600  # seconds in which a repeated reply without a key counts once


def _reply_keys(
    link: status_links.StatusLink, text: str, attachments: Sequence[NewAttachment]
) -> tuple[str, str]:
    """A reply posted without the form's key (a client that drops it, a retry) gets one made
    of what it says: the same reply to the same request within a few minutes counts once.
    The key for now, and the one the previous window gave."""
    files = [(a.name, getattr(a.content, "size", None) or len(a.content)) for a in attachments]
    window = int(time.time() // REPLY_WINDOW)
    keys = []
    for w in (window, window - 1):
        seed = repr((link.number, link.email.lower(), (text or "").strip(), files, w))
        keys.append("reply-" + hashlib.sha256(seed.encode()).hexdigest()[:40])
    return keys[0], keys[1]


def submit_reply(
    *,
    link: status_links.StatusLink,
    text: str,
    attachments: Sequence[NewAttachment] = (),
    client: str = "",
    key: str = "",
    merged: bool = False,
) -> None:
    """The customer answers on the status page: into the inbox, onto their ticket. Not on a
    ticket merged into another customer's: that conversation is not theirs to write into."""
    if merged:
        raise ApplicationError(
            _(
                "This request was merged with another one and is closed, so it takes no new "
                "messages. To ask something new, send a new request."
            )
        )
    if not Ticket.objects.filter(number=link.number).exists():
        raise Conflict(_("Your request is still being registered. Try again in a minute."))
    if key:
        key = _submission_key(key)
    else:
        key, earlier = _reply_keys(link, text, attachments)
        if InboundEvent.objects.filter(channel=Channel.WEB, external_key=earlier).exists():
            return  # the same reply, retried: taken already
    check_rate(client=client)
    text = _validate(text, attachments)
    payload = {
        "key": key,
        "email": link.email,
        "text": text,
        "reply_to": link.number,
        "attachments": _store_files(key, attachments),
    }
    inbox.receive(channel=Channel.WEB, external_key=key, payload=payload)
