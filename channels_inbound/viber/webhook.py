"""The Viber webhook: a callback is checked against its bot's token, then stored raw.

Viber signs each callback: `X-Viber-Content-Signature` is the lowercase hex HMAC-SHA256 of the
raw body with the bot's token as key (the official SDKs also accept it as a `sig` query
parameter). It is compared in constant time before anything is parsed; a wrong or missing one
is refused (403), logged, and nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.utils.translation import gettext as _

from channels_inbound import inbox
from channels_inbound.viber.models import ViberBot
from helpdesk.errors import Forbidden
from tickets.models import Channel

logger = logging.getLogger(__name__)

# Compared against when the bot is unknown, so the answer takes as long as for a known one.
NO_TOKEN = b"\0" * 32


def signature_of(body: bytes, token: str) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def verify(*, bot_id: int, body: bytes, signature: str) -> ViberBot:
    """The active bot this callback is for, or Forbidden."""
    bot = ViberBot.objects.filter(pk=bot_id, is_active=True).first()
    token = bot.token if bot is not None else ""
    expected = signature_of(body, token) if token else signature_of(body, NO_TOKEN.hex())
    given = (signature or "").strip().lower()
    if not hmac.compare_digest(expected.encode(), given.encode()) or not token:
        logger.warning(
            "Viber webhook refused for bot %s: %s",
            bot_id,
            "unknown or inactive bot" if not token else "wrong or missing signature",
        )
        raise Forbidden(_("Unknown bot or wrong signature."))
    return bot


def event_key(bot: ViberBot, body: bytes) -> str:
    """What makes a callback one event: its kind and Viber's message token (a redelivery has
    the same ones). A body without them is keyed by its content, and fails in processing."""
    data = _loaded(body)
    try:
        event, token = data["event"], data["message_token"]
    except KeyError:
        return f"{bot.pk}:sha256:{hashlib.sha256(body).hexdigest()}"
    return f"{bot.pk}:{event}:{token}"


def receive(*, bot: ViberBot, body: bytes) -> dict:
    """Store the callback as it came (once per event), to be processed after commit, and
    return what to answer Viber: the greeting when the customer opened the chat."""
    from channels_inbound.viber.greetings import welcome

    inbox.receive(
        channel=Channel.VIBER, external_key=event_key(bot, body), payload={"bot": bot.pk}, raw=body
    )
    data = _loaded(body)
    return welcome(bot, data) if data.get("event") == "conversation_started" else {}


def _loaded(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
