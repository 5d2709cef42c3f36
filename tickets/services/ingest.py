"""Turning a customer's normalized message into a ticket message, exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.errors import PayloadTooLarge
from tickets import events
from tickets import realtime as ticket_realtime
from tickets.models import Customer, CustomerIdentity, EventKind, Message, Status, Ticket
from tickets.services import attachments as attachment_service
from tickets.services.attachments import NewAttachment
from tickets.services.common import lock_ticket, move_status
from tickets.services.creation import (
    add_customer_message,
    insert_ticket,
    new_ticket,
    subject_from,
    subject_without_numbers,
)
from tickets.services.customers import customer_find_or_create

if TYPE_CHECKING:
    from tickets.models import Group
    from tickets.types import NormalizedMessage

MAX_MERGE_HOPS = 20


@dataclass(frozen=True)
class IngestResult:
    ticket: Ticket
    message: Message
    ticket_created: bool
    duplicate: bool
    # The ticket this one continues or was refused to join (a quoted number of a stranger).
    linked_to: Ticket | None = None


def _by_external_id(channel: str):
    """Messages looked up by their channel's id, through the partial unique index: the
    explicit `external_id <> ''` lets a prepared (generic) plan use it, and the ticket comes
    without its search vector."""
    return (
        Message.objects.filter(channel=channel)
        .exclude(external_id="")
        .select_related("ticket")
        .defer("ticket__search_vector")
    )


class Threads(Protocol):
    """What threading needs to know: one event asks the database; a batch answers from what it
    read up front and what it wrote so far (tickets.services.bulk_ingest)."""

    def earlier(self, channel: str, external_ids: tuple[str, ...]) -> tuple[str, Ticket] | None:
        """The direction and ticket of the latest message with one of these ids."""

    def numbered(self, number: int) -> Ticket | None: ...

    def merged_into(self, ticket: Ticket) -> Ticket: ...

    def has_written(self, ticket: Ticket, address: str) -> bool:
        """Whether a message on the ticket came from this (non-customer) address."""

    def latest(self, customer: Customer, channel: str) -> Ticket | None:
        """The customer's latest ticket on a channel."""


class DatabaseThreads:
    """Threading for one message at a time, straight from the database."""

    def earlier(self, channel: str, external_ids: tuple[str, ...]) -> tuple[str, Ticket] | None:
        earlier = (
            _by_external_id(channel)
            .filter(external_id__in=external_ids)
            .order_by("-created_at")
            .first()
        )
        return None if earlier is None else (earlier.direction, earlier.ticket)

    def numbered(self, number: int) -> Ticket | None:
        return Ticket.objects.defer("search_vector").filter(number=number).first()

    def merged_into(self, ticket: Ticket) -> Ticket:
        return Ticket.objects.defer("search_vector").get(pk=ticket.merged_into_id)

    def has_written(self, ticket: Ticket, address: str) -> bool:
        return Message.objects.filter(ticket=ticket, sender_address=address).exists()

    def latest(self, customer: Customer, channel: str) -> Ticket | None:
        return (
            Ticket.objects.defer("search_vector")
            .filter(customer=customer, channel=channel)
            .order_by("-number")
            .first()
        )


def _follow_merges(ticket: Ticket, threads: Threads) -> Ticket:
    hops = 0
    while ticket.merged_into_id is not None and hops < MAX_MERGE_HOPS:
        ticket = threads.merged_into(ticket)
        hops += 1
    return ticket


def _is_participant(
    ticket: Ticket, customer: Customer, sender_value: str, threads: Threads
) -> bool:
    """The ticket's customer, or an address already on its conversation (in Cc of the
    customer's mail, or one that wrote on the thread before)."""
    if ticket.customer_id == customer.pk or sender_value in ticket.participant_addresses:
        return True
    return threads.has_written(ticket, sender_value)


