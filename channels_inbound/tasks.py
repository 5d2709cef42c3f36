from __future__ import annotations

from celery import shared_task

from channels_inbound import inbox, outbox


@shared_task(acks_late=True)
def process_inbound(event_id: int) -> str:
    return inbox.process(event_id=event_id)


@shared_task
def sweep_inbox() -> int:
    """Re-queue pending events in batches; a full batch queues the next sweep at once."""
    due = inbox.sweep()
    for event_id in due:
        process_inbound.delay(event_id)
    if len(due) == inbox.SWEEP_BATCH:
        sweep_inbox.delay()
    return len(due)


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> str:
    return outbox.deliver(delivery_id=delivery_id)


@shared_task
def sweep_outbox() -> int:
    return outbox.sweep()
