"""Many customers' messages at once (a batch of inbound email): the rules of `ingest`, applied
one message after another in order, with a number of queries per batch that does not grow with
the batch.

Everything a message needs that is not in the database (identity check, refused files, clean
HTML) is done by `prepare`, before the batch, outside any lock. The batch then reads what it
needs in one query per kind of thing (`bulk_reads`): messages by external id (duplicates, and
what replies refer to), customers by identity, the tickets replies and quoted numbers point at
(locked) and who wrote on them. It threads the messages in memory, in order, with the same
`find_thread` one message uses - so a reply joins a ticket opened earlier in the same batch and
two messages of a new customer make one customer - and writes the result in one statement per
table. The outcome is what ingesting the messages one by one in that order would give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.db import transaction
from django.utils import timezone

from helpdesk.errors import ApplicationError
from helpdesk.realtime import publish_many_on_commit
from tickets import hooks, search
from tickets import realtime as ticket_realtime
from tickets.models import EventKind, Priority, Status, Ticket, TicketEvent
from tickets.services import bulk_writes
from tickets.services.attachments import stored_files
from tickets.services.bulk_reads import (
    BatchThreads,
    Unbatchable,
    find_or_create_senders,
    identities_of,
)
from tickets.services.creation import (
    created_event_values,
    customer_message,
    follow_up_event_values,
    message_search_texts,
    subject_from,
    subject_without_numbers,
)
from tickets.services.customers import identity_texts, normalize_identity
from tickets.services.ingest import (
    IngestResult,
    add_participants,
    find_thread,
    reopening,
    sender_address_on,
    text_and_attachments,
)
from tickets.services.reply import (
    auto_reply_event_values,
    auto_reply_message,
    set_auto_reply_text,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tickets.models import Attachment, Customer, CustomerIdentity, Group, Message
    from tickets.services.attachments import NewAttachment
    from tickets.types import NormalizedMessage

__all__ = ["AutoReplies", "BatchMessage", "Unbatchable", "prepare", "ticket_ingest_many"]


class AutoReplies(Protocol):
    """What a new ticket of the batch is answered with at once (the channels' acknowledgement),
    decided in order like the messages themselves."""

    def prepare(self, customers: Sequence[Customer]) -> None:
        """Read what the decisions need for these customers, once per batch."""

    def wants(self, *, ticket: Ticket, message: NormalizedMessage) -> bool:
        """Whether a ticket just opened by this message is answered (asked in order)."""

    def text(self, *, ticket: Ticket, identities: Sequence[CustomerIdentity]) -> str:
        """The answer's text, once the ticket has its number."""


@dataclass(eq=False)
class BatchMessage:
    """A normalized message made ready for a batch, without the database."""

    message: NormalizedMessage
    group: Group | None
    identity_value: str = ""
    error: ApplicationError | None = None
    subject: str = ""
    # The text as stored (with a note for each refused file): a new ticket is indexed by it.
    text: str = ""
    attachments: list[NewAttachment] = field(default_factory=list)
    # The message as it will be stored, without its ticket and customer yet, and its files
    # (written already: files are content-addressed, so one not used costs nothing but space).
    draft: Message | None = None
    files: list[Attachment] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return self.message.channel, self.message.external_id[:500]


def prepare(message: NormalizedMessage, group: Group | None = None) -> BatchMessage:
    item = BatchMessage(message, group)
    try:
        item.identity_value = normalize_identity(message.sender_kind, message.sender_value)
    except ApplicationError as error:
        item.error = error
        return item
    item.text, item.attachments = text_and_attachments(message)
    item.subject = subject_from(message.subject, message.text)
    item.draft = customer_message(
        ticket=None,
        customer=None,
        channel=message.channel,
        text=item.text,
        html=message.html,
        quoted_text=message.quoted_text,
        external_id=message.external_id[:500],
        is_auto_generated=message.is_auto_generated,
        now=timezone.now(),
    )
    item.files = stored_files(message=item.draft, attachments=item.attachments)
    return item


@transaction.atomic
def ticket_ingest_many(
    *, items: Sequence[BatchMessage], auto_replies: AutoReplies | None = None
) -> list[IngestResult | ApplicationError]:
    """Ingest prepared messages as `ticket_ingest` would one by one, in order: for each, its
    result, or the error that refused it (nothing written for it). Raises `Unbatchable` (and
    writes nothing) when the batch holds something only one-by-one ingest does exactly."""
    return _Batch(list(items), auto_replies).run()


class _Batch:
    def __init__(self, items: list[BatchMessage], auto_replies: AutoReplies | None) -> None:
        self.items = items
        self.auto_replies = auto_replies
        self.results: list[IngestResult | ApplicationError | None] = [None] * len(items)
        self.new_tickets: list[Ticket] = []
        self.touched: dict[int, Ticket] = {}  # existing tickets that got a message, by id()
        self.changed: dict[int, list[str]] = {}
        self.vectors: dict[int, list[str]] = {}  # by id(ticket): bodies, the first one first
        self.messages: list[Message] = []
        self.files: list[Attachment] = []
        self.events: list[TicketEvent] = []
        self.follow_ups: list[tuple[TicketEvent, Ticket]] = []
        self.replies: list[tuple[Message, hooks.Route, TicketEvent]] = []
        self.renamed: dict[int, Customer] = {}

    def run(self) -> list[IngestResult | ApplicationError]:
        live = self._without_duplicates()
        self.senders = find_or_create_senders(live)
        self.identities = identities_of(self.senders) if live else {}
        self.routes = {}
        if self.auto_replies is not None and self.senders:
            self.auto_replies.prepare([s.customer for s in self.senders.values()])
            self.routes = self._routes()
        for index, item in enumerate(self.items):
            if self.results[index] is None or isinstance(self.results[index], int):
                self._ingest(index, item)
        self._write()
        return self.results

    def _without_duplicates(self) -> list[BatchMessage]:
        """Messages already stored, or stored earlier in the batch, are duplicates: their
        result is the stored message's. Returns the others."""
        self.threads = BatchThreads(self.items)
        stored = self.threads.stored
        duplicates = bulk_writes.stored_messages(
            [stored[i.key].pk for i in self.items if i.message.external_id and i.key in stored]
        )
        first: dict[tuple[str, str], int] = {}
        live = []
        for index, item in enumerate(self.items):
            if item.message.external_id and item.key in stored:
                found = duplicates[stored[item.key].pk]
                self.results[index] = IngestResult(found.ticket, found, False, duplicate=True)
            elif item.error is not None:
                self.results[index] = item.error
            elif item.message.external_id and item.key in first:
                self.results[index] = first[item.key]  # an index: resolved once it is stored
            else:
                first.setdefault(item.key, index)
                live.append(item)
        return live

    def _routes(self) -> dict[tuple[int, str], hooks.Route | ApplicationError]:
        """How an automatic answer would reach each sender: one query for the batch."""
        wanted = sorted({
            (sender.customer.pk, item.message.channel)
            for item in self.items
            if (sender := self.senders.get((item.message.sender_kind, item.identity_value)))
        })  # fmt: skip
        probes = [Ticket(customer_id=pk, channel=channel) for pk, channel in wanted]
        return dict(zip(wanted, hooks.outbound_router().route_many(probes), strict=True))

    def _ingest(self, index: int, item: BatchMessage) -> None:
        if isinstance(self.results[index], int):  # a duplicate of an earlier batch message
            earlier = self.results[self.results[index]]
            self.results[index] = IngestResult(
                earlier.ticket, earlier.message, False, duplicate=True
            )
            return
        message = item.message
        sender = self.senders[(message.sender_kind, item.identity_value)]
        customer, identity = sender.customer, sender.identity
        if not customer.name and message.sender_name:
            customer.name, customer.updated_at = message.sender_name[:200], timezone.now()
            self.renamed[customer.pk] = customer
        now = message.received_at or timezone.now()
        ticket, linked = find_thread(message, customer, identity.value, self.threads)
        follow_up_of = linked
        if ticket is not None and ticket.status == Status.CLOSED:
            follow_up_of, ticket = ticket, None
        draft = item.draft
        created = ticket is None
        fields: list[str] = []
        if created:
            if linked is not None:  # a stranger's: nothing of the ticket they named
                item.subject = subject_without_numbers(item.subject)
            ticket = self._open(item, customer, identity, follow_up_of, now)
        else:
            kind = reopening(ticket.status)
            if kind is not None:
                self.events.append(TicketEvent(ticket=ticket, kind=kind, actor_customer=customer,
                                               old=ticket.status, new=Status.OPEN))  # fmt: skip
                ticket.status = Status.OPEN
                fields.append("status")
            self.events.append(TicketEvent(ticket=ticket, kind=EventKind.CUSTOMER_REPLIED,
                                           actor_customer=customer))  # fmt: skip
        draft.ticket, draft.author_customer, draft.created_at = ticket, customer, now
        draft.sender_address = sender_address_on(ticket, identity)
        fields += add_participants(ticket, message.other_participants, exclude=identity.value)
        self.messages.append(draft)
        self.files += item.files
        body = search.body_of(message_search_texts(draft, item.attachments, indexed=created))
        if body:
            self.vectors.setdefault(id(ticket), [""]).append(body)
        if not created:
            ticket.last_customer_message_at = now
            ticket.updated_at = max(ticket.updated_at, now)
            if ticket.pk is not None:
                self.touched.setdefault(id(ticket), ticket)
                changed = self.changed.setdefault(id(ticket), ["messages"])
                changed += [f for f in fields if f not in changed]
        self.threads.wrote(draft, ticket, index)
        self.results[index] = IngestResult(ticket, draft, created, False, linked_to=linked)
        if created:
            self._acknowledge(ticket, message)

    def _open(
        self,
        item: BatchMessage,
        customer: Customer,
        identity: CustomerIdentity,
        follow_up_of: Ticket | None,
        now,
    ) -> Ticket:
        """`new_ticket` and `insert_ticket`, in memory: inserted with the batch's other new
        tickets."""
        message = item.message
        ticket = Ticket(
            subject=item.subject,
            channel=message.channel,
            customer=customer,
            group=item.group,
            priority=Priority.NORMAL,
            tags=[],
            status=Status.NEW,
            follow_up_of=follow_up_of,
            created_at=now,
            updated_at=now,
            last_customer_message_at=now if item.text else None,
        )
        if message.reserved_number is not None:  # promised to a web-form customer already
            ticket.number = message.reserved_number
        texts = identity_texts(customer, self.identities[customer.pk])
        self.vectors[id(ticket)] = [search.body_of([item.subject, item.text, *texts])]
        self.new_tickets.append(ticket)
        self.events.append(TicketEvent(
            ticket=ticket, kind=EventKind.CREATED, actor_customer=customer,
            new=created_event_values(ticket, group=item.group, assignee=None,
                                     follow_up_of=follow_up_of),
        ))  # fmt: skip
        if follow_up_of is not None:
            event = TicketEvent(ticket=follow_up_of, kind=EventKind.FOLLOW_UP,
                                actor_customer=customer)  # fmt: skip
            self.events.append(event)
            self.follow_ups.append((event, ticket))
        return ticket

    def _acknowledge(self, ticket: Ticket, message: NormalizedMessage) -> None:
        """`ticket_auto_reply` for a ticket just opened, when the policy has a text for it."""
        if self.auto_replies is None:
            return
        route = self.routes.get((ticket.customer_id, ticket.channel))
        if route is None or isinstance(route, ApplicationError):
            return  # no way to reach the customer: the ticket itself is what matters
        if not self.auto_replies.wants(ticket=ticket, message=message):
            return
        reply = auto_reply_message(ticket=ticket, route=route, text="")  # once it has a number
        event = TicketEvent(ticket=ticket, kind=EventKind.ACKNOWLEDGED)
        self.messages.append(reply)
        self.events.append(event)
        self.replies.append((reply, route, event))

    def _write(self) -> None:
        """Everything the batch decided, one statement per table."""
        bulk_writes.insert_tickets(self.new_tickets, self.vectors)
        drawn = {t.number for t in self.new_tickets}
        if self.threads.unknown_numbers & drawn:
            # Drawn after the batch looked (another process drew before it): one by one, the
            # message would have found the ticket.
            raise Unbatchable("A message quotes a ticket number drawn in the same batch.")
        for event, ticket in self.follow_ups:
            event.new = follow_up_event_values(ticket)
        bulk_writes.number_messages(self.messages)
        for reply, _, event in self.replies:
            identities = self.identities[reply.ticket.customer_id]
            set_auto_reply_text(reply, self.auto_replies.text(ticket=reply.ticket,
                                                              identities=identities))  # fmt: skip
            event.new = auto_reply_event_values(reply)
        router = hooks.outbound_router() if self.replies else None
        deliveries = router.prepare_many([(m, r) for m, r, _ in self.replies]) if router else []
        bulk_writes.insert_rows(self.messages, self.files, self.events)
        if router:
            router.enqueue_many(deliveries)
        bulk_writes.update_tickets(list(self.touched.values()), self.vectors)
        bulk_writes.rename_customers(list(self.renamed.values()))
        for event in self.events:
            hooks.dispatch_ticket_event(event)
        publish_many_on_commit(
            [ticket_realtime.ticket_created_event(t) for t in self.new_tickets]
            + [
                ticket_realtime.ticket_updated_event(t, changed=self.changed[key])
                for key, t in self.touched.items()
            ]
            + [
                ticket_realtime.message_created_event(m, m.ticket)
                for m in self.messages
                if id(m.ticket) in self.touched
            ]
        )
