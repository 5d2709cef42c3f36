"""Draining the inbox in batches: many events per transaction, email and web form set-based.

A drainer claims the next due events (`FOR UPDATE SKIP LOCKED`, oldest first) and parses
them, then ingests them in id order: a run of email messages and web-form submissions in one
`ticket_ingest_many` (a constant number of queries for the run), anything else - a bounce, a
messenger's running conversation - one by one in its place. The outcome is the outcome of
processing the events one by one in that order. An event that fails rolls back alone and is
counted like a failure of `process`; a run the batch ingest cannot take (it raises) is
processed one by one instead.

Two drainers run at once, so a reply must never be ingested before the message it answers,
claimed by the other drainer, has committed. Claims are taken one at a time (a session
advisory lock held for the claim only), and each claim takes a numbered turn (a transaction
advisory lock): a drainer parses its batch while the previous one writes, then waits for the
previous turn's transaction to end before it ingests. Batches thus commit in the order they
were claimed, and parsing - most of the work - runs in parallel.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from channels_inbound import autoreply, inbox
from channels_inbound.models import InboundEvent
from helpdesk.errors import ApplicationError
from tickets.services import bulk_ingest

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# Channels whose messages are ingested set-based; the others one by one, in their place.
BATCH_CHANNELS = ("email", "web")

# Advisory locks, two int4 keys each: (LOCKS, CLAIM) while a drainer claims; (LOCKS, SLOT + i)
# while a drainer runs; (TURNS, n) from a claim to its commit. Turn numbers grow while any turn
# is held, and start again at 1.
LOCKS, CLAIM, SLOT = 7_301_001, 1, 100
TURNS = 7_301_002
MAX_TURN = 2**31 - 1
LAST_TURN = """
    SELECT coalesce(max(objid::text::bigint), 0) FROM pg_locks
    WHERE locktype = 'advisory' AND classid = %s::oid AND objsubid = 2
      AND granted AND mode = 'ExclusiveLock'
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
FINISH = f"""
    UPDATE {InboundEvent._meta.db_table} AS e
    SET status = v.status, error = v.error, attempts = e.attempts + 1, processed_at = %s,
        message_id = v.message_id
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[])
        AS v(id, status, error, message_id)
    WHERE e.id = v.id
"""  # noqa: S608 - the table name is ours, values are parameters


def process_due(*, limit: int = BATCH_SIZE) -> int:
    """Claim, parse and process up to `limit` due events. Returns how many were claimed (0:
    none is due, or every due one is held by another drainer)."""
    failures: list[tuple[int, str]] = []
    claimed: list[int] = []
    try:
        with transaction.atomic():
            events, previous = _claim(limit)
            claimed = [event.pk for event in events]
            parsed = [(event, _parse(event)) for event in sorted(events, key=lambda e: e.pk)]
            _wait_for_turn(previous)
            _process(parsed, failures)
    except Exception:
        if not claimed:
            raise
        # The batch itself could not commit (the database went away mid-way): nothing of it
        # was written. One at a time, each event gets its own verdict.
        logger.exception("inbound batch failed; processing its events one by one")
        return sum(inbox.process(event_id=event_id) != "busy" for event_id in claimed)
    for event_id, error in failures:
        inbox.record_attempt(event_id, error)
    return len(claimed)


