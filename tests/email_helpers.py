"""Build raw emails for the tests the way mail clients write them."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from channels_inbound import inbox
from channels_inbound.models import InboundEvent

_counter = itertools.count(1)


def raw_email(
    *,
    sender: str = "marina@mail.example",
    name: str = "Marina Sokolova",
    to: str = "support@desk.example",
    cc: str = "",
    subject: str = "Backpack discount",
    text: str = "I was charged 5% off instead of 10%.",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="mail.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(text)
    return message.as_bytes()


def deliver(raw: bytes, mailbox=None) -> InboundEvent:
    """The message into the inbox and through the pipeline, as the worker would."""
    payload = {"mailbox": mailbox.pk} if mailbox else {}
    received = inbox.receive(channel="email", external_key=f"test:{next(_counter)}", raw=raw,
                             payload=payload)  # fmt: skip
    inbox.process(event_id=received.event_id)
    return InboundEvent.objects.select_related("message__ticket").get(pk=received.event_id)
