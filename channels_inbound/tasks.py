from __future__ import annotations

from celery import shared_task

from channels_inbound import outbox


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> str:
    return outbox.deliver(delivery_id=delivery_id)


@shared_task
def sweep_outbox() -> int:
    return outbox.sweep()
