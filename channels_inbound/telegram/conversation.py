"""A chat with a bot as one running conversation: which ticket it continues, the chat
remembered after each message, the acknowledgement of a new ticket and the greeting."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext as _

from channels_inbound import autoreply
from channels_inbound.models_telegram import TelegramBot, TelegramChat
from helpdesk.errors import ApplicationError
from tickets.models import CustomerIdentity, IdentityKind, Ticket
from tickets.services import ticket_auto_reply

MAX_LISTED = 10

if TYPE_CHECKING:
    from tickets.services.ingest import IngestResult
    from tickets.types import NormalizedMessage


def with_thread(*, payload: dict, message: NormalizedMessage) -> NormalizedMessage:
    """The message, pointed at its chat's ticket by number (threading follows merges and
    checks the sender takes part in it): reopened when solved within the window, else a new
    ticket linked to it."""
    chat = TelegramChat.objects.filter(
        bot_id=payload["bot"], chat_id=payload["update"]["message"]["chat"]["id"]
    ).values("ticket_id")
    number = Ticket.objects.filter(pk__in=chat).values_list("number", flat=True).first()
    hints = replace(
        message.hints,
        ticket_number=number,
        reopen_within=timedelta(days=settings.HELPDESK_MESSENGER_REOPEN_DAYS),
    )
    return replace(message, hints=hints)


def chat_remember(*, bot_id: int, chat_id: int, user_id: str, ticket: Ticket) -> None:
    """The chat now goes to this ticket (one statement; a new chat or a newer ticket)."""
    TelegramChat.objects.update_or_create(
        bot_id=bot_id, chat_id=chat_id, defaults={"user_id": user_id, "ticket": ticket}
    )


def language_of(language: str) -> str:
    return language if language in ("en", "ru") else settings.LANGUAGE_CODE


def render(text: str, **context) -> str:
    return Template(text).render(Context(context, autoescape=False)).strip()


def acknowledge(*, bot: TelegramBot, ticket: Ticket) -> None:
    """The ticket number in the chat at once, in the customer's language, through the outbox
    like any reply; never more than HELPDESK_AUTOACK_PER_HOUR an hour to one customer."""
    customer = ticket.customer
    if autoreply.recent_counts([customer.pk]).get(customer.pk, 0) >= (
        settings.HELPDESK_AUTOACK_PER_HOUR
    ):
        return
    language = language_of(customer.language)
    template = bot.acknowledgement_ru if language == "ru" else bot.acknowledgement_en
    try:
        ticket_auto_reply(ticket=ticket, text=render(template, number=ticket.number))
    except ApplicationError:
        return  # the customer cannot be reached (blocked the bot): the ticket is what matters


def ingested(*, payload: dict, result: IngestResult) -> None:
    update = payload["update"]
    message = update["message"]
    bot = TelegramBot.objects.get(pk=payload["bot"])
    chat_remember(bot_id=bot.pk, chat_id=message["chat"]["id"],
                  user_id=str(message["from"]["id"]), ticket=result.ticket)  # fmt: skip
    if result.ticket_created and not result.duplicate:
        acknowledge(bot=bot, ticket=result.ticket)


def greet(*, bot: TelegramBot, chat_id: int, language: str) -> None:
    """The bot's greeting, sent after the update's transaction commits."""
    from channels_inbound.telegram.tasks import send_text

    language = language_of(language)
    text = render(bot.greeting_ru if language == "ru" else bot.greeting_en)
    transaction.on_commit(lambda: send_text.delay(bot.pk, chat_id, text))


OPEN_STATUSES = ("new", "open", "pending", "on_hold")


def status_report(*, bot: TelegramBot, chat_id: int, user_id: str, language: str) -> None:
    """/status: the customer's open tickets with their numbers and what each status means,
    in plain words (nothing internal: number, the customer's subject, the status word)."""
    from channels_inbound.customer_output import STATUS_WORDS
    from channels_inbound.telegram.tasks import send_text

    identity = CustomerIdentity.objects.filter(kind=IdentityKind.TELEGRAM, value=user_id).first()
    tickets = []
    if identity is not None:
        tickets = list(
            Ticket.objects.filter(
                customer_id=identity.customer_id,
                status__in=OPEN_STATUSES,
                merged_into__isnull=True,
            )
            .order_by("number")
            .values_list("number", "subject", "status")[:MAX_LISTED]
        )
    with translation.override(language_of(language)):
        if tickets:
            lines = [_("Your open requests:")] + [
                _("#%(number)s %(subject)s — %(status)s")
                % {"number": number, "subject": subject, "status": STATUS_WORDS[status]}
                for number, subject, status in tickets
            ]
        else:
            lines = [_("You have no open requests. Write here and we will open one.")]
        text = "\n".join(str(line) for line in lines)
    transaction.on_commit(lambda: send_text.delay(bot.pk, chat_id, text))


def callback_answered(*, bot: TelegramBot, callback_id: str) -> None:
    """A button press is answered at once, or the customer's button keeps spinning."""
    from channels_inbound.telegram.tasks import call

    transaction.on_commit(
        lambda: call.delay(bot.pk, "answerCallbackQuery", {"callback_query_id": callback_id})
    )