def find_thread(
    message: NormalizedMessage,
    customer: Customer,
    sender_value: str,
    threads: Threads | None = None,
) -> tuple[Ticket | None, Ticket | None]:
    """Which ticket this message continues, and which one it names but may not join.

    Nothing a message carries is a secret: our Message-IDs travel in every forward and every
    Cc'd copy, and anyone can copy a ticket number into a subject. So a reference (to our mail
    or the customer's) or a quoted number joins only the mail of someone already on that
    conversation: the ticket's customer, or an address in Cc of it or that wrote on it. A
    stranger gets a new ticket, linked (for the agents) to the one they named, never a seat in
    someone else's thread.
    """
    threads = threads or DatabaseThreads()
    hints = message.hints
    refused = None
    if hints.external_ids:
        earlier = threads.earlier(message.channel, hints.external_ids)
        if earlier is not None:
            direction, ticket = earlier
            ticket = _follow_merges(ticket, threads)
            if _is_participant(ticket, customer, sender_value, threads):
                return ticket, None
            # A reply to a customer's message from someone else is another recipient of a
            # mass mailing that reached us, not a reference to our conversation: no link.
            if direction == "out":
                refused = ticket
    if hints.ticket_number is not None:
        named = threads.numbered(hints.ticket_number)
        if named is not None:
            named = _follow_merges(named, threads)
            if _is_participant(named, customer, sender_value, threads):
                return named, None
            return None, refused or named
    if refused is not None:
        return None, refused
    if hints.conversation:
        latest = threads.latest(customer, message.channel)
        if latest is not None:
            latest = _follow_merges(latest, threads)
            if reopen_window_passed(latest):
                return None, latest  # a new ticket, linked to the one solved long ago
            return latest, None
    return None, None


def _subject(message: NormalizedMessage, linked: Ticket | None) -> str:
    subject = subject_from(message.subject, message.text)
    return subject if linked is None else subject_without_numbers(subject)


def solved_before(ticket: Ticket, when) -> bool:
    return (
        ticket.status == Status.SOLVED and ticket.solved_at is not None and ticket.solved_at < when
    )


def reopen_window_passed(ticket: Ticket) -> bool:
    """Whether a messenger customer's new message is too late to reopen this solved ticket
    (HELPDESK_MESSENGER_REOPEN_DAYS after it was solved)."""
    window = timedelta(days=settings.HELPDESK_MESSENGER_REOPEN_DAYS)
    return solved_before(ticket, timezone.now() - window)


def add_participants(ticket: Ticket, addresses, *, exclude: str) -> list[str]:
    new = [a for a in dict.fromkeys(a.lower() for a in addresses)
           if a and a != exclude and a not in ticket.participant_addresses]  # fmt: skip
    if not new:
        return []
    ticket.participant_addresses = [*ticket.participant_addresses, *new][:200]
    return ["participant_addresses"]


def _attachments(message: NormalizedMessage) -> tuple[list[NewAttachment], list[str]]:
    """Attachments within the size limit, and notes for the ones that were not kept.

    An oversized file must not cost the customer their message: the message is stored, the
    agent sees which file was refused and why.
    """
    kept, refused = [], []
    for a in message.attachments:
        new = NewAttachment(a.name, a.content_type, a.content, a.content_id, a.is_inline)
        try:
            attachment_service.check_sizes([new])
        except PayloadTooLarge as error:
            refused.append(error.message)
        else:
            kept.append(new)
    return kept, refused


def text_and_attachments(message: NormalizedMessage) -> tuple[str, list[NewAttachment]]:
    """The text to store (with a note for each refused file) and the files to keep."""
    attachments, refused = _attachments(message)
    text = message.text
    if refused:
        text = (text + "\n\n" if text else "") + "\n".join(f"[{note}]" for note in refused)
    return text, attachments


def reopening(status: str) -> EventKind | None:
    """How a customer's answer moves a ticket waiting in `status` back to open, if it does:
    the ball is back with the team."""
    if status == Status.SOLVED:
        return EventKind.REOPENED
    if status in (Status.PENDING, Status.ON_HOLD):
        return EventKind.STATUS_CHANGED
    return None


def too_late_to_reopen(ticket: Ticket, message: NormalizedMessage, now) -> bool:
    """A solved ticket past the channel's reopen window stays solved: the message starts a
    new ticket linked to it."""
    window = message.hints.reopen_within
    return window is not None and solved_before(ticket, now - window)


def sender_address_on(ticket: Ticket, identity: CustomerIdentity) -> str:
    """The address a message came from, kept when it is not the ticket customer's own."""
    return identity.value if identity.customer_id != ticket.customer_id else ""


