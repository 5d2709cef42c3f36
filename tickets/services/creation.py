"""Opening tickets: from a customer's message, or by an agent on a customer's behalf."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.bulk_insert import insert_together
from helpdesk.errors import ApplicationError
from tickets import events, permissions, search
from tickets import realtime as ticket_realtime
from tickets.events import user_ref
from tickets.models import (
    Channel,
    Customer,
    CustomerIdentity,
    Direction,
    EventKind,
    Message,
    Priority,
    Status,
    Ticket,
    TicketParticipant,
)
from tickets.models.tickets import TICKET_NUMBER_SEQUENCE
from tickets.permissions import Action
from tickets.sanitize import html_to_text, sanitize_html
from tickets.services import attachments as attachment_service
from tickets.services.customers import customer_find_or_create, identity_texts
from tickets.services.properties import normalize_tags

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import Model

    from accounts.models import User
    from tickets.models import Group
    from tickets.services.attachments import NewAttachment

SUBJECT_FROM_TEXT_CHARS = 80


def subject_from(subject: str, text: str) -> str:
    subject = " ".join((subject or "").split())
    if subject:
        return subject[:255]
    first_line = " ".join((text or "").strip().split("\n")[0].split())
    if len(first_line) > SUBJECT_FROM_TEXT_CHARS:
        first_line = first_line[: SUBJECT_FROM_TEXT_CHARS - 1].rstrip() + "…"
    return first_line or "(no subject)"


# A ticket number as our subjects write it ("Re: [#1234] ...").
TICKET_TOKEN = re.compile(r"\s*\[#\d{1,18}\]")


def subject_without_numbers(subject: str) -> str:
    """A stranger's subject for the ticket they get: the numbers they quoted taken out, so
    nothing we send them (the acknowledgement, a reply) names a ticket that is not theirs."""
    return " ".join(TICKET_TOKEN.sub("", subject).split()) or "(no subject)"


def new_ticket(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    now: datetime,
    group: Group | None = None,
    assignee: User | None = None,
    priority: int = Priority.NORMAL,
    tags: Sequence[str] = (),
    follow_up_of: Ticket | None = None,
    number: int | None = None,
    first_text: str = "",
) -> Ticket:
    """A new ticket as `insert_ticket` writes it, not saved yet. Its number comes from the
    sequence when it is inserted, or is `number`, reserved earlier for an answer that could
    not wait."""
    ticket = Ticket(
        subject=subject,
        channel=channel,
        customer=customer,
        group=group,
        assignee=assignee,
        priority=priority,
        tags=list(tags),
        status=Status.OPEN if assignee is not None else Status.NEW,
        follow_up_of=follow_up_of,
        created_at=now,
        updated_at=now,
        last_customer_message_at=now if first_text else None,
    )
    if number is not None:
        ticket.number = number  # else the sequence's next, drawn by the INSERT
    return ticket


def insert_ticket(
    ticket: Ticket,
    *,
    by: User | None,
    first_text: str,
    identities: Sequence[CustomerIdentity] | None = None,
    with_rows: Sequence[Model] = (),
) -> None:
    """Write a new ticket (`new_ticket`), its `created` event, its owner's participation and
    `with_rows` (made for it: its first message) in one INSERT statement - one round trip to
    the database instead of one per row. The search vector is written with the row: the
    subject, the customer's names and identities, and `first_text`, the first message."""
    customer = ticket.customer
    if identities is None:
        identities = list(customer.identities.all())
    created = events.build(
        ticket,
        kind=EventKind.CREATED,
        by=by,
        by_customer=None if by else customer,
        new=created_event_values(
            ticket, group=ticket.group, assignee=ticket.assignee, follow_up_of=ticket.follow_up_of
        ),
    )
    rows = [ticket, created]
    if ticket.assignee is not None:
        reason = TicketParticipant.Reason.OWNER
        rows.append(TicketParticipant(ticket=ticket, user=ticket.assignee, reason=reason))
    texts = [ticket.subject, first_text, *identity_texts(customer, identities)]
    insert_together([*rows, *with_rows], first_row_sql={"search_vector": search.vector_sql(texts)})
    events.recorded(created)
    if ticket.follow_up_of is not None:
        events.record(
            ticket.follow_up_of,
            kind=EventKind.FOLLOW_UP,
            by=by,
            by_customer=None if by else customer,
            new=follow_up_event_values(ticket),
        )


def created_event_values(
    ticket: Ticket, *, group: Group | None, assignee: User | None, follow_up_of: Ticket | None
) -> dict:
    """What a ticket's `created` event records."""
    return {
        "channel": ticket.channel,
        "group": group.name if group else None,
        "owner": user_ref(assignee),
        "follow_up_of": follow_up_of.number if follow_up_of else None,
    }


