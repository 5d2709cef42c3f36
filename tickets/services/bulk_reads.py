"""What a batch of inbound messages reads before it threads them, one query per kind of thing,
and the state it keeps while it threads them in order (see `bulk_ingest`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from tickets.models import Customer, CustomerIdentity, Message, Ticket
from tickets.models.tickets import TICKET_NUMBER_SEQUENCE
from tickets.services.customers import new_customer
from tickets.services.ingest import MAX_MERGE_HOPS

if TYPE_CHECKING:
    from datetime import datetime

    from tickets.services.bulk_ingest import BatchMessage


class Unbatchable(Exception):
    """The batch met something only one-at-a-time ingest handles exactly. Raised before
    anything is written, or rolls the batch back; its messages are then ingested one by one."""


@dataclass(frozen=True)
class StoredMessage:
    pk: int
    direction: str
    ticket_id: int
    created_at: datetime


# The batch's lookups go key by key (`LATERAL ... OFFSET 0`: one index probe per key), so
# the plan does not depend on the planner's statistics: a table never analyzed must not make
# a batch read every message to find 200 Message-IDs.
MESSAGES_BY_EXTERNAL_ID = f"""
    SELECT k.channel, k.external_id, m.id, m.direction, m.ticket_id, m.created_at
    FROM unnest(%s::text[], %s::text[]) AS k(channel, external_id),
    LATERAL (
        SELECT id, direction, ticket_id, created_at FROM {Message._meta.db_table}
        WHERE channel = k.channel AND external_id = k.external_id AND external_id <> ''
        OFFSET 0
    ) AS m
"""  # noqa: S608 - table names are ours, values are parameters
WRITERS = f"""
    SELECT DISTINCT t.id, m.sender_address
    FROM unnest(%s::bigint[]) AS t(id),
    LATERAL (
        SELECT sender_address FROM {Message._meta.db_table}
        WHERE ticket_id = t.id AND sender_address = ANY(%s) OFFSET 0
    ) AS m
"""  # noqa: S608
IDENTITIES = f"""
    SELECT i.id FROM unnest(%s::text[], %s::text[]) AS k(kind, value),
    LATERAL (
        SELECT id FROM {CustomerIdentity._meta.db_table}
        WHERE kind = k.kind AND value = k.value OFFSET 0
    ) AS i
"""  # noqa: S608


def _next_number() -> int:
    """The next ticket number the sequence gives (others may draw it first)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value, is_called FROM {TICKET_NUMBER_SEQUENCE}")  # noqa: S608
        last, called = cursor.fetchone()
    return last + 1 if called else last


def _rows(sql: str, *arrays) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(array) for array in arrays])
        return cursor.fetchall()


class BatchThreads:
    """`ingest.Threads` for a batch: the database as read before it (the tickets locked, as
    one message locks the ticket it joins), and what the batch itself wrote so far."""

    def __init__(self, items: list[BatchMessage]) -> None:
        wanted: set[tuple[str, str]] = set()
        hinted: set[tuple[str, str]] = set()
        numbers: set[int] = set()
        for item in items:
            message = item.message
            hinted.update((message.channel, mid) for mid in message.hints.external_ids)
            if message.external_id:
                wanted.add(item.key)
            if message.hints.ticket_number is not None:
                numbers.add(message.hints.ticket_number)
        promised = {i.message.reserved_number for i in items} - {None}
        if numbers & promised:
            # A reply to a web-form ticket opened in this very batch: one by one, the ticket
            # exists when its reply comes.
            raise Unbatchable("A message quotes a number promised to another in the batch.")
        wanted |= hinted
        self.stored: dict[tuple[str, str], StoredMessage] = {}
        if wanted:
            self.stored = {
                (channel, mid): StoredMessage(*rest)
                for channel, mid, *rest in _rows(
                    MESSAGES_BY_EXTERNAL_ID, *zip(*wanted, strict=True)
                )
            }
        self.tickets: dict[int, Ticket] = {}
        self.by_number: dict[int, Ticket] = {}
        ticket_ids = {self.stored[key].ticket_id for key in hinted if key in self.stored}
        if ticket_ids or numbers:
            self._lock(Q(pk__in=ticket_ids) | Q(number__in=numbers))
        if numbers - set(self.by_number) and max(numbers - set(self.by_number)) >= _next_number():
            # A quoted number nobody has drawn yet: the batch might draw it for a ticket it
            # opens before that message. One by one, numbers are drawn as tickets open.
            raise Unbatchable("A message quotes a ticket number not drawn yet.")
        for _ in range(MAX_MERGE_HOPS):
            targets = {t.merged_into_id for t in self.tickets.values()} - {None, *self.tickets}
            if not targets:
                break
            self._lock(Q(pk__in=targets))
        # (ticket, address) of every non-customer address that wrote on a ticket.
        self.writers: set[tuple[int, str]] = set()
        senders = {item.identity_value for item in items if item.error is None}
        if self.tickets and senders:
            self.writers = {
                (id(self.tickets[ticket_id]), address)
                for ticket_id, address in _rows(WRITERS, list(self.tickets), list(senders))
            }
        # (channel, external id) -> (direction, ticket) of the batch's own messages.
        self.written: dict[tuple[str, str], tuple[str, Ticket]] = {}
        self.unknown_numbers: set[int] = set()

    def _lock(self, condition: Q) -> None:
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .defer("search_vector")
            .filter(condition)
            .order_by("pk")
        )
        for ticket in locked:
            self.tickets[ticket.pk] = ticket
            self.by_number[ticket.number] = ticket

    # --- ingest.Threads -------------------------------------------------------------------
    def earlier(self, channel: str, external_ids: tuple[str, ...]) -> tuple[str, Ticket] | None:
        # The batch's own messages are the latest; later in the batch is later.
        ours = [self.written[key] for key in ((channel, mid) for mid in external_ids)
                if key in self.written]  # fmt: skip
        if ours:
            return max(ours, key=lambda pair: pair[2])[:2]
        stored = [self.stored[key] for key in ((channel, mid) for mid in external_ids)
                  if key in self.stored]  # fmt: skip
        if not stored:
            return None
        latest = max(stored, key=lambda row: (row.created_at, row.pk))
        return latest.direction, self.tickets[latest.ticket_id]

    def numbered(self, number: int) -> Ticket | None:
        ticket = self.by_number.get(number)
        if ticket is None:
            # It may be a number this batch is about to draw: checked once numbers are drawn.
            self.unknown_numbers.add(number)
        return ticket

    def merged_into(self, ticket: Ticket) -> Ticket:
        return self.tickets[ticket.merged_into_id]

    def has_written(self, ticket: Ticket, address: str) -> bool:
        return (id(ticket), address) in self.writers

    def latest(self, customer: Customer, channel: str) -> Ticket | None:
        raise Unbatchable("A messenger conversation is threaded one message at a time.")

    # --- what the batch writes ------------------------------------------------------------
    def wrote(self, message: Message, ticket: Ticket, order: int) -> None:
        if message.external_id:
            self.written[(message.channel, message.external_id)] = (
                message.direction,
                ticket,
                order,
            )
        if message.sender_address:
            self.writers.add((id(ticket), message.sender_address))


