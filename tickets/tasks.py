from __future__ import annotations

from celery import shared_task

from accounts.models import User
from tickets.services import bulk


@shared_task
def bulk_update(job_id: str, user_id: int, numbers: list[int], action: str) -> int:
    user = User.objects.get(pk=user_id)
    return bulk.bulk_run(job_id=job_id, by=user, numbers=numbers, action=action).done


@shared_task
def refresh_queue_counts() -> int:
    from tickets.queues import refresh_shared_counts

    return len(refresh_shared_counts())
