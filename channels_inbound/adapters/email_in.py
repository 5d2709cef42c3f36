"""Email in: a raw RFC 5322 message (from the IMAP poller, an MTA pipe or a webhook) turned
into the normalized message, with the hints threading needs."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from channels_inbound.adapters.base import ParseError
from channels_inbound.autoreply import guess_language
from channels_inbound.selectors import mailboxes, our_addresses
from tickets.models import Channel, Group, IdentityKind
from tickets.types import InboundAttachment, NormalizedMessage, ThreadHints

# "[#1234]" as our replies write it, robust to whatever prefixes (Re:, Fwd:, Ответ:, AW:)
# clients put before it.
TICKET_TOKEN = re.compile(r"\[#(\d{1,18})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
BARE_MESSAGE_ID = re.compile(r"[^<>\s]+@[^<>\s]+")


def message_id_of(value: str | None) -> str | None:
    """`<id@host>` as stored and matched; a bare `id@host` (some mailers omit the brackets)
    gets them, so its replies' References find it."""
    value = (value or "").strip()
    if MESSAGE_ID.fullmatch(value):
        return value
    return f"<{value}>" if BARE_MESSAGE_ID.fullmatch(value) else None


def ticket_number_in(subject: str | None) -> int | None:
    match = TICKET_TOKEN.search(subject or "")
    return int(match[1]) if match else None


class EmailReceiver:
    kind = Channel.EMAIL

    def verify(self, request) -> None:
        """Mail arrives by IMAP or through the raw-email endpoint, which checks the mailbox's
        key itself (channels_inbound.views.InboundEmailApi)."""

    def group_for(self, payload: dict[str, Any] | None) -> Group | None:
        mailbox = mailboxes().get((payload or {}).get("mailbox"))
        return mailbox.group if mailbox else None

    def parse(self, raw: bytes | dict) -> NormalizedMessage | None:
        from channels_inbound.email.parse import parse_email

        if not isinstance(raw, bytes | bytearray | memoryview):
            raise ParseError("An email event must carry the raw message.")
        raw = bytes(raw)
        ours = our_addresses()
        parsed = parse_email(raw, own_addresses=ours)  # ParseError: kept raw for an admin
        if parsed.bounce_of:
            return NormalizedMessage(
                channel=Channel.EMAIL,
                sender_kind=IdentityKind.EMAIL,
                sender_value=parsed.from_address or "",
                reports_failure_of=tuple(parsed.bounce_of),
                failure_reason=_bounce_reason(parsed.failure_reason),
            )
        if not parsed.from_address:
            raise ParseError(
                "The message has no sender address, so there is nobody to answer. It is kept "
                "here as it came."
            )
        if parsed.from_address in ours:
            return None  # our own mail coming back: answering it would start a loop
        # Without a usable Message-ID the content identifies a redelivery of the message.
        message_id = message_id_of(parsed.message_id) or (
            "sha256:" + hashlib.sha256(raw).hexdigest()
        )
        return NormalizedMessage(
            channel=Channel.EMAIL,
            sender_kind=IdentityKind.EMAIL,
            sender_value=parsed.from_address,
            sender_name=parsed.from_name or "",
            subject=parsed.subject or "",
            text=parsed.visible_text or parsed.text,
            quoted_text=parsed.quoted_text if parsed.visible_text else "",
            html=parsed.html,
            external_id=message_id,
            attachments=tuple(
                InboundAttachment(
                    a.name or a.safe_name,
                    a.content_type,
                    a.content,
                    a.content_id or "",
                    a.is_inline,
                )
                for a in parsed.attachments
            ),
            hints=ThreadHints(
                external_ids=tuple(filter(None, map(message_id_of, parsed.thread_ids)))[-50:],
                ticket_number=ticket_number_in(parsed.subject),
            ),
            is_auto_generated=parsed.is_auto_generated,
            language=guess_language(parsed.visible_text or parsed.text or ""),
            other_participants=tuple(a for a in parsed.cc if a not in ours),
        )


def _bounce_reason(server_words: str) -> str:
    if server_words:
        return f"The recipient's mail server refused it: {server_words.strip()[:300]}"
    return "The recipient's mail server returned it as undeliverable."
