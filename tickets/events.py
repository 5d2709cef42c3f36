"""Record ticket events: the one way the audit trail is written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tickets import hooks
from tickets.models import EventKind, Ticket, TicketEvent

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Customer


def record(ticket: Ticket, **fields: Any) -> TicketEvent:
    """Write an event (`fields` as `build` takes them) and tell the subscribers."""
    event = build(ticket, **fields)
    event.save(force_insert=True)
    recorded(event)
    return event


def build(
    ticket: Ticket,
    *,
    kind: EventKind,
    by: User | None = None,
    by_customer: Customer | None = None,
    old: Any = None,
    new: Any = None,
    note: str = "",
) -> TicketEvent:
    """An event not written yet, for a statement that writes it with other rows; call
    `recorded` once it is written."""
    return TicketEvent(
        ticket=ticket, kind=kind, actor=by, actor_customer=by_customer, old=old, new=new, note=note
    )


def recorded(event: TicketEvent) -> None:
    """Tell the subscribers about an event just written, in its transaction."""
    hooks.dispatch_ticket_event(event)


def user_ref(user: User | None) -> dict[str, Any] | None:
    """How a person is stored in an event's old/new values: id and the name at that time."""
    if user is None:
        return None
    return {"id": user.pk, "name": user.full_name}


def group_ref(group) -> dict[str, Any] | None:
    if group is None:
        return None
    return {"id": group.pk, "name": group.name}
