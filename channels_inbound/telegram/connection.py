"""Connecting a bot to Telegram: the webhook set or deleted (polling takes over), and the
state of the connection as Telegram sees it and as our inbox does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from channels_inbound.models import InboundEvent
from channels_inbound.models_telegram import TelegramBot
from channels_inbound.telegram.api import BotApi, TelegramError
from helpdesk.errors import ApplicationError
from tickets.models import Channel

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def webhook_url(bot: TelegramBot) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("inbound-telegram", args=[bot.pk])


def _refused(bot: TelegramBot, error: TelegramError) -> ApplicationError:
    return ApplicationError(
        _("Telegram refused it for %(bot)s: %(error)s") % {"bot": bot, "error": error},
        extra={"bot": bot.pk, "code": error.code},
    )


def webhook_set(*, bot: TelegramBot) -> str:
    """Telegram posts the bot's updates to our webhook with its secret from now on (polling
    stops). The token is checked first (getMe) and the bot's username taken from it."""
    api = BotApi(bot.token)
    url = webhook_url(bot)
    try:
        me = api.call("getMe")
        api.call("setWebhook", url=url, secret_token=bot.webhook_secret,
                 allowed_updates=ALLOWED_UPDATES)  # fmt: skip
    except TelegramError as error:
        raise _refused(bot, error) from None
    bot.username = str(me.get("username") or bot.username)
    bot.use_polling = False
    bot.save(update_fields=["username", "use_polling"])
    return url


def webhook_delete(*, bot: TelegramBot) -> None:
    """Telegram keeps the bot's updates for getUpdates again: the poller fetches them."""
    try:
        BotApi(bot.token).call("deleteWebhook", drop_pending_updates=False)
    except TelegramError as error:
        raise _refused(bot, error) from None
    bot.use_polling = True
    bot.save(update_fields=["use_polling"])


@dataclass(frozen=True)
class ConnectionState:
    """What an admin needs to see a broken connection before customers complain."""

    provider: dict[str, Any]
    provider_error: str
    last_received_at: datetime | None
    last_failure: InboundEvent | None


def connection_state(*, bot: TelegramBot) -> ConnectionState:
    provider, provider_error = {}, ""
    try:
        info = BotApi(bot.token).call("getWebhookInfo")
    except TelegramError as error:
        provider_error = str(error)
    else:
        provider = {
            "url": info.get("url", ""),
            "pending_update_count": info.get("pending_update_count", 0),
            "last_error_message": info.get("last_error_message", ""),
            "last_error_date": (
                datetime.fromtimestamp(info["last_error_date"], tz=UTC)
                if info.get("last_error_date")
                else None
            ),
        }
    events = InboundEvent.objects.filter(channel=Channel.TELEGRAM, payload__bot=bot.pk)
    last = events.order_by("-id").values_list("received_at", flat=True).first()
    failure = events.filter(status=InboundEvent.Status.FAILED).order_by("-id").first()
    return ConnectionState(provider, provider_error, last, failure)
