"""What the bot says by itself: the greeting when a customer opens the chat (returned in the
webhook's answer, the one moment Viber lets a bot write to someone not subscribed) and the
acknowledgement of a new ticket with its number, sent through the outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from channels_inbound import autoreply
from channels_inbound.viber.models import ViberBot
from channels_inbound.viber.receive import language_of
from helpdesk.errors import ApplicationError
from tickets.models import Message, Ticket
from tickets.services import ticket_auto_reply


def welcome(bot: ViberBot, data: dict[str, Any]) -> dict[str, Any]:
    """The welcome message of a `conversation_started` callback, in the customer's language."""
    from channels_inbound.viber.send import sender_of

    language = language_of((data.get("user") or {}).get("language")) or settings.LANGUAGE_CODE
    return {"sender": sender_of(bot), "type": "text", "text": bot.greeting(language)}


def acknowledge(*, ticket: Ticket, payload: dict[str, Any] | None) -> Message | None:
    """The new ticket's number, in the chat at once; none past the hourly limit per customer."""
    bot = ViberBot.objects.filter(pk=(payload or {}).get("bot"), is_active=True).first()
    if bot is None:
        return None
    customer = ticket.customer
    if autoreply.recent_counts([customer.pk]).get(customer.pk, 0) >= (
        settings.HELPDESK_AUTOACK_PER_HOUR
    ):
        return None
    language = customer.language or settings.LANGUAGE_CODE
    text = bot.acknowledgement(language, number=ticket.number, customer_name=customer.name)
    try:
        return ticket_auto_reply(ticket=ticket, text=text)
    except ApplicationError:
        return None  # the customer cannot be written to: the ticket is what matters
