"""The raw inbox: receive (store first), process (parse and ingest, once), sweep (recover).

Processing takes the event row with `FOR UPDATE SKIP LOCKED`, so two workers never process
one event at once, and commits the message and the event's new status together: a worker
killed mid-way leaves the event pending, and the sweep hands it to another worker. Ingest is
idempotent by the channel's external id, so even a replay after a lost commit makes no
second message.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from channels_inbound import adapters, autoreply
from channels_inbound.adapters.base import Handled, ParseError
from channels_inbound.models import InboundEvent
from helpdesk import after_response
from helpdesk.errors import ApplicationError
from tickets.models.tickets import TICKET_NUMBER_SEQUENCE
from tickets.selectors import default_group
from tickets.services import messages_failed_by_report, ticket_ingest

if TYPE_CHECKING:
    from tickets.models import Group
    from tickets.types import NormalizedMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
SWEEP_GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class Received:
    event_id: int
    created: bool
    # The ticket number drawn for the customer's answer, when one was asked for.
    reserved_number: int | None


# Table and sequence names are ours; every value is a parameter.
INSERT_EVENT = f"""
    INSERT INTO {InboundEvent._meta.db_table}
        (channel, external_key, payload, raw, status, error, attempts, reserved_number,
         received_at, next_attempt_at)
    VALUES (%s, %s, %s::jsonb, %s, 'pending', '', 0,
            CASE WHEN %s THEN nextval('{TICKET_NUMBER_SEQUENCE}') END, now(), now())
    ON CONFLICT (channel, external_key) DO NOTHING
    RETURNING id, reserved_number
"""  # noqa: S608


INSERT_EVENTS = f"""
    INSERT INTO {InboundEvent._meta.db_table}
        (channel, external_key, payload, raw, status, error, attempts, received_at,
         next_attempt_at)
    SELECT %s, key, payload::jsonb, raw, 'pending', '', 0, now(), now()
    FROM unnest(%s::text[], %s::text[], %s::bytea[]) AS new (key, payload, raw)
    ON CONFLICT (channel, external_key) DO NOTHING
