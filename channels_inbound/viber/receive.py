"""Viber callbacks read into what the helpdesk does with them: a `message` becomes the
normalized customer message; every other event is handled without a ticket (receipts update
our deliveries, subscriptions the customer's reachability)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from channels_inbound.adapters.base import Handled, ParseError
from channels_inbound.autoreply import guess_language
from channels_inbound.viber import events
from channels_inbound.viber.models import ViberBot
from tickets.models import Channel, Group, IdentityKind
from tickets.types import InboundAttachment, NormalizedMessage, ThreadHints

RECEIPTS = ("delivered", "seen", "failed")
MEDIA = ("picture", "video", "file")


def _load(raw: bytes | dict) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        data = json.loads(bytes(raw))
    except ValueError as error:
        raise ParseError(f"The Viber callback is not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise ParseError("The Viber callback has no event.")
    return data


def _field(data: dict, *path: str) -> Any:
    value: Any = data
    for name in path:
        if not isinstance(value, dict) or name not in value:
            raise ParseError(f"The Viber {data.get('event')} callback lacks {'.'.join(path)}.")
        value = value[name]
    return value


def content_text(message: dict[str, Any]) -> str:
    """What the customer sent (all but media), as text an agent reads. Viber's type decides
    which fields count (its own example "text" message also carries media and a location)."""
    kind = message.get("type")
    text = str(message.get("text") or "").strip()
    media = str(message.get("media") or "")
    if kind == "text":
        return text
    if kind == "url":
        return media or text
    if kind == "contact":
        contact = message.get("contact") or {}
        phone = str(contact.get("phone_number") or "")
        phone = f"+{phone}" if phone and not phone.startswith("+") else phone
        return "Contact: " + ", ".join(p for p in (str(contact.get("name") or ""), phone) if p)
    if kind == "location":
        where = message.get("location") or {}
        lat, lon = where.get("lat"), where.get("lon")
        link = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}"
        return f"Location: {lat}, {lon} {link}"
    if kind == "sticker":
        return f"Sticker {message.get('sticker_id', '')}".strip()
    return text or f"[{kind} message]"


def media_content(message: dict[str, Any]) -> tuple[str, tuple[InboundAttachment, ...]]:
    """A picture, video or file: its caption and the file fetched from Viber, or the caption
    and a note saying why the file is not there."""
    from channels_inbound.viber import download

    size = message.get("size")
    fetched = download.fetch(
        kind=message["type"],
        url=str(message.get("media") or ""),
        file_name=str(message.get("file_name") or ""),
        size=size if isinstance(size, int) else None,
    )
    caption = str(message.get("text") or "").strip()
    if fetched.attachment is not None:
        return caption, (fetched.attachment,)
    return (f"{caption}\n\n{fetched.note}" if caption else fetched.note), ()


class ViberReceiver:
    kind = Channel.VIBER

    def verify(self, request) -> None:
        from channels_inbound.viber import webhook

        webhook.verify(
            bot_id=request.resolver_match.kwargs["bot_id"],
            body=request.body,
            signature=request.headers.get("X-Viber-Content-Signature")
            or request.GET.get("sig", ""),
        )

    def ingested(self, *, payload: dict[str, Any], result, message: NormalizedMessage) -> None:
        """A new ticket is acknowledged in the chat, in the bot's own words."""
        from channels_inbound.viber.greetings import acknowledge

        if result.ticket_created and not result.duplicate and not message.is_auto_generated:
            acknowledge(ticket=result.ticket, payload=payload)

    def group_for(self, payload: dict[str, Any] | None) -> Group | None:
        bot = ViberBot.objects.select_related("group").filter(pk=(payload or {}).get("bot"))
        found = bot.first()
        return found.group if found else None

    def parse(self, raw: bytes | dict) -> NormalizedMessage | Handled:
        data = _load(raw)
        event = data["event"]
        if event == "message":
            return self._message(data)
        if event in RECEIPTS:
            return Handled(partial(events.receipt, event=event,
                                   token=str(_field(data, "message_token")),
                                   reason=str(data.get("desc") or "")))  # fmt: skip
        if event == "subscribed":
            user = _field(data, "user")
            return Handled(partial(events.subscribed, user_id=str(_field(data, "user", "id")),
                                   name=str(user.get("name") or ""),
                                   language=language_of(user.get("language"))))  # fmt: skip
        if event == "unsubscribed":
            return Handled(partial(events.unsubscribed, user_id=str(_field(data, "user_id"))))
        if event == "conversation_started":
            return Handled(lambda: "The customer opened the chat; the greeting was the answer.")
        if event == "webhook":
            return Handled(lambda: "Viber checked the webhook.")
        return Handled(lambda: f"Viber event {event!r}: nothing to do.")

    def _message(self, data: dict[str, Any]) -> NormalizedMessage:
        sender = _field(data, "sender")
        message = _field(data, "message")
        if not isinstance(message, dict) or not message.get("type"):
            raise ParseError("The Viber message callback has no message type.")
        if not isinstance(sender, dict):
            raise ParseError("The Viber message callback has no sender object.")
        if message["type"] in MEDIA:
            text, attachments = media_content(message)
        else:
            text, attachments = content_text(message), ()
        name = str(sender.get("name") or "")
        return NormalizedMessage(
            channel=Channel.VIBER,
            sender_kind=IdentityKind.VIBER,
            sender_value=str(_field(data, "sender", "id")),
            sender_name=name,
            sender_display=name,
            text=text,
            external_id=str(_field(data, "message_token")),
            attachments=attachments,
            hints=ThreadHints(conversation=True),
            language=language_of(sender.get("language")) or guess_language(text),
        )


def language_of(value: Any) -> str:
    code = str(value or "")[:2].lower()
    return code if code in ("en", "ru") else ""
