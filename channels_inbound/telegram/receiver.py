"""Telegram in: an Update stored by the webhook (or the poller) turned into the normalized
message, or handled as what it is (a block, a channel post) and never made into a ticket."""

from __future__ import annotations

import html
import json
import logging
from typing import Any

from channels_inbound.adapters.base import ParseError
from channels_inbound.autoreply import guess_language
from channels_inbound.models_telegram import TelegramBot
from channels_inbound.telegram import conversation, updates
from channels_inbound.telegram.api import GET_FILE_LIMIT, BotApi, TelegramError
from tickets.models import Channel, CustomerIdentity, Group, IdentityKind, Message
from tickets.sanitize import sanitize_html
from tickets.services.ingest import message_add_parts, message_edited_by_customer
from tickets.types import InboundAttachment, NormalizedMessage, ThreadHints

logger = logging.getLogger(__name__)

CHATS = ("private", "group", "supergroup")
# A private chat's member status of the bot after the customer blocked it, or came back.
GONE, BACK = ("kicked", "left"), ("member",)


def message_external_id(bot_id: int, chat_id: Any, message_id: Any) -> str:
    """How a Telegram message is known on its ticket: unique per bot and chat."""
    return f"tg:{bot_id}:{chat_id}:{message_id}"


def unwrap(payload: dict[str, Any] | bytes | None) -> tuple[TelegramBot, dict[str, Any]]:
    if not isinstance(payload, dict):
        raise ParseError("A Telegram event must carry its bot and update.")
    bot = TelegramBot.objects.select_related("group").filter(pk=payload.get("bot")).first()
    if bot is None:
        raise ParseError("The bot this update came to no longer exists.")
    update = payload.get("update")
    if not isinstance(update, dict):
        body = str(payload.get("body", ""))[:200]
        raise ParseError(f"The update is not a JSON object, so it cannot be read: {body!r}")
    if not isinstance(update.get("update_id"), int):
        raise ParseError("The update has no update_id.")
    return bot, update


class TelegramReceiver:
    kind = Channel.TELEGRAM

    def verify(self, request) -> None:
        """The webhook checks the bot's secret itself (channels_inbound.telegram.webhook)."""

    def group_for(self, payload: dict[str, Any] | None) -> Group | None:
        bot = (
            TelegramBot.objects.select_related("group")
            .filter(pk=(payload or {}).get("bot"))
            .first()
        )
        return bot.group if bot else None

    def parse(self, payload: dict[str, Any] | bytes) -> NormalizedMessage | None:
        bot, update = unwrap(payload)
        if isinstance(update.get("message"), dict):
            return message_of(bot, update["message"])
        if isinstance(update.get("my_chat_member"), dict):
            member_changed(update["my_chat_member"])
        if isinstance(update.get("edited_message"), dict):
            edited(bot, update["edited_message"])
        callback = update.get("callback_query")
        if isinstance(callback, dict) and callback.get("id"):
            conversation.callback_answered(bot=bot, callback_id=str(callback["id"]))
        # Channel posts, callback queries, edits and the rest carry no new customer message.
        return None

    def resolve_thread(
        self, *, payload: dict[str, Any], message: NormalizedMessage
    ) -> NormalizedMessage:
        """The chat's ticket, read when the message is ingested (not when parsed)."""
        return conversation.with_thread(payload=payload, message=message)

    def ingested(self, *, payload: dict[str, Any], result, message: NormalizedMessage) -> None:
        """After the message is on its ticket: an album's later part added to it, the chat
        remembered, a new ticket acknowledged."""
        if result.duplicate and payload["update"]["message"].get("media_group_id"):
            message_add_parts(message=result.message, incoming=message)
        conversation.ingested(payload=payload, result=result)


def member_changed(change: dict[str, Any]) -> None:
    """A customer who blocks the bot cannot be written to any more: agents see the identity
    unreachable (and a reply says so) until they start the bot again."""
    if (change.get("chat") or {}).get("type") != "private":
        return
    sender = updates.sender_of(change.get("from"))
    status = (change.get("new_chat_member") or {}).get("status")
    if sender is None or status not in GONE + BACK:
        return
    CustomerIdentity.objects.filter(kind=IdentityKind.TELEGRAM, value=sender.id).update(
        is_reachable=status in BACK
    )


def edited(bot: TelegramBot, message: dict[str, Any]) -> None:
    """The customer edited a message we have: its text is replaced, marked as edited; its
    files stay (and the notes about files that could not be fetched)."""
    chat = message.get("chat") or {}
    if chat.get("id") is None or message.get("message_id") is None:
        return
    external_id = message_external_id(bot.pk, chat["id"], message["message_id"])
    stored = Message.objects.filter(channel=Channel.TELEGRAM, external_id=external_id).first()
    if stored is None:
        return  # an edit of a message we never received (or a group message not for us)
    notes = [line for line in stored.text.splitlines() if updates.is_file_note(line)]
    text, formatted = rendered(message, [*notes, updates.EDITED_MARK])
    message_edited_by_customer(message=stored, text=text, html=formatted)


