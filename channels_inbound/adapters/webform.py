"""The web form: the first channel. A submission is validated, given its ticket number at
once, and stored raw; the worker turns it into a ticket like any other inbound message."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage

from channels_inbound.adapters.base import ParseError
from tickets.models import Channel, IdentityKind
from tickets.types import InboundAttachment, NormalizedMessage, ThreadHints


class WebFormReceiver:
    kind = Channel.WEB

    def verify(self, request) -> None:
        """A public form has no secret to check; it is guarded by a per-address rate limit
        and a honeypot field (channels_inbound.webform), before anything is stored."""

    def parse(self, payload: dict[str, Any]) -> NormalizedMessage:
        try:
            key, email, text = payload["key"], payload["email"], payload["text"]
        except (KeyError, TypeError) as error:
            raise ParseError(f"The web-form payload lacks the field {error}.") from None
        attachments = []
        for item in payload.get("attachments", []):
            try:
                with default_storage.open(item["path"], "rb") as f:
                    content = f.read()
            except (OSError, KeyError) as error:
                raise ParseError(f"An attachment of the submission is missing: {error}") from None
            attachments.append(InboundAttachment(item["name"], item["content_type"], content))
        return NormalizedMessage(
            channel=Channel.WEB,
            sender_kind=IdentityKind.EMAIL,
            sender_value=email,
            sender_name=payload.get("name", ""),
            subject=payload.get("subject", ""),
            text=text,
            external_id=f"web:{key}",
            attachments=tuple(attachments),
            language=payload.get("language", ""),
            hints=ThreadHints(ticket_number=payload.get("reply_to")),
        )
