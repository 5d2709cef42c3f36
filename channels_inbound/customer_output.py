"""Everything a customer ever reads is built here, from public messages only.

This module is deliberately narrow: it receives a `Message` (or a ticket number) and reaches
nothing but that message's own text, attachments and the ticket's number and subject. It
never imports or queries internal comments, ticket events, participants or hand-off notes,
so there is no path from internal content to a customer. The leak tests run every output
built here against a ticket full of internal content.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from tickets.models import Attachment, Message


@dataclass(frozen=True)
class CustomerReply:
    subject: str
    text: str
    html: str
    attachments: list[Attachment]


def public_author_name(message: Message) -> str:
    """Agents sign replies with their first name; only agents ever author replies."""
    if message.author_user is None:
        return ""
    return message.author_user.get_short_name()


def reply_subject(number: int, subject: str) -> str:
    return f"Re: [#{number}] {subject}"


def reply_content(message: Message) -> CustomerReply:
    ticket = message.ticket
    language = ticket.customer.language or settings.LANGUAGE_CODE
    context = {
        "number": ticket.number,
        "text": message.text,
        "html": message.html,
        "agent": public_author_name(message),
    }
    with translation.override(language):
        text = render_to_string("channels_inbound/email/reply.txt", context)
        html = render_to_string("channels_inbound/email/reply.html", context)
    return CustomerReply(
        subject=reply_subject(ticket.number, ticket.subject),
        text=text,
        html=html,
        attachments=list(message.attachments.filter(is_inline=False).order_by("id")),
    )