@transaction.atomic
def _ingest(message: NormalizedMessage, group: Group | None) -> IngestResult:
    customer, identity, new_customer = customer_find_or_create(
        kind=message.sender_kind,
        value=message.sender_value,
        name=message.sender_name,
        language=message.language,
        display=message.sender_display,
    )
    if not identity.is_reachable:
        # Whoever writes can be answered again (a messenger subscribes them by their message).
        CustomerIdentity.objects.filter(pk=identity.pk).update(is_reachable=True)
    now = message.received_at or timezone.now()
    ticket, linked = find_thread(message, customer, identity.value)
    follow_up_of = linked
    if ticket is not None and (
        ticket.status == Status.CLOSED or too_late_to_reopen(ticket, message, now)
    ):
        follow_up_of, ticket = ticket, None

    text, attachments = text_and_attachments(message)

    created = ticket is None
    if created:
        ticket = new_ticket(
            customer=customer,
            subject=_subject(message, linked),
            channel=message.channel,
            now=now,
            group=group,
            follow_up_of=follow_up_of,
            number=message.reserved_number,
            first_text=text,
        )
        identities = [identity] if new_customer else None
        insert_ticket(ticket, by=None, first_text=text, identities=identities)
        fields = []
    else:
        ticket = lock_ticket(ticket)
        fields = []
        kind = reopening(ticket.status)
        if kind is not None:
            fields = move_status(ticket, Status.OPEN, now=now, by_customer=customer, kind=kind)
        events.record(ticket, kind=EventKind.CUSTOMER_REPLIED, by_customer=customer)

    sender_address = sender_address_on(ticket, identity)
    fields += add_participants(ticket, message.other_participants, exclude=identity.value)
    stored = add_customer_message(
        ticket=ticket,
        customer=customer,
        channel=message.channel,
        text=text,
        html=message.html,
        quoted_text=message.quoted_text,
        external_id=message.external_id[:500],
        sender_address=sender_address,
        is_auto_generated=message.is_auto_generated,
        attachments=attachments,
        now=now,
        indexed=created,
    )
    if not created:  # a new ticket was inserted with these already
        ticket.last_customer_message_at = now
        ticket.updated_at = max(ticket.updated_at, now)
        ticket.save(update_fields=[*fields, "last_customer_message_at", "updated_at"])
    elif fields:
        ticket.save(update_fields=fields)
    if created:
        ticket_realtime.ticket_created(ticket)
    else:
        ticket_realtime.ticket_updated(ticket, changed=["messages", *fields])
    ticket_realtime.message_created(stored, ticket)
    return IngestResult(ticket, stored, created, duplicate=False, linked_to=linked)


def _existing(message: NormalizedMessage) -> IngestResult | None:
    if not message.external_id:
        return None
    found = next(
        iter(_by_external_id(message.channel).filter(external_id=message.external_id[:500])[:1]),
        None,
    )
    if found is None:
        return None
    return IngestResult(found.ticket, found, ticket_created=False, duplicate=True)


def ticket_ingest(*, message: NormalizedMessage, group: Group | None = None) -> IngestResult:
    """Find or create the customer, find the thread, append or open a ticket.

    Idempotent by the channel's external id: the same email, update or token delivered
    twice (even at the same moment) makes one message. Runs in its own transaction.
    """
    existing = _existing(message)
    if existing is not None:
        return existing
    try:
        return _ingest(message, group)
    except IntegrityError:
        # A concurrent delivery of the same message won the unique index; ours rolled back
        # whole (customer, ticket and all), and the winner's result is what we report.
        existing = _existing(message)
        if existing is None:
            raise
        return existing


@transaction.atomic
def message_edited_by_customer(*, message: Message, text: str, html: str = "") -> Message:
    """A messenger lets the customer edit what they sent: the stored text (and sanitized
    HTML) follows, marked as edited by the channel; files stay; open pages update at once."""
    message = Message.objects.select_for_update().select_related("ticket").get(pk=message.pk)
    if (message.text, message.html) != (text, html):
        message.text, message.html = text, html
        message.save(update_fields=["text", "html"])
        ticket_realtime.message_updated(message, message.ticket)
    return message


@transaction.atomic
def message_add_parts(*, message: Message, incoming: NormalizedMessage) -> Message:
    """A message that arrives in parts (a messenger's album: one update per photo) is one
    message: each later part's files (and text, if it brings any) are added to it."""
    message = Message.objects.select_for_update().select_related("ticket").get(pk=message.pk)
    text, attachments = text_and_attachments(incoming)
    if text and text not in message.text:
        message.text = f"{message.text}\n{text}" if message.text else text
        message.save(update_fields=["text"])
    attachment_service.store(message=message, attachments=attachments)
    ticket_realtime.message_updated(message, message.ticket)
    return message
