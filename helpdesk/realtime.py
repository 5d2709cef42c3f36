"""Publish real-time events to websocket groups, after the transaction commits.

Services call `publish_on_commit` inside their transaction. Nothing is sent if the transaction
rolls back, and a browser never hears about a row it could not yet read. Groups:

* ``ticket.<id>``  everyone who has the ticket open,
* ``agents``       every connected agent and admin (they may see every ticket),
* ``user.<id>``    one person (owner, mentioned colleague, internal staff involved).

Consumers re-check permission for every event before it leaves the server, so a group is a
routing hint, never an authorisation.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

AGENTS_GROUP = "agents"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


@dataclass(frozen=True)
class RealtimeEvent:
    type: str
    ticket_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    # True for events that carry internal content (internal comments): only people who may
    # read a ticket's internal notes receive them. Customers' pages never subscribe at all.
    internal: bool = False
    user_ids: tuple[int, ...] = ()
    to_agents: bool = True
    # One id per event: a socket in several of its groups delivers it once.
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def groups(self) -> list[str]:
        groups = [user_group(uid) for uid in self.user_ids]
        if self.ticket_id is not None:
            groups.append(ticket_group(self.ticket_id))
        if self.to_agents:
            groups.append(AGENTS_GROUP)
        return groups


def publish_on_commit(event: RealtimeEvent) -> None:
    transaction.on_commit(lambda: send_now(event))


def send_now(event: RealtimeEvent) -> None:
    """Send to every group of the event. Real time is best effort: a Redis outage is logged,
    never turned into an error for the request that already committed its change."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "realtime.event", "event": asdict(event)}

    async def send_to_groups() -> None:
        for group in event.groups():
            await layer.group_send(group, message)

    try:
        async_to_sync(send_to_groups)()  # one event loop for all groups, not one per group
    except Exception:  # the change is committed; the browser will catch up on next load
        logger.warning("real-time publish failed for %s", event.type, exc_info=True)
