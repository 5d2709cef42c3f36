"""What a batch of inbound messages writes: one statement per table (see `bulk_ingest`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

from helpdesk.bulk_insert import insert_rows as insert_rows_of
from tickets import search
from tickets.models import Attachment, Customer, Message, Ticket, TicketEvent

if TYPE_CHECKING:
    from collections.abc import Sequence


def stored_messages(pks: Sequence[int]) -> dict[int, Message]:
    """Messages already stored, with their tickets (what a duplicate reports)."""
    if not pks:
        return {}
    found = Message.objects.select_related("ticket").defer("ticket__search_vector")
    return {m.pk: m for m in found.filter(pk__in=pks)}


NEW_TICKET_COLUMNS = (
    "subject", "status", "priority", "channel", "customer_id", "group_id", "tags",
    "follow_up_of_id", "participant_addresses", "created_at", "updated_at",
    "last_customer_message_at",
)  # fmt: skip
# A number promised before (the web form answers with one) is written; otherwise the next
# one of the sequence, drawn in row order.
NEW_TICKET = (
    "(%s, %s, %s, %s, %s, %s, %s::varchar(50)[], %s, %s::varchar(320)[], %s, %s, %s, {vector}, "
    "coalesce(%s::bigint, nextval('tickets_ticket_number_seq')))"
)


def _promised_number(ticket: Ticket) -> int | None:
    number = ticket.__dict__.get("number")
    return number if isinstance(number, int) else None  # else the field's database default


def insert_tickets(tickets: list[Ticket], vectors: dict[int, list[str]]) -> None:
    """New tickets, in order: their numbers come from the sequence in that order, their search
    vectors whole - the first body, then each text their messages appended (`vectors`, by
    id()), as if written then appended to one by one."""
    if not tickets:
        return
    rows, params = [], []
    for ticket in tickets:
        first, *appended = vectors[id(ticket)]
        added, added_params = search.appended_sql(appended)
        vector = "to_tsvector(%s::regconfig, %s)" + (f" || {added}" if appended else "")
        rows.append(NEW_TICKET.format(vector=vector))
        params += [getattr(ticket, column) for column in NEW_TICKET_COLUMNS]
        params += [search.CONFIG, first, *added_params, _promised_number(ticket)]
    columns = ", ".join([*NEW_TICKET_COLUMNS, "search_vector", "number"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Ticket._meta.db_table} ({columns}) VALUES {', '.join(rows)} "  # noqa: S608
            "RETURNING id, number",
            params,
        )
        for ticket, (pk, number) in zip(tickets, cursor.fetchall(), strict=True):
            ticket.pk, ticket.number = pk, number
            ticket._state.adding, ticket._state.db = False, connection.alias


DRAW_MESSAGE_IDS = f"""
    SELECT nextval(pg_get_serial_sequence('{Message._meta.db_table}', 'id'))
    FROM generate_series(1, %s)
"""  # noqa: S608 - the table name is ours


def number_messages(messages: list[Message]) -> None:
    """Give messages their ids before they are written, in order: an outbound message's
    channel id (an email's Message-ID) is made from it and written with the row."""
    if not messages:
        return
    with connection.cursor() as cursor:
        cursor.execute(DRAW_MESSAGE_IDS, [len(messages)])
        for message, (pk,) in zip(messages, cursor.fetchall(), strict=True):
            message.pk = pk


def insert_rows(
    messages: list[Message], files: list[Attachment], events: list[TicketEvent]
) -> None:
    for rows in (messages, files, events):
        insert_rows_of(rows)


def update_tickets(tickets: list[Ticket], vectors: dict[int, list[str]]) -> None:
    """Existing tickets after the batch's messages: status, activity, participants, and the
    texts appended to their search vectors (`vectors[id(ticket)][1:]`), in one statement."""
    if not tickets:
        return
    rows, params = [], []
    for ticket in tickets:
        added, added_params = search.appended_sql(vectors.get(id(ticket), [""])[1:])
        rows.append(
            f"(%s::bigint, %s::varchar, %s::timestamptz, %s::timestamptz, %s::varchar[], {added})"
        )
        params += [
            ticket.pk,
            ticket.status,
            ticket.updated_at,
            ticket.last_customer_message_at,
            list(ticket.participant_addresses),
            *added_params,
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Ticket._meta.db_table} AS t SET
                status = v.status,
                updated_at = v.updated_at,
                last_customer_message_at = v.last_customer_message_at,
                participant_addresses = v.participant_addresses,
                search_vector = CASE WHEN v.added IS NULL THEN t.search_vector
                    ELSE coalesce(t.search_vector, ''::tsvector) || v.added END
            FROM (VALUES {", ".join(rows)}) AS v(id, status, updated_at,
                last_customer_message_at, participant_addresses, added)
            WHERE t.id = v.id
            """,  # noqa: S608 - names are ours, values are parameters
            params,
        )


def rename_customers(customers: list[Customer]) -> None:
    """Customers known without a name, named by the batch's first message that gave one."""
    if customers:
        Customer.objects.bulk_update(customers, ["name", "updated_at"])