def _claim(limit: int) -> tuple[list[InboundEvent], int]:
    """The next due events, locked, and the turn before ours (0: none is running)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCKS, CLAIM])
        try:
            with transaction.atomic():  # an error here must leave us able to unlock
                events = list(
                    InboundEvent.objects.select_for_update(skip_locked=True)
                    .filter(status=InboundEvent.Status.PENDING, next_attempt_at__lte=timezone.now())
                    .order_by("next_attempt_at", "id")[:limit]
                )
                if not events:
                    return [], 0
                cursor.execute(LAST_TURN, [TURNS])
                previous = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [TURNS, previous % MAX_TURN + 1]
                )
                return events, previous
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCKS, CLAIM])


@contextmanager
def drainer_slot(slots: int) -> Iterator[int | None]:
    """One of `slots` places for a drainer, held while it drains (a session advisory lock,
    gone with the connection should the worker die); None when every one is taken."""
    with connection.cursor() as cursor:
        for slot in range(slots):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCKS, SLOT + slot])
            if cursor.fetchone()[0]:
                try:
                    yield slot
                finally:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCKS, SLOT + slot])
                return
    yield None


def _wait_for_turn(previous: int) -> None:
    """Until the batch claimed before ours has committed (or rolled back). Then, for this
    transaction only: no JIT compilation. The batch's lookups probe an index key by key, but
    their estimated cost grows with the batch and would have each compiled (tens of ms)."""
    with connection.cursor() as cursor:
        if previous:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [TURNS, previous])
        cursor.execute("SET LOCAL jit = off")


def _parse(event: InboundEvent) -> inbox.Parsed | bulk_ingest.BatchMessage | None:
    """What needs no database, done before our turn: the event parsed and, when its message
    goes into the batch ingest, prepared for it. None: the parser broke; the event's own path
    records that."""
    try:
        parsed = inbox.parse(event)
    except Exception:
        return None
    message = parsed.message
    if (
        message is None
        or event.channel not in BATCH_CHANNELS
        or message.reports_failure_of
        or message.hints.conversation
    ):
        return parsed
    return bulk_ingest.prepare(message, parsed.group)


def _process(
    parsed: list[tuple[InboundEvent, inbox.Parsed | bulk_ingest.BatchMessage | None]],
    failures: list[tuple[int, str]],
) -> None:
    """In id order: runs of prepared messages through the batch ingest, the rest one by one;
    events that end without a message (unparseable, nothing to do) need nothing but their
    status. Statuses are written in one statement at the end."""
    finished: list[tuple[InboundEvent, str, str, int | None]] = []
    run: list[tuple[InboundEvent, bulk_ingest.BatchMessage]] = []
    for event, item in parsed:
        if isinstance(item, bulk_ingest.BatchMessage):
            run.append((event, item))
        elif item is not None and item.message is None and item.handled is None:
            finished.append((event, item.status, item.error, None))
        else:
            finished += _ingest(run, failures)
            run = []
            _one(event, item, failures)
    finished += _ingest(run, failures)
    if finished:
        with connection.cursor() as cursor:
            cursor.execute(FINISH, [
                timezone.now(),
                [event.pk for event, *_ in finished],
                [status for _, status, _, _ in finished],
                [error[:5000] for _, _, error, _ in finished],
                [message_id for *_, message_id in finished],
            ])  # fmt: skip


def _ingest(
    run: list[tuple[InboundEvent, bulk_ingest.BatchMessage]], failures: list[tuple[int, str]]
) -> list[tuple[InboundEvent, str, str, int | None]]:
    if not run:
        return []
    try:
        results = bulk_ingest.ticket_ingest_many(
            items=[item for _, item in run], auto_replies=autoreply.Acknowledgements()
        )
    except Exception as error:
        if not isinstance(error, bulk_ingest.Unbatchable):
            logger.exception("batch ingest failed; ingesting its %s messages one by one", len(run))
        for event, item in run:
            _one(event, inbox.Parsed(item.message, item.group), failures)
        return []
    return [
        (event, InboundEvent.Status.FAILED, result.message, None)
        if isinstance(result, ApplicationError)
        else (event, InboundEvent.Status.DONE, "", result.message.pk)
        for (event, _), result in zip(run, results, strict=True)
    ]


def _one(event: InboundEvent, parsed: inbox.Parsed | None, failures: list[tuple[int, str]]):
    """One event the way `process` does it, in a savepoint of its own."""
    try:
        with transaction.atomic():
            inbox.process_locked(event, parsed)
    except Exception as error:
        logger.exception("inbound event %s failed", event.pk)
        failures.append((event.pk, f"{type(error).__name__}: {error}"))