@dataclass
class Sender:
    customer: Customer
    identity: CustomerIdentity
    # The batch message that created them, if one did.
    created_by: BatchMessage | None


INSERT_IDENTITIES = f"""
    INSERT INTO {CustomerIdentity._meta.db_table}
        (customer_id, kind, value, display, is_reachable, created_at)
    SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::boolean[],
                         %s::timestamptz[])
    ON CONFLICT (kind, value) DO NOTHING
    RETURNING id, kind, value
"""  # noqa: S608 - table name is ours, values are parameters


def find_or_create_senders(items: list[BatchMessage]) -> dict[tuple[str, str], Sender]:
    """`customer_find_or_create` for every sender of a batch: the identities found in one
    query, the new customers and identities inserted in two. The first message of a new
    address names its customer. An address another transaction created meanwhile is that
    transaction's customer, as for one message at a time."""
    first: dict[tuple[str, str], BatchMessage] = {}
    for item in items:
        first.setdefault((item.message.sender_kind, item.identity_value), item)
    senders = _found(first)
    new = {key: item for key, item in first.items() if key not in senders}
    if not new:
        return senders
    pairs = {
        key: new_customer(
            kind=key[0],
            value=key[1],
            name=item.message.sender_name,
            language=item.message.language,
            display=item.message.sender_display,
        )
        for key, item in new.items()
    }
    Customer.objects.bulk_create([customer for customer, _ in pairs.values()])
    identities = [identity for _, identity in pairs.values()]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_IDENTITIES,
            [
                [i.customer.pk for i in identities],
                [i.kind for i in identities],
                [i.value for i in identities],
                [i.display for i in identities],
                [i.is_reachable for i in identities],
                [now] * len(identities),
            ],
        )
        inserted = {(kind, value): pk for pk, kind, value in cursor.fetchall()}
        lost = [key for key in pairs if key not in inserted]
        if lost:
            cursor.execute(
                f"DELETE FROM {Customer._meta.db_table} WHERE id = ANY(%s)",  # noqa: S608
                [[pairs[key][0].pk for key in lost]],
            )
    for key, (customer, identity) in pairs.items():
        if key in inserted:
            identity.pk, identity.created_at = inserted[key], now
            identity.customer_id = customer.pk
            senders[key] = Sender(customer, identity, created_by=new[key])
    if lost:
        senders.update(_found({key: new[key] for key in lost}))
    return senders


def _found(wanted: dict[tuple[str, str], BatchMessage]) -> dict[tuple[str, str], Sender]:
    ids = [pk for (pk,) in _rows(IDENTITIES, *zip(*wanted, strict=True))] if wanted else []
    if not ids:
        return {}
    identities = CustomerIdentity.objects.select_related("customer").filter(pk__in=ids)
    return {(i.kind, i.value): Sender(i.customer, i, created_by=None) for i in identities}


def identities_of(senders: dict[tuple[str, str], Sender]) -> dict[int, list[CustomerIdentity]]:
    """Every identity of the batch's customers, oldest first (their search texts, the address
    an acknowledgement goes to): a new customer has the one it was created with."""
    by_customer: dict[int, list[CustomerIdentity]] = defaultdict(list)
    known = [s.customer.pk for s in senders.values() if s.created_by is None]
    if known:
        for identity in CustomerIdentity.objects.filter(customer_id__in=known).order_by("id"):
            by_customer[identity.customer_id].append(identity)
    for sender in senders.values():
        if sender.created_by is not None:
            by_customer[sender.customer.pk] = [sender.identity]
    return by_customer
