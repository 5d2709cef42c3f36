"""Email in: a raw RFC 5322 message (from the IMAP poller, an MTA pipe or a webhook) turned
into the normalized message, with the hints threading needs."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from channels_inbound.adapters.base import ParseError
from channels_inbound.autoreply import guess_language
from channels_inbound.models import Mailbox
from tickets.models import Channel, Group, IdentityKind
from tickets.types import InboundAttachment, NormalizedMessage, ThreadHints

# "[#1234]" as our replies write it, robust to whatever prefixes (Re:, Fwd:, Ответ:, AW:)
# clients put before it.
TICKET_TOKEN = re.compile(r"\[#(\d{1,18})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def our_addresses() -> set[str]:
    return {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}


def ticket_number_in(subject: str | None) -> int | None:
    match = TICKET_TOKEN.search(subject or "")
    return int(match[1]) if match else None


class EmailReceiver:
    kind = Channel.EMAIL

    def verify(self, request) -> None:
        """Mail arrives by IMAP or through the raw-email endpoint, which checks the mailbox's
        key itself (channels_inbound.views.InboundEmailApi)."""

    def group_for(self, payload: dict[str, Any] | None) -> Group | None:
        mailbox_id = (payload or {}).get("mailbox")
        if not mailbox_id:
            return None
        mailbox = Mailbox.objects.select_related("group").filter(pk=mailbox_id).first()
        return mailbox.group if mailbox else None

    def parse(self, raw: bytes | dict) -> NormalizedMessage | None:
        from channels_inbound.email.parse import parse_email

        if not isinstance(raw, bytes | bytearray | memoryview):
            raise ParseError("An email event must carry the raw message.")
        raw = bytes(raw)
        parsed = parse_email(raw)
        if parsed.bounce_of:
            return NormalizedMessage(
                channel=Channel.EMAIL,
                sender_kind=IdentityKind.EMAIL,
                sender_value=parsed.from_address or "",
                reports_failure_of=tuple(parsed.bounce_of),
                failure_reason=_bounce_reason(parsed),
            )
        if not parsed.from_address:
            raise ParseError(
                "The message has no sender address, so there is nobody to answer. It is kept "
                "here as it came."
            )
        ours = our_addresses()
        if parsed.from_address in ours:
            return None  # our own mail coming back: answering it would start a loop
        message_id = (parsed.message_id or "").strip()
        if not MESSAGE_ID.fullmatch(message_id):
            # No usable Message-ID: the content identifies a redelivery of the same message.
            message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
        thread_ids = [*([parsed.in_reply_to] if parsed.in_reply_to else []), *parsed.references]
        return NormalizedMessage(
            channel=Channel.EMAIL,
            sender_kind=IdentityKind.EMAIL,
            sender_value=parsed.from_address,
            sender_name=parsed.from_name or "",
            subject=parsed.subject or "",
            text=parsed.visible_text or parsed.text,
            quoted_text=_quoted(parsed),
            html=parsed.html,
            external_id=message_id,
            attachments=tuple(
                InboundAttachment(
                    a.name or "attachment",
                    a.content_type,
                    a.content,
                    a.content_id or "",
                    a.is_inline,
                )
                for a in parsed.attachments
            ),
            hints=ThreadHints(
                external_ids=tuple(MESSAGE_ID.findall(" ".join(thread_ids)))[-50:],
                ticket_number=ticket_number_in(parsed.subject),
            ),
            is_auto_generated=parsed.is_auto_generated,
            language=guess_language(parsed.text or ""),
            other_participants=tuple(a for a in parsed.cc if a not in ours),
        )


def _quoted(parsed) -> str:
    text, visible = parsed.text or "", parsed.visible_text or ""
    if not visible or visible == text:
        return ""
    return text[len(visible) :].strip() if text.startswith(visible) else text


def _bounce_reason(parsed) -> str:
    text = parsed.text or ""
    for line in text.splitlines():
        if re.search(r"\b[45]\.\d{1,3}\.\d{1,3}\b|\b5\d\d\b", line):
            return f"The recipient's mail server refused it: {line.strip()[:300]}"
    return "The recipient's mail server returned it as undeliverable."
