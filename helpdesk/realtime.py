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

import redis
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

AGENTS_GROUP = "agents"
# The publisher sends what is queued together, up to this many events at a time.
SEND_AT_ONCE = 500
# ...and asks Redis who listens at most once per this many seconds: a busy process then
# pays one round trip for every few events instead of one each (measured: a tenth of the
# CPU of an API request that creates a ticket). A quiet one sends at once, as before.
GATHER_SECONDS = 0.05


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
        listened = await _listened(layer, _groups_of(events))
    except Exception:
        logger.warning("could not look up who listens; sending to every group", exc_info=True)
        listened = None
    await _send_to(layer, _routed(events, listened))


def _groups_of(events: list[RealtimeEvent]) -> set[str]:
    return {group for event in events for group in event.groups()}


def _routed(
    events: list[RealtimeEvent], listened: set[str] | None
) -> list[tuple[RealtimeEvent, list[str]]]:
    """Each event with the groups it goes to (those with members; all when unknown), in
    order; events nobody listens to are left out."""
    routed = []
    for event in events:
        groups = [g for g in event.groups() if listened is None or g in listened]
        if groups:
            routed.append((event, groups))
    return routed


async def _send_to(layer, routed: list[tuple[RealtimeEvent, list[str]]]) -> None:
    for event, groups in routed:
        message = {"type": "realtime.event", "event": asdict(event)}
        try:
            for group in groups:
                await layer.group_send(group, message)
        except Exception:  # real time is best effort; the page catches up on reload
            logger.warning("real-time publish failed for %s", event.type, exc_info=True)


def _membership_queries(layer, groups: set[str]) -> tuple[str, dict[int, list[str]]] | None:
    """What `_listened` asks each Redis host: by the rule of the Redis layer's `group_send`,
    a group has members if any of them has not expired. None for any other layer."""
    if getattr(layer, "_group_key", None) is None or not hasattr(layer, "consistent_hash"):
        return None
    since = f"({int(time.time()) - layer.group_expiry}"
    by_host: dict[int, list[str]] = {}
    for group in sorted(groups):
        by_host.setdefault(layer.consistent_hash(group), []).append(group)
    return since, by_host


async def _listened(layer, groups: set[str]) -> set[str]:
    """The groups with members, in one pipelined round trip per Redis host. Any other layer:
    all of them."""
    queries = _membership_queries(layer, groups)
    if queries is None:
        return groups
    since, by_host = queries
    listened = set()
    for index, names in by_host.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for name in names:
            pipe.zcount(layer._group_key(name), since, "+inf")
        counts = await pipe.execute()
        listened.update(name for name, count in zip(names, counts, strict=True) if count)
    return listened


def _listened_now(layer, groups: set[str], clients: dict[int, Any]) -> set[str] | None:
    """`_listened` through the synchronous Redis client (`clients`: one per host, kept by the
    caller): the publisher asks this for every batch, and an event loop turn costs it several
    times the round trip itself. None when the hosts are not plain addresses (the caller then
    asks `_listened`)."""
    queries = _membership_queries(layer, groups)
    if queries is None:
        return set(groups)
    since, by_host = queries
    listened = set()
    for index, names in by_host.items():
        client = clients.get(index)
        if client is None:
            host = layer.hosts[index]
            if set(host) != {"address"} or not isinstance(host["address"], str):
                return None
            client = clients[index] = redis.Redis.from_url(host["address"])
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.zcount(layer._group_key(name), since, "+inf")
        counts = pipe.execute()
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
        clients: dict[int, Any] = {}
        sent_at = 0.0
        while True:
            events = [self.queue.get()]
            wait = sent_at + GATHER_SECONDS - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # the last batch went out just now: let this one gather
            while len(events) < SEND_AT_ONCE and not self.queue.empty():
                events.append(self.queue.get())
            try:
                self._send([e for e in events if e is not None], loop, clients)
            except Exception:  # real time is best effort; the page catches up on reload
                logger.warning("real-time publish failed", exc_info=True)
            sent_at = time.monotonic()
            if self.queue.empty():
                self.idle.set()

    @staticmethod
    def _send(events: list[RealtimeEvent], loop, clients: dict[int, Any]) -> None:
        """Who listens is asked without the event loop; the loop runs only when somebody
        does (most events are about tickets nobody has open)."""
        layer = get_channel_layer()
        if layer is None or not events:
            return
        try:
            listened = _listened_now(layer, _groups_of(events), clients)
        except Exception:
            logger.warning("could not look up who listens; sending to every group", exc_info=True)
            listened = set(_groups_of(events))
        if listened is None:
            loop.run_until_complete(send_many(events))
            return
        routed = _routed(events, listened)
        if routed:
            loop.run_until_complete(_send_to(layer, routed))

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
