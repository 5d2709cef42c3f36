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
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from tickets.models import Attachment, Message, Ticket
from tickets.sanitize import show_bidi


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
    return f"Re: [#{number}] {show_bidi(subject)}"


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
MERGED_WORDS = _("Merged with another request and closed")


MAX_MERGE_HOPS = 10


@dataclass(frozen=True)
class StatusView:
    """What a customer's status link shows. `ticket` is the link's ticket, or the ticket of
    the same customer it was merged into; `merged` when it was merged (in the end) into
    another customer's ticket: then the page shows it closed, marked merged, with only this
    customer's own messages and no way to write into the other's thread."""

    ticket: Ticket
    merged: bool
    thread_ticket_id: int  # where the messages are now

    def messages(self):
        """The messages the customer may see: their own conversation, never the messages
        another customer's merged ticket brought in (nor the other way round)."""
        customer_id = self.ticket.customer_id
        messages = Message.objects.filter(ticket_id=self.thread_ticket_id)
        if self.merged:
            return messages.filter(origin_ticket__customer_id=customer_id)
        return messages.filter(
            Q(origin_ticket__isnull=True) | Q(origin_ticket__customer_id=customer_id)
        )


def status_view(number: int) -> StatusView | None:
    """Follow the link's ticket through merges while they stay with its customer."""
    ticket = Ticket.objects.defer("search_vector").filter(number=number).first()
    if ticket is None:
        return None
    shown, foreign, hops = ticket, False, 0
    while ticket.merged_into_id is not None and hops < MAX_MERGE_HOPS:
        ticket = Ticket.objects.defer("search_vector").get(pk=ticket.merged_into_id)
        hops += 1
        if foreign or ticket.customer_id != shown.customer_id:
            foreign = True
        else:
            shown = ticket
    return StatusView(ticket=shown, merged=foreign, thread_ticket_id=ticket.pk)


def public_thread(view: StatusView) -> list[PublicMessage]:
    messages = (
        view.messages()
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
