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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from channels_inbound import adapters
from channels_inbound.adapters.base import ParseError
from channels_inbound.models import InboundEvent
from helpdesk.errors import ApplicationError
from helpdesk.queue import enqueue_on_commit
from tickets.models.tickets import TICKET_NUMBER_SEQUENCE
from tickets.selectors import default_group
from tickets.services import ticket_ingest

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 1000


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
    from channels_inbound.tasks import process_inbound

    key = external_key[:500]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INSERT_EVENT,
            [channel, key, None if payload is None else json.dumps(payload), raw, reserve_number],
        )
        row = cursor.fetchone()
        if row is not None:
            enqueue_on_commit(process_inbound, row[0])
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
            return _process_locked(event)
    except Exception as error:
        logger.exception("inbound event %s failed", event_id)
        return _record_attempt(event_id, f"{type(error).__name__}: {error}")


def _process_locked(event: InboundEvent) -> str:
    receiver = adapters.receiver(event.channel)
    now = timezone.now()
    event.attempts += 1
    if receiver is None:
        return _finish(event, InboundEvent.Status.FAILED, f"No adapter for {event.channel}.", now)
    try:
        normalized = receiver.parse(event.payload if event.raw is None else bytes(event.raw))
    except ParseError as error:
        # Kept raw with its error, shown to admins, never retried by itself.
        return _finish(event, InboundEvent.Status.FAILED, str(error), now)
    if normalized is None:
        return _finish(event, InboundEvent.Status.IGNORED, "", now)
    if event.reserved_number:
        normalized = replace(normalized, reserved_number=event.reserved_number)
    try:
        result = ticket_ingest(message=normalized, group=default_group())
    except ApplicationError as error:
        # The message itself is unusable (no valid sender address, say): retrying won't help.
        return _finish(event, InboundEvent.Status.FAILED, error.message, now)
    event.message = result.message
    return _finish(event, InboundEvent.Status.DONE, "", now)


def _finish(event: InboundEvent, status: str, error: str, now: datetime) -> str:
    event.status = status
    event.error = error[:5000]
    event.processed_at = now
    event.save(update_fields=["status", "error", "attempts", "processed_at", "message"])
    return status


def _record_attempt(event_id: int, error: str) -> str:
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
    from channels_inbound.tasks import process_inbound

    with transaction.atomic():
        count = InboundEvent.objects.filter(
            pk__in=event_ids, status=InboundEvent.Status.FAILED
        ).update(status=InboundEvent.Status.PENDING, next_attempt_at=timezone.now(), error="")
        for event_id in event_ids:
            enqueue_on_commit(process_inbound, event_id)
    return count


def sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> list[int]:
    """Ids of pending events whose task was lost (broker restart, killed worker), oldest
    first. The caller queues them."""
    now = now or timezone.now()
    return list(
        InboundEvent.objects.filter(
            status=InboundEvent.Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
