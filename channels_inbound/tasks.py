from __future__ import annotations

from celery import shared_task

from channels_inbound import inbox, outbox


@shared_task(acks_late=True)
def process_inbound(event_id: int) -> str:
    return inbox.process(event_id=event_id)


@shared_task(acks_late=True)
def drain_inbox() -> int:
    return inbox.drain()


@shared_task
def sweep_inbox() -> bool:
    return inbox.sweep()


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> str:
    return outbox.deliver(delivery_id=delivery_id)


@shared_task(acks_late=True)
def deliver_many(delivery_ids: list[int]) -> int:
    return outbox.deliver_many(delivery_ids=delivery_ids)


@shared_task
def sweep_outbox() -> int:
    return outbox.sweep()


@shared_task
def poll_mailboxes() -> int:
    from channels_inbound.mailboxes import active_mailbox_ids

    ids = active_mailbox_ids()
    for mailbox_id in ids:
        poll_mailbox.delay(mailbox_id)
    return len(ids)


@shared_task(acks_late=True, soft_time_limit=240)
def poll_mailbox(mailbox_id: int) -> int:
    from channels_inbound.mailboxes import poll

    return poll(mailbox_id=mailbox_id).fetched


@shared_task
def poll_telegram_bots() -> int:
    from channels_inbound.telegram.polling import polling_bot_ids

    ids = polling_bot_ids()
    for bot_id in ids:
        poll_telegram_bot.delay(bot_id)
    return len(ids)


@shared_task(acks_late=True, soft_time_limit=60)
def poll_telegram_bot(bot_id: int) -> int:
    from channels_inbound.telegram.polling import poll

    return poll(bot_id=bot_id)
