from __future__ import annotations

from celery import shared_task

from comments import notifications


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=6)
def send_notification_email(notification_id: int) -> None:
    notifications.send_email(notification_id=notification_id)