def message_of(bot: TelegramBot, message: dict[str, Any]) -> NormalizedMessage | None:
    chat = message.get("chat") or {}
    if not isinstance(chat.get("id"), int):
        raise ParseError("The message has no chat id, so there is no chat to answer in.")
    sender = updates.sender_of(message.get("from"))
    if chat.get("type") not in CHATS or sender is None or (message.get("from") or {}).get("is_bot"):
        return None
    if chat.get("type") != "private" and not updates.mentions(message, bot.username):
        return None  # group talk not addressed to the bot
    command = updates.command_of(message, bot.username)
    if command is not None:
        # Answered by the bot, not ticket content.
        if command[0] == "/start":
            conversation.greet(bot=bot, chat_id=chat["id"], language=sender.language)
        elif command[0] == "/status":
            conversation.status_report(bot=bot, chat_id=chat["id"], user_id=sender.id,
                                       language=sender.language)  # fmt: skip
        return None
    text = updates.text_of(message)
    album = message.get("media_group_id")
    attachments, notes = fetch_files(bot, updates.files_of(message))
    body, formatted = rendered(message, notes)
    reply = message.get("reply_to_message") or {}
    replied = (
        (message_external_id(bot.pk, chat["id"], reply["message_id"]),)
        if reply.get("message_id") is not None
        else ()
    )
    return NormalizedMessage(
        channel=Channel.TELEGRAM,
        sender_kind=IdentityKind.TELEGRAM,
        sender_value=sender.id,
        sender_name=sender.name,
        sender_display=sender.display,
        text=body,
        html=formatted,
        # An album comes as one update per file: one message, known by the album's id.
        external_id=message_external_id(
            bot.pk, chat["id"], f"album:{album}" if album else message.get("message_id")
        ),
        attachments=tuple(attachments),
        hints=ThreadHints(external_ids=replied),
        language=sender.language if sender.language in ("en", "ru") else guess_language(text),
    )


def rendered(message: dict[str, Any], notes: list[str]) -> tuple[str, str]:
    """The message's text as stored, and its HTML when the customer formatted it (bold, links:
    Telegram's entities), else ""."""
    lines = [*updates.body_lines(message), *notes]
    text = updates.text_of(message)
    formatted = updates.entities_html(text, updates.entities_of(message)) if text else ""
    if not formatted:
        return "\n".join(lines), ""
    parts = [formatted if line == text else html.escape(line) for line in lines]
    return "\n".join(lines), sanitize_html("<p>" + "<br>".join(parts) + "</p>")


def fetch_files(
    bot: TelegramBot, files: list[updates.FileRef]
) -> tuple[list[InboundAttachment], list[str]]:
    """Each file through getFile, or a note saying why it is not there. A network failure
    raises: the event is tried again later."""
    if not files:
        return [], []
    api = BotApi(bot.token)
    attachments, notes = [], []
    for ref in files:
        if ref.size and ref.size > GET_FILE_LIMIT:
            notes.append(too_large(ref, ref.size))
            continue
        try:
            found = api.call("getFile", file_id=ref.file_id)
            size = found.get("file_size")
            if size and size > GET_FILE_LIMIT:
                notes.append(too_large(ref, size))
                continue
            content = api.download(found["file_path"])
        except TelegramError as error:
            if error.is_temporary:
                raise
            if "too big" in error.description:
                notes.append(too_large(ref, ref.size))
                continue
            notes.append(f"[{ref.name} {updates.NOT_FETCHED}: {error.description}]")
            continue
        except (KeyError, TypeError, AttributeError):
            notes.append(f"[{ref.name} {updates.NOT_FETCHED}: Telegram gave no file path]")
            continue
        if len(content) > GET_FILE_LIMIT:
            notes.append(too_large(ref, len(content)))
            continue
        attachments.append(InboundAttachment(ref.name, ref.content_type, content))
    return attachments, notes


def too_large(ref: updates.FileRef, size: int | None) -> str:
    megabytes = f" ({size / 1024 / 1024:.1f} MB)" if size else ""
    return f"[{ref.name}{megabytes} {updates.TOO_LARGE}: bots can download files up to 20 MB]"


def decode(body: bytes) -> dict[str, Any] | None:
    """The update in a webhook body, or None when it is not a JSON object."""
    try:
        update = json.loads(body)
    except ValueError:
        return None
    return update if isinstance(update, dict) else None
