"""Publish real-time events to websocket groups, after the transaction commits.

Services call `publish_on_commit` inside their transaction. Nothing is sent if the transaction
rolls back, and a browser never hears about a row it could not yet read. Groups:

* ``ticket.<id>``  everyone who has the ticket open,
* ``agents``       every connected agent and admin (they may see every ticket),
* ``user.<id>``    one person (owner, mentioned colleague, internal staff involved).

Consumers re-check permission for every event before it leaves the server, so a group is a
routing hint, never an authorisation.

Sending happens on one long-lived background thread per process with its own event loop:
the request that committed does not wait for Redis, and the channel layer keeps one
connection pool instead of building one per event loop (which `async_to_sync` per call would
do from a worker thread).
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

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
    transaction.on_commit(lambda: _publisher().put(event))


async def send(event: RealtimeEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "realtime.event", "event": asdict(event)}
    for group in event.groups():
        await layer.group_send(group, message)


class _Publisher:
    """A daemon thread with an event loop, sending queued events in order."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[RealtimeEvent | None] = queue.SimpleQueue()
        self.pid = os.getpid()
        self.idle = threading.Event()
        self.idle.set()
        self.thread = threading.Thread(target=self._run, name="realtime-publisher", daemon=True)
        self.thread.start()

    def put(self, event: RealtimeEvent) -> None:
        self.idle.clear()
        self.queue.put(event)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        while True:
            event = self.queue.get()
            try:
                loop.run_until_complete(send(event))
            except Exception:  # real time is best effort; the page catches up on reload
                logger.warning("real-time publish failed for %s", event.type, exc_info=True)
            if self.queue.empty():
                self.idle.set()

    def flush(self, timeout: float = 5) -> bool:
        """Wait until everything queued so far was sent (tests, and graceful shutdown)."""
        return self.idle.wait(timeout)


_instance: _Publisher | None = None
_lock = threading.Lock()


def _publisher() -> _Publisher:
    global _instance
    with _lock:
        if _instance is None or _instance.pid != os.getpid():  # new after a fork
            _instance = _Publisher()
        return _instance


def flush(timeout: float = 5) -> bool:
    return _publisher().flush(timeout)
