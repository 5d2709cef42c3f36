"""The webhook Telegram posts updates to: the secret checked in constant time before
anything is read, then the update stored raw in the inbox, once per bot and update id."""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.utils.translation import gettext as _

from channels_inbound import inbox
from channels_inbound.models_telegram import TelegramBot
from channels_inbound.telegram.receiver import decode
from helpdesk.errors import Forbidden, PayloadTooLarge
from tickets.models import Channel

logger = logging.getLogger(__name__)

# A real update is a few kilobytes; files are fetched separately.
MAX_BODY = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def check_secret(bot: TelegramBot | None, given: str | None) -> None:
    expected = (bot.webhook_secret if bot else "") or ""
    # Compared even when there is no bot, so the answer takes as long either way.
    matches = hmac.compare_digest((given or "").encode(), expected.encode() or b"\0")
    if bot is None or not expected or given is None or not matches:
        reason = "no such active bot" if bot is None else ("no secret" if given is None
                                                             else "wrong secret")  # fmt: skip
        logger.warning("Telegram webhook refused: %s", reason)
        raise Forbidden(_("Unknown bot or wrong secret."))


def store(*, bot_id: int, update: dict) -> inbox.Received:
    """An update (with its update_id) into the inbox: one row per bot and update id, however
    it came (webhook or polling) and however often."""
    payload = {"bot": bot_id, "update": update}
    return inbox.receive(
        channel=Channel.TELEGRAM, external_key=f"{bot_id}:{update['update_id']}", payload=payload
    )


def receive_update(*, bot_id: int, secret: str | None, body: bytes) -> inbox.Received:
    """Store one webhook body. An update that cannot be read is kept too, with a key of its
    content, so an admin sees it failed; Telegram gets its 200 and moves on."""
    bot = TelegramBot.objects.filter(pk=bot_id, is_active=True).only("pk", "webhook_secret").first()
    check_secret(bot, secret)
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(_("The update is larger than any Telegram update."))
    # PostgreSQL keeps no NUL character in JSON: such a body is kept as text without them.
    update = None if b"\x00" in body or b"\\u0000" in body else decode(body)
    if update is not None and isinstance(update.get("update_id"), int):
        return store(bot_id=bot.pk, update=update)
    key = "sha256:" + hashlib.sha256(body).hexdigest()
    text = body.decode("utf-8", errors="replace").replace("\x00", "")
    payload = {"bot": bot.pk, "update": update} if update else {"bot": bot.pk, "body": text}
    return inbox.receive(channel=Channel.TELEGRAM, external_key=key, payload=payload)
