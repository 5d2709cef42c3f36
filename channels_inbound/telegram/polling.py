"""Long polling, for a desk Telegram cannot reach: getUpdates from the offset kept on the bot.

The updates of a round and the bot's new offset are committed in one transaction, and only
the next getUpdates (with that offset) tells Telegram to forget them. A poller killed before
the commit leaves the offset where it was, so the next one fetches the same updates again
(stored once: the inbox is unique per bot and update id); killed after it, the next one asks
from the new offset. Either way no update is skipped and none is stored twice. One poller
per bot at a time (a session advisory lock, gone with the connection if the process dies).
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from channels_inbound.models_telegram import TelegramBot
from channels_inbound.telegram.api import BotApi, TelegramError
from channels_inbound.telegram.connection import ALLOWED_UPDATES
from channels_inbound.telegram.webhook import store

logger = logging.getLogger(__name__)

POLL_LOCK = 7_301_003
BATCH = 100


def polling_bot_ids() -> list[int]:
    return list(
        TelegramBot.objects.filter(is_active=True, use_polling=True).values_list("pk", flat=True)
    )


def poll(*, bot_id: int, timeout: int = 0) -> int:
    """One getUpdates round (waiting up to `timeout` seconds for an update); how many
    updates were stored. 0 as well when another poller has the bot."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [POLL_LOCK, bot_id])
        if not cursor.fetchone()[0]:
            return 0
        try:
            return _poll(bot_id, timeout)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [POLL_LOCK, bot_id])


def _poll(bot_id: int, timeout: int) -> int:
    bot = TelegramBot.objects.filter(pk=bot_id, is_active=True, use_polling=True).first()
    if bot is None:
        return 0
    try:
        updates = BotApi(bot.token).call(
            "getUpdates", offset=bot.update_offset, limit=BATCH, timeout=timeout,
            allowed_updates=ALLOWED_UPDATES,
        )  # fmt: skip
    except TelegramError as error:
        logger.warning("Telegram polling failed for bot %s: %s", bot.pk, error)
        TelegramBot.objects.filter(pk=bot.pk).update(
            last_error=str(error)[:2000], last_polled_at=timezone.now()
        )
        return 0
    readable = [u for u in updates if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
    offset = max([bot.update_offset - 1, *(u["update_id"] for u in readable)]) + 1
    with transaction.atomic():
        for update in readable:
            store(bot_id=bot.pk, update=update)
        TelegramBot.objects.filter(pk=bot.pk).update(
            update_offset=offset, last_polled_at=timezone.now(), last_error=""
        )
    return len(readable)
