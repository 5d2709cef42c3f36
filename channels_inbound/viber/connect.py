"""Connecting a bot at Viber and seeing the connection as Viber sees it: `set_webhook` (Viber
checks the address with a signed `webhook` callback before it accepts it), `get_account_info`,
and our own side: the last callback we received and the last one that failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from channels_inbound.models import InboundEvent
from channels_inbound.viber import api
from channels_inbound.viber.models import ViberBot
from helpdesk.errors import ApplicationError
from tickets.models import Channel

EVENT_TYPES = ["delivered", "seen", "failed", "subscribed", "unsubscribed",
               "conversation_started"]  # fmt: skip


def webhook_url(bot: ViberBot) -> str:
    return settings.SITE_URL + reverse("inbound-viber", args=[bot.pk])


def _ask(bot: ViberBot, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Viber's answer with status 0, or ApplicationError with Viber's words."""
    if not bot.token:
        raise ApplicationError(_("The bot has no token: enter it first."))
    try:
        answer = api.call(bot.token, method, payload)
    except api.ViberUnavailable as error:
        raise ApplicationError(_("Viber did not answer: %(error)s") % {"error": error}) from None
    if answer["status"] != 0:
        words = f"{answer.get('status_message') or 'error'} ({answer['status']})"
        raise ApplicationError(_("Viber refused: %(words)s") % {"words": words})
    return answer


def set_webhook(*, bot: ViberBot) -> str:
    """Point Viber at our webhook for this bot; returns the address. Viber checks it first with
    a signed `webhook` callback, which our endpoint answers 200."""
    url = webhook_url(bot)
    _ask(bot, "set_webhook", {"url": url, "event_types": EVENT_TYPES, "send_name": True,
                              "send_photo": True})  # fmt: skip
    return url


@dataclass(frozen=True)
class Connection:
    account: dict[str, Any] | None
    account_error: str
    last_received_at: datetime | None
    last_error: str
    last_error_at: datetime | None


def connection(*, bot: ViberBot) -> Connection:
    """What an admin needs to see that the bot works: Viber's view and ours."""
    try:
        account, account_error = _ask(bot, "get_account_info", {}), ""
    except ApplicationError as error:
        account, account_error = None, error.message
    events = InboundEvent.objects.filter(
        channel=Channel.VIBER, external_key__startswith=f"{bot.pk}:"
    ).order_by("-id")
    last = events.values_list("received_at", flat=True).first()
    failed = (
        events.filter(status=InboundEvent.Status.FAILED).values_list("error", "received_at").first()
    )
    return Connection(account, account_error, last, *(failed or ("", None)))
