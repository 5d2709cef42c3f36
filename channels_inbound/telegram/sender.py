"""Telegram out: a reply (or the acknowledgement) goes to the chat the ticket came from,
through the bot that chat belongs to; text in HTML mode, escaped, split at 4096 characters,
then each file (sendPhoto for images, sendDocument for the rest).

Failures are mapped to the outbox's two kinds: 429 waits Telegram's retry_after, 5xx and the
network retry with backoff; 403 (the customer blocked the bot) fails the delivery and marks
the identity unreachable; other refusals fail it with Telegram's words.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from channels_inbound import customer_output
from channels_inbound.adapters.base import (
    PermanentDeliveryError,
    ProviderResult,
    TemporaryDeliveryError,
)
from channels_inbound.models import OutboundDelivery
from channels_inbound.models_telegram import TelegramBot, TelegramChat
from channels_inbound.telegram.api import BotApi, TelegramError, Upload
from channels_inbound.telegram.receiver import message_external_id
from tickets.models import Attachment, Channel, CustomerIdentity, IdentityKind, Message

LIMIT = 4096


class RateLimited(TemporaryDeliveryError):
    def __init__(self, message: str, retry_after: int | None):
        super().__init__(message)
        self.retry_after = retry_after


def chunks(text: str, limit: int = LIMIT) -> list[str]:
    """The text in pieces whose escaped form fits Telegram's limit, cut at a line break or a
    space where one is near."""
    pieces, rest = [], text.strip()
    while rest:
        if len(html.escape(rest, quote=False)) <= limit:
            pieces.append(rest)
            break
        cut = limit
        while len(html.escape(rest[:cut], quote=False)) > limit:
            cut -= max(1, (len(html.escape(rest[:cut], quote=False)) - limit) // 4)
        for separator in ("\n\n", "\n", " "):
            at = rest.rfind(separator, 0, cut)
            if at > cut // 2:
                cut = at
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return pieces


# Telegram shows these as photos (up to 10 MB); other files go as documents.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
PHOTO_LIMIT = 10 * 1024 * 1024
ALBUM_MAX = 10


def send_chunks(
    *,
    bot_id: int,
    chat_id: int,
    text: str,
    files: Sequence[Attachment] = (),
    already: Sequence[str] = (),
) -> list[str]:
    """Send the text's pieces, then each file, skipping the steps sent before (`already`: their
    message ids). Returns the ids of all steps. TelegramError on a failure, with the ids sent
    so far on it (`sent`)."""
    bot = TelegramBot.objects.filter(pk=bot_id, is_active=True).first()
    if bot is None:
        raise TelegramError(400, "The Telegram bot of this chat is switched off or deleted.")
    api, sent = BotApi(bot.token), list(already)
    steps = [("text", piece) for piece in chunks(text)] + file_steps(files)
    for kind, item in steps[len(sent) :]:
        try:
            if kind == "text":
                result = api.call("sendMessage", chat_id=chat_id, parse_mode="HTML",
                                  text=html.escape(item, quote=False))  # fmt: skip
            elif kind == "album":
                result = send_album(api, chat_id, item)
            else:
                result = send_file(api, chat_id, item)
        except TelegramError as error:
            error.sent = sent
            raise
        sent.append(str(result.get("message_id", "")))
    return sent


def is_photo(attachment: Attachment) -> bool:
    return attachment.content_type in PHOTO_TYPES and attachment.size <= PHOTO_LIMIT


def file_steps(files: Sequence[Attachment]) -> list[tuple[str, Any]]:
    """Photos together as albums (sendMediaGroup takes 2-10), the other files one by one."""
    photos = [f for f in files if is_photo(f)]
    steps: list[tuple[str, Any]] = []
    for start in range(0, len(photos), ALBUM_MAX):
        group = photos[start : start + ALBUM_MAX]
        steps.append(("album", group) if len(group) > 1 else ("file", group[0]))
    return steps + [("file", f) for f in files if not is_photo(f)]


def upload_of(attachment: Attachment, field: str) -> Upload:
    with attachment.file.open("rb") as f:
        content = f.read()
    content_type = attachment.content_type or "application/octet-stream"
    return Upload(field, attachment.name, content_type, content)


def send_file(api: BotApi, chat_id: int, attachment: Attachment) -> dict:
    method, field = ("sendPhoto", "photo") if is_photo(attachment) else ("sendDocument", "document")
    return api.call(method, uploads=[upload_of(attachment, field)], chat_id=chat_id)


def send_album(api: BotApi, chat_id: int, photos: list[Attachment]) -> dict:
    """One album; its first message stands for it."""
    uploads = [upload_of(photo, f"photo{i}") for i, photo in enumerate(photos)]
    media = [{"type": "photo", "media": f"attach://{u.field}"} for u in uploads]
    return api.call("sendMediaGroup", uploads=uploads, chat_id=chat_id, media=media)[0]


def chat_for(delivery: OutboundDelivery) -> TelegramChat | None:
    """The chat of the ticket; for a ticket that came another way, the customer's latest chat
    with any of our bots."""
    chats = TelegramChat.objects.order_by("-updated_at")
    return (
        chats.filter(ticket_id=delivery.message.ticket_id).first()
        or chats.filter(user_id=delivery.address).first()
    )


class TelegramSender:
    kind = Channel.TELEGRAM
    identity_kind = IdentityKind.TELEGRAM

    def prepare(self, delivery: OutboundDelivery) -> None:
        """Nothing to fix before sending: Telegram gives the message its id."""

    def prepare_many(self, deliveries: Sequence[OutboundDelivery]) -> None:
        """Nothing to fix before sending."""

    def send(self, delivery: OutboundDelivery) -> ProviderResult:
        message = delivery.message
        chat = chat_for(delivery)
        if chat is None:
            raise PermanentDeliveryError(
                "The customer has never written to our Telegram bot, so it cannot write to them."
            )
        already = [i for i in delivery.provider_message_id.split(",") if i]
        try:
            files = customer_output.public_attachments([message])[message.pk]
            sent = send_chunks(bot_id=chat.bot_id, chat_id=chat.chat_id, text=message.text,
                               files=files, already=already)  # fmt: skip
        except TelegramError as error:
            raise self._mapped(delivery, chat, error) from None
        if sent and not message.external_id:
            # The customer's reply to this message finds its ticket by this id.
            Message.objects.filter(pk=message.pk).update(
                external_id=message_external_id(chat.bot_id, chat.chat_id, sent[0])
            )
        return ProviderResult(provider_message_id=",".join(sent))

    def _mapped(self, delivery: OutboundDelivery, chat: TelegramChat, error: TelegramError):
        sent = getattr(error, "sent", [])
        if sent:  # a retry sends only the pieces that did not go
            OutboundDelivery.objects.filter(pk=delivery.pk).update(
                provider_message_id=",".join(sent)
            )
        if error.code == 429:
            return RateLimited(str(error), error.retry_after)
        if error.is_temporary:
            return TemporaryDeliveryError(str(error))
        if error.code == 403:
            CustomerIdentity.objects.filter(kind=IdentityKind.TELEGRAM, value=chat.user_id).update(
                is_reachable=False
            )
            return PermanentDeliveryError(
                f"The customer blocked the bot, so Telegram refused the message ({error})."
            )
        return PermanentDeliveryError(str(error))
