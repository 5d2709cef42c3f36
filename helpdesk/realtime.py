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
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

AGENTS_GROUP = "agents"
# The publisher sends what is queued together, up to this many events at a time.
SEND_AT_ONCE = 500


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


def publish_many_on_commit(events: list[RealtimeEvent]) -> None:
    """Many events of one transaction (a batch of inbound messages), in order, after commit."""
    if events:
        transaction.on_commit(lambda: _publisher().put_many(events))


async def send(event: RealtimeEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "realtime.event", "event": asdict(event)}
    for group in event.groups():
        await layer.group_send(group, message)


async def send_many(events: list[RealtimeEvent]) -> None:
    """Send events in order, each as `send` would, to the groups that have members: which
    those are is asked once for all of them (a burst of inbound mail makes hundreds of events,
    mostly for tickets nobody has open). An event that fails does not stop the others."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        listened = await _listened(layer, {group for e in events for group in e.groups()})
    except Exception:
        logger.warning("could not look up who listens; sending to every group", exc_info=True)
        listened = None
    for event in events:
        message = {"type": "realtime.event", "event": asdict(event)}
        try:
            for group in event.groups():
                if listened is None or group in listened:
                    await layer.group_send(group, message)
        except Exception:  # real time is best effort; the page catches up on reload
            logger.warning("real-time publish failed for %s", event.type, exc_info=True)


async def _listened(layer, groups: set[str]) -> set[str]:
    """The groups with members, by the rule of the Redis layer's `group_send` (members that
    have not expired), in one pipelined round trip per Redis host. Any other layer: all."""
    group_key = getattr(layer, "_group_key", None)
    if group_key is None or not hasattr(layer, "consistent_hash"):
        return groups
    since = f"({int(time.time()) - layer.group_expiry}"
    by_host: dict[int, list[str]] = {}
    for group in sorted(groups):
        by_host.setdefault(layer.consistent_hash(group), []).append(group)
    listened = set()
    for index, names in by_host.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for name in names:
            pipe.zcount(group_key(name), since, "+inf")
        counts = await pipe.execute()
        listened.update(name for name, count in zip(names, counts, strict=True) if count)
    return listened


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

    def put_many(self, events: list[RealtimeEvent]) -> None:
        self.idle.clear()
        for event in events:
            self.queue.put(event)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        while True:
            events = [self.queue.get()]
            while len(events) < SEND_AT_ONCE and not self.queue.empty():
                events.append(self.queue.get())
            try:
                loop.run_until_complete(send_many([e for e in events if e is not None]))
            except Exception:  # real time is best effort; the page catches up on reload
                logger.warning("real-time publish failed", exc_info=True)
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
