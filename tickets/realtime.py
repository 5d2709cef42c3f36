"""Real-time events about tickets, built in the services' transaction, sent after commit."""

from __future__ import annotations

from helpdesk.realtime import RealtimeEvent, publish_on_commit
from tickets.models import Message, Ticket


def ticket_summary(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority_name,
        "channel": ticket.channel,
        "group_id": ticket.group_id,
        "assignee_id": ticket.assignee_id,
        "customer_id": ticket.customer_id,
        "updated_at": ticket.updated_at.isoformat(),
    }


def _people(ticket: Ticket, extra: tuple[int, ...] = ()) -> tuple[int, ...]:
    ids = {uid for uid in (ticket.assignee_id, *extra) if uid}
    return tuple(sorted(ids))


def ticket_created(ticket: Ticket) -> None:
    publish_on_commit(ticket_created_event(ticket))


def ticket_created_event(ticket: Ticket) -> RealtimeEvent:
    return RealtimeEvent(
        "ticket.created",
        ticket.pk,
        {"ticket": ticket_summary(ticket)},
        user_ids=_people(ticket),
    )


def ticket_updated(ticket: Ticket, *, changed: list[str], notify: tuple[int, ...] = ()) -> None:
    publish_on_commit(ticket_updated_event(ticket, changed=changed, notify=notify))


def ticket_updated_event(
    ticket: Ticket, *, changed: list[str], notify: tuple[int, ...] = ()
) -> RealtimeEvent:
    return RealtimeEvent(
        "ticket.updated",
        ticket.pk,
        {"ticket": ticket_summary(ticket), "changed": changed},
        user_ids=_people(ticket, notify),
    )


def message_created(message: Message, ticket: Ticket) -> None:
    publish_on_commit(message_created_event(message, ticket))


def message_created_event(message: Message, ticket: Ticket) -> RealtimeEvent:
    return _message_event("message.created", message, ticket, {
        "direction": message.direction, "channel": message.channel,
        "delivery_status": message.delivery_status})  # fmt: skip


def message_updated(message: Message, ticket: Ticket) -> None:
    publish_on_commit(message_updated_event(message, ticket))


def message_updated_event(message: Message, ticket: Ticket) -> RealtimeEvent:
    return _message_event("message.updated", message, ticket, {
        "delivery_status": message.delivery_status, "delivery_error": message.delivery_error},
        notify=(message.author_user_id or 0,))  # fmt: skip


def _message_event(
    kind: str, message: Message, ticket: Ticket, fields: dict, notify: tuple[int, ...] = ()
) -> RealtimeEvent:
    return RealtimeEvent(
        kind,
        ticket.pk,
        {"ticket": ticket_summary(ticket), "message": {"id": message.pk, **fields}},
        user_ids=_people(ticket, notify),
    )