def follow_up_event_values(ticket: Ticket) -> dict:
    """What the `follow_up` event on the earlier ticket records of the new one: `related` when
    someone else (not the earlier ticket's customer) wrote it, quoting that ticket."""
    values = {"number": ticket.number, "id": ticket.pk}
    if ticket.follow_up_of is not None and ticket.follow_up_of.customer_id != ticket.customer_id:
        values["related"] = True
    return values


def reserve_ticket_number() -> int:
    """Draw the next ticket number now, for a ticket that will be created later."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{TICKET_NUMBER_SEQUENCE}')")
        return cursor.fetchone()[0]


def add_customer_message(
    *, attachments: Sequence[NewAttachment] = (), indexed: bool = False, **message
) -> Message:
    """Store a customer's message (`message`: the fields of `customer_message`) and its files;
    `indexed` when its text already went into the ticket's search vector (the first message
    of a new ticket)."""
    stored = customer_message(**message)
    stored.save(force_insert=True)
    attachment_service.store(message=stored, attachments=attachments)
    search.append_to_search_vector(
        stored.ticket_id, message_search_texts(stored, attachments, indexed)
    )
    return stored


def customer_message(
    *,
    ticket: Ticket,
    customer: Customer,
    channel: str,
    text: str,
    html: str = "",
    quoted_text: str = "",
    external_id: str = "",
    sender_address: str = "",
    is_auto_generated: bool = False,
    now: datetime,
) -> Message:
    """A customer's message as it is stored (HTML sanitized, text derived from it when the
    message had none), not saved yet."""
    clean_html = sanitize_html(html)
    return Message(
        ticket=ticket,
        direction=Direction.IN,
        channel=channel,
        author_customer=customer,
        sender_address=sender_address,
        text=text or html_to_text(clean_html),
        html=clean_html,
        quoted_text=quoted_text,
        external_id=external_id,
        is_auto_generated=is_auto_generated,
        created_at=now,
    )


def message_search_texts(
    message: Message, attachments: Sequence[NewAttachment], indexed: bool
) -> list[str]:
    """What a customer's message adds to its ticket's search vector."""
    texts = [] if indexed else [message.text]
    return [*texts, *(a.name for a in attachments)]


@dataclass(frozen=True)
class CreatedTicket:
    ticket: Ticket
    message: Message


@dataclass(frozen=True)
class CustomerSpec:
    """Who a ticket is for, when they may not exist yet: an identity to find or create by."""

    kind: str
    value: str
    name: str = ""


@transaction.atomic
def ticket_create(
    *,
    by: User,
    customer: Customer | CustomerSpec,
    subject: str,
    text: str,
    channel: str = Channel.PHONE,
    priority: int = Priority.NORMAL,
    group: Group | None = None,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    attachments: Sequence[NewAttachment] = (),
) -> CreatedTicket:
    """An agent opens a ticket for a customer (a phone call, a walk-in, a chat elsewhere):
    the first message is the customer's request as the agent took it down. A customer given
    by identity is found or created in the same transaction."""
    permissions.require(by, Action.CREATE_TICKET)
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Write down what the customer asked for."))
    if channel not in Channel.values:
        raise ApplicationError(
            _('Unknown channel "%(channel)s"; use one of %(allowed)s.')
            % {"channel": channel, "allowed": ", ".join(Channel.values)}
        )
    if assignee is not None and (not assignee.is_active or not assignee.is_agent):
        raise ApplicationError(
            _("%(user)s cannot own tickets; choose an active agent.") % {"user": assignee}
        )
    if group is not None and not group.is_active:
        raise ApplicationError(_("The group %(group)s is archived.") % {"group": group})
    attachment_service.check_sizes(attachments)
    identities = None
    if isinstance(customer, CustomerSpec):
        customer, identity, created = customer_find_or_create(
            kind=customer.kind, value=customer.value, name=customer.name
        )
        identities = [identity] if created else None
    if customer.merged_into_id is not None:
        raise ApplicationError(
            _("This customer was merged into customer %(id)s; open the ticket there.")
            % {"id": customer.merged_into_id}
        )
    now = timezone.now()
    ticket = new_ticket(
        customer=customer,
        subject=subject_from(subject, text),
        channel=channel,
        now=now,
        group=group,
        assignee=assignee,
        priority=priority,
        tags=normalize_tags(tags),
        first_text=text,
    )
    message = customer_message(
        ticket=ticket, customer=customer, channel=channel, text=text, now=now
    )
    insert_ticket(ticket, by=by, first_text=text, identities=identities, with_rows=[message])
    if attachments:
        attachment_service.store(message=message, attachments=attachments)
        search.append_to_search_vector(ticket.pk, message_search_texts(message, attachments, True))
    ticket_realtime.ticket_created(ticket)
    return CreatedTicket(ticket=ticket, message=message)
