"""Where the core calls out to the apps built on it, without importing them.

`tickets` never imports `comments`, `channels_inbound` or `sla`. Those apps fill these
registries in their `AppConfig.ready()`:

* ticket-event subscribers run inside the transaction that recorded the event (so a
  notification row commits or rolls back with the change that caused it);
* the outbound router says how a reply reaches a customer and puts it in the outbox, in the
  same transaction as the message (the transactional outbox);
* timeline sources add items (internal comments) to a ticket's timeline for staff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from accounts.models import User
    from helpdesk.errors import ApplicationError
    from tickets.models import CustomerIdentity, Message, Ticket, TicketEvent


EventSubscriber = Callable[["TicketEvent"], None]
_event_subscribers: list[EventSubscriber] = []


def subscribe_ticket_events(subscriber: EventSubscriber) -> EventSubscriber:
    if subscriber not in _event_subscribers:
        _event_subscribers.append(subscriber)
    return subscriber


def dispatch_ticket_event(event: TicketEvent) -> None:
    for subscriber in _event_subscribers:
        subscriber(event)


@dataclass(frozen=True)
class Route:
    """How a reply reaches the customer: through which channel, to which identity."""

    channel: str
    identity: CustomerIdentity


class OutboundRouter(Protocol):
    def route(self, ticket: Ticket) -> Route:
        """Raise ApplicationError, saying what to do, when the customer cannot be reached."""

    def route_many(self, tickets: Sequence[Ticket]) -> list[Route | ApplicationError]:
        """`route` for many tickets at once (they need not be saved: their customer and
        channel decide), each the route or the refusal."""

    def enqueue(self, message: Message, route: Route) -> None:
        """Write the outbox row in the caller's transaction; deliver after commit."""

    def prepare_many(self, pairs: Sequence[tuple[Message, Route]]) -> Sequence[Any]:
        """For messages about to be inserted in one statement (their pk drawn already): fix
        what the channel needs on the message itself (an email's Message-ID), in memory, and
        return their outbox rows for `enqueue_many` once the messages are written."""

    def enqueue_many(self, prepared: Sequence[Any]) -> None:
        """Write the outbox rows `prepare_many` returned; deliver them after commit."""


_outbound_router: OutboundRouter | None = None


def set_outbound_router(router: OutboundRouter) -> None:
    global _outbound_router
    _outbound_router = router


def outbound_router() -> OutboundRouter:
    if _outbound_router is None:
        raise RuntimeError("No outbound router: is channels_inbound in INSTALLED_APPS?")
    return _outbound_router


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "message" | "comment" | "event"
    created_at: Any
    id: int
    obj: Any


TimelineSource = Callable[["list[Ticket]", "User"], "list[TimelineItem]"]
_timeline_sources: list[TimelineSource] = []


def add_timeline_source(source: TimelineSource) -> TimelineSource:
    if source not in _timeline_sources:
        _timeline_sources.append(source)
    return source


def timeline_sources() -> list[TimelineSource]:
    return list(_timeline_sources)