"""  # noqa: S608


def receive_many(*, channel: str, items: list[tuple[str, dict[str, Any] | None, bytes]]) -> int:
    """Store many (external_key, payload, raw) at once, in one statement: how a mail poller
    hands over a batch. Keys seen before are skipped. Returns how many were new."""
    if not items:
        return 0
    keys = [key[:500] for key, _, _ in items]
    payloads = [None if payload is None else json.dumps(payload) for _, payload, _ in items]
    raws = [raw for _, _, raw in items]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT_EVENTS, [channel, keys, payloads, raws])
        created = cursor.rowcount
        if created:
            transaction.on_commit(wake)
    return created


def receive(
    *,
    channel: str,
    external_key: str,
    payload: dict[str, Any] | None = None,
    raw: bytes | None = None,
    reserve_number: bool = False,
) -> Received:
    """Store a payload as it came, and have it processed after commit.

    One statement: the row, the ticket number when `reserve_number` (the web form answers
    with it before the ticket exists), and nothing at all when the same delivery came
    before - then the first one is returned, with its number.
    """
    key = external_key[:500]
    # No transaction of its own: one statement is atomic, and BEGIN and COMMIT would be two
    # more round trips on the path every web-form submission takes. Inside a caller's
    # transaction, the drainers are still woken only after it commits.
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_EVENT,
            [channel, key, None if payload is None else json.dumps(payload), raw, reserve_number],
        )
        row = cursor.fetchone()
    if row is not None:
        transaction.on_commit(wake_soon)
        return Received(event_id=row[0], created=True, reserved_number=row[1])
    event_id, number = (
        InboundEvent.objects.filter(channel=channel, external_key=key)
        .values_list("pk", "reserved_number")
        .get()
    )
    return Received(event_id=event_id, created=False, reserved_number=number)


def process(*, event_id: int) -> str:
    """Parse and ingest one event. Returns its status afterwards (or "busy" when another
    worker holds it)."""
    try:
        with transaction.atomic():
            event = (
                InboundEvent.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, status=InboundEvent.Status.PENDING)
                .first()
            )
            if event is None:
                status = (
                    InboundEvent.objects.filter(pk=event_id)
                    .values_list("status", flat=True)
                    .first()
                )
                # Still pending but not ours: another worker holds it right now.
                return "busy" if status == InboundEvent.Status.PENDING else status or "missing"
            return process_locked(event)
    except Exception as error:
        logger.exception("inbound event %s failed", event_id)
        return record_attempt(event_id, f"{type(error).__name__}: {error}")


@dataclass(frozen=True)
class Parsed:
    """An event read by its channel's adapter: a message to ingest, or the status it ends in
    without one (failed to parse, nothing to do)."""

    message: NormalizedMessage | None = None
    group: Group | None = None
    status: str = ""
    error: str = ""
    # An update that is no message, handled in its event's transaction (adapters.base.Handled).
    handled: Handled | None = None


def parse(event: InboundEvent) -> Parsed:
    receiver = adapters.receiver(event.channel)
    if receiver is None:
        return Parsed(status=InboundEvent.Status.FAILED, error=f"No adapter for {event.channel}.")
    try:
        normalized = receiver.parse(event.payload if event.raw is None else bytes(event.raw))
    except ParseError as error:
        # Kept raw with its error, shown to admins, never retried by itself.
        return Parsed(status=InboundEvent.Status.FAILED, error=str(error))
    if normalized is None:
        return Parsed(status=InboundEvent.Status.IGNORED)
    if isinstance(normalized, Handled):
        return Parsed(status=InboundEvent.Status.IGNORED, handled=normalized)
    if event.reserved_number:
        normalized = replace(normalized, reserved_number=event.reserved_number)
    group_for = getattr(receiver, "group_for", None)
    group = (group_for(event.payload) if group_for else None) or default_group()
    return Parsed(normalized, group)


def process_locked(event: InboundEvent, parsed: Parsed | None = None) -> str:
    now = timezone.now()
    event.attempts += 1
    parsed = parsed or parse(event)
    normalized = parsed.message
    if parsed.handled is not None:
        return _finish(event, parsed.status, parsed.handled.apply(), now)
    if normalized is None:
        return _finish(event, parsed.status, parsed.error, now)
    if normalized.reports_failure_of:
        # A bounce of our own mail: the failed reply is marked, no ticket is opened for it.
        ours = messages_failed_by_report(
            external_ids=normalized.reports_failure_of, reason=normalized.failure_reason
        )
        note = f"Delivery report about {ours} of our messages." if ours else "Delivery report."
        return _finish(event, InboundEvent.Status.IGNORED, note, now)
    receiver = adapters.receiver(event.channel)
    # A channel whose thread is its own state (a messenger's chat) reads it here, at ingest
    # time: a batch parses all its events before ingesting the first.
    resolve_thread = getattr(receiver, "resolve_thread", None)
    if resolve_thread is not None:
        normalized = resolve_thread(payload=event.payload, message=normalized)
    try:
        result = ticket_ingest(message=normalized, group=parsed.group)
    except ApplicationError as error:
        # The message itself is unusable (no valid sender address, say): retrying won't help.
        return _finish(event, InboundEvent.Status.FAILED, error.message, now)
    event.message = result.message
    # A channel that keeps its own conversation state (a messenger's chat) or acknowledges
    # in its own words does it here, in the same transaction as the message.
    ingested = getattr(receiver, "ingested", None)
    if ingested is not None:
        ingested(payload=event.payload, result=result, message=normalized)
    if (
        result.ticket_created
        and not normalized.is_auto_generated
        and event.channel in autoreply.ACKNOWLEDGED_CHANNELS
    ):
        autoreply.acknowledge(ticket=result.ticket)
    return _finish(event, InboundEvent.Status.DONE, "", now)


def _finish(event: InboundEvent, status: str, error: str, now: datetime) -> str:
    event.status = status
    event.error = error[:5000]
    event.processed_at = now
    event.save(update_fields=["status", "error", "attempts", "processed_at", "message"])
    return status


def record_attempt(event_id: int, error: str) -> str:
    """An unexpected error (a bug, the database away): count it, wait, try again; after
    MAX_ATTEMPTS the event is failed for an admin to look at and re-run."""
    now = timezone.now()
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.status != InboundEvent.Status.PENDING:
            return event.status if event else "missing"
        event.attempts += 1
        event.error = error[:5000]
        if event.attempts >= MAX_ATTEMPTS:
            event.status = InboundEvent.Status.FAILED
        event.next_attempt_at = now + timedelta(seconds=30 * 2 ** (event.attempts - 1))
        event.save(update_fields=["attempts", "error", "status", "next_attempt_at"])
        return event.status


def retry(*, event_ids: list[int]) -> int:
    """Put failed events back in the queue (the admin's "re-run")."""
    with transaction.atomic():
        count = InboundEvent.objects.filter(
            pk__in=event_ids, status=InboundEvent.Status.FAILED
        ).update(status=InboundEvent.Status.PENDING, next_attempt_at=timezone.now(), error="")
        transaction.on_commit(wake)
    return count


# --- Waking the workers -------------------------------------------------------------------------
# A burst of a thousand submissions should not be a thousand broker messages: the first event
# of a burst wakes a few drainers (a Redis flag says they are awake), and they process every
# due event, in order, until none is left.

AWAKE_FLAG = "inbox:drainers-awake"
DRAINERS = 2
DRAIN_SECONDS = 60
# How long a drainer waits before it looks again when the other holds every due event.
HELD_PAUSE_SECONDS = 0.1
# How often a drainer woken while every slot is taken looks for a free one before it leaves.
SLOT_TRIES = 10
# After a batch smaller than this the drainer waits HELPDESK_INBOX_LINGER_SECONDS before it
# claims again, so that under a steady stream of events batches fill up (a batch costs about
# as much for 10 events as for 50) instead of every few events paying for a claim of their own.
LINGER_BELOW = 50


def wake() -> None:
    """Make sure drainers are running. A Redis or broker outage is harmless: the events are
    committed and the beat sweep wakes the drainers again."""
    from channels_inbound.tasks import drain_inbox

    try:
        if _set_awake_flag():
            for _ in range(DRAINERS):
                drain_inbox.apply_async(retry=False)
    except (RedisError, OperationalError):
        logger.warning("could not wake the inbox drainers; the sweep will", exc_info=True)


def wake_soon() -> None:
    """`wake`, once the client has its answer: it need not wait for the round trip."""
    after_response.defer(wake)


def _set_awake_flag() -> bool:
    """`cache.add(AWAKE_FLAG, 1)` in one plain SET NX: every submission pays for it, and the
    cache's own `add` adds its layers to the round trip. The value is what the cache stores
    for the int 1, so `cache.get` and `cache.delete` work on the flag as before."""
    key = cache.make_key(AWAKE_FLAG)
    client = cache._cache.get_client(key, write=True)  # the shared Redis connection pool
    return bool(client.set(key, 1, nx=True, ex=DRAIN_SECONDS * 2))


def drain(*, seconds: float = DRAIN_SECONDS) -> int:
    """Process due events until none is left (or time is up: then hand over to a fresh
    drainer, so no task runs into Celery's time limit). Returns how many were processed.

    At most DRAINERS drain at once (each holds a slot): one woken while they all run leaves
    at once, so drainers never take every worker process the outbox and the poller need."""
    from channels_inbound.batch import drainer_slot

    for _ in range(SLOT_TRIES):
        with drainer_slot(DRAINERS) as slot:
            if slot is not None:
                done, timed_out = _drain(seconds)
                break
        # Every slot is held: by drainers at work, who will see our event, or by drainers
        # that took their last look just before it committed and are leaving. Wait for those.
        time.sleep(HELD_PAUSE_SECONDS)
    else:
        return 0
    if timed_out:
        cache.delete(AWAKE_FLAG)
        wake()
    return done


def _drain(seconds: float) -> tuple[int, bool]:
    from channels_inbound.batch import process_due

    started, done = time.monotonic(), 0
    try:
        while time.monotonic() - started < seconds:
            count = process_due()
            if not count and _held_elsewhere():
                # The other drainer has every due event; more may come meanwhile.
                time.sleep(HELD_PAUSE_SECONDS)
                continue
            if not count:
                # Sleep only after a last look: an event committed after the flag is gone
                # wakes new drainers itself; one committed before it is seen here.
                cache.delete(AWAKE_FLAG)
                count = process_due()
                if not count:
                    return done, False
                _set_awake_flag()
            done += count
            if count < LINGER_BELOW and settings.HELPDESK_INBOX_LINGER_SECONDS:
                _linger()
    except RedisError:
        logger.warning("Redis unavailable while draining the inbox", exc_info=True)
        return done, False
    return done, True


def _linger() -> None:
    time.sleep(settings.HELPDESK_INBOX_LINGER_SECONDS)


def _held_elsewhere() -> bool:
    """Whether events are due and every one of them is held by another drainer (one just
    committed and not held by anybody is not: this drainer takes it)."""
    due = InboundEvent.objects.filter(
        status=InboundEvent.Status.PENDING, next_attempt_at__lte=timezone.now()
    )
    with transaction.atomic():
        free = due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:1]
        return due.exists() and not list(free)


def sweep(*, now: datetime | None = None) -> bool:
    """Wake the drainers when an event waits longer than it should (its wake-up was lost to
    a broker restart or a killed worker). Returns whether it did."""
    now = now or timezone.now()
    overdue = InboundEvent.objects.filter(
        status=InboundEvent.Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE
    ).exists()
    if overdue:
        cache.delete(AWAKE_FLAG)
        wake()
    return overdue
