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
from django.utils.translation import gettext_lazy as _

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


def reply_content(
    message: Message, address: str = "", attachments: list[Attachment] | None = None
) -> CustomerReply:
    """A reply as the customer receives it; `address` (theirs) makes the status-page link.
    `attachments`: the message's `public_attachments`, when the caller read them already."""
    from channels_inbound.status_links import status_url

    ticket = message.ticket
    language = ticket.customer.language or settings.LANGUAGE_CODE
    context = {
        "number": ticket.number,
        "text": message.text,
        "html": message.html,
        "agent": public_author_name(message),
        "status_url": status_url(ticket.number, address) if address else "",
    }
    with translation.override(language):
        text = render_to_string("channels_inbound/email/reply.txt", context)
        html = render_to_string("channels_inbound/email/reply.html", context)
    return CustomerReply(
        subject=reply_subject(ticket.number, ticket.subject),
        text=text,
        html=html,
        attachments=public_attachments([message])[message.pk]
        if attachments is None
        else attachments,
    )


def public_attachments(messages: list[Message]) -> dict[int, list[Attachment]]:
    """The files each message carries to the customer (not the images shown inline)."""
    files: dict[int, list[Attachment]] = {m.pk: [] for m in messages}
    for attachment in Attachment.objects.filter(
        message_id__in=list(files), is_inline=False
    ).order_by("id"):
        files[attachment.message_id].append(attachment)
    return files


@dataclass(frozen=True)
class PublicMessage:
    """A message as the customer sees it: who (themselves, or an agent by first name), what,
    when. Nothing else of the ticket is reachable from here."""

    from_customer: bool
    author: str
    text: str
    html: str
    created_at: object
    attachments: list[Attachment]


# What each status means to the person waiting, in plain words.
STATUS_WORDS = {
    "new": _("Received — an agent will pick it up soon"),
    "open": _("We are working on it"),
    "pending": _("Waiting for your reply"),
    "on_hold": _("Waiting for a third party — we will update you"),
    "solved": _("Solved — reply if you still need help"),
    "closed": _("Closed"),
}


def public_thread(ticket_id: int) -> list[PublicMessage]:
    messages = (
        Message.objects.filter(ticket_id=ticket_id)
        .select_related("author_user")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    return [
        PublicMessage(
            from_customer=m.direction == "in",
            author="" if m.direction == "in" else public_author_name(m),
            text=m.text,
            html=m.html,
            created_at=m.created_at,
            attachments=[a for a in m.attachments.all() if not a.is_inline],
        )
        for m in messages
    ]
