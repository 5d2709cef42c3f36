"""A new ticket is one INSERT statement: the ticket, its `created` event, its owner's
participation and its first message (helpdesk.bulk_insert.insert_together)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.bulk_insert import insert_together
from tickets import hooks, search, services
from tickets.models import (
    Attachment,
    Direction,
    EventKind,
    Message,
    Ticket,
    TicketEvent,
    TicketParticipant,
)


def _found(text: str) -> list[int]:
    return list(search.filter_tickets(Ticket.objects.all(), text).values_list("pk", flat=True))


def test_rows_that_point_at_one_another_are_written_in_one_statement(customer, agent):
    now = timezone.now()
    ticket = Ticket(subject="Refund", channel="email", customer=customer, tags=["late"],
                    created_at=now, updated_at=now)  # fmt: skip
    event = TicketEvent(ticket=ticket, kind=EventKind.CREATED, actor=agent, new={"n": [1, 2]})
    message = Message(ticket=ticket, direction=Direction.IN, channel="email", created_at=now,
                      author_customer=customer, text="Where is my parcel?")  # fmt: skip
    file = Attachment(message=message, file="attachments/ab/cd", name="label.pdf",
                      content_type="application/pdf", size=10, sha256="0" * 64)  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        insert_together(
            [ticket, event, message, file],
            first_row_sql={"search_vector": search.vector_sql(["Refund", "Where is my parcel?"])},
        )

    assert len(queries) == 1
    assert ticket.number and ticket.pk  # the number is the sequence's, read back
    assert event.ticket_id == message.ticket_id == ticket.pk and file.message_id == message.pk
    assert message.ticket is ticket and not ticket._state.adding
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.number, stored.tags, stored.customer_id) == (
        ticket.number,
        ["late"],
        customer.pk,
    )
    assert TicketEvent.objects.get(pk=event.pk).new == {"n": [1, 2]}
    assert Message.objects.get(pk=message.pk).text == "Where is my parcel?"
    assert Attachment.objects.get(pk=file.pk).file.name == "attachments/ab/cd"
    assert _found("parcel") == [ticket.pk]

    # The vector came from SQL, not from the instance: a later save() must leave it alone.
    ticket.subject = "Refund for a late parcel"
    ticket.save()
    assert _found("parcel") == [ticket.pk]


def test_opening_a_ticket_is_one_insert_and_tells_the_subscribers(agent, colleague, customer):
    heard = []
    hooks.subscribe_ticket_events(heard.append)
    try:
        with CaptureQueriesContext(connection) as queries:
            created = services.ticket_create(
                by=agent, customer=customer, subject="", text="The courier never came.",
                assignee=colleague, tags=["Delivery"],
            )  # fmt: skip
    finally:
        hooks._event_subscribers.remove(heard.append)

    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1
    ticket = Ticket.objects.get(pk=created.ticket.pk)
    assert ticket.subject == "The courier never came." and ticket.assignee == colleague
    assert ticket.status == "open" and ticket.tags == ["delivery"]
    assert TicketParticipant.objects.filter(ticket=ticket, user=colleague, reason="owner").exists()
    assert created.message.ticket_id == ticket.pk and created.message.author_customer == customer
    [event] = [e for e in heard if e.ticket_id == ticket.pk]
    assert event.pk and event.kind == EventKind.CREATED and event.actor == agent
    assert event.new["owner"] == {"id": colleague.pk, "name": colleague.full_name}
    assert _found("courier") == [ticket.pk]
    assert _found("marina") == [ticket.pk]  # the customer's identities are in the vector too
