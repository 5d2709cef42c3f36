"""Queue Celery tasks after commit without letting a broker outage fail the request.

The row the task is about is already committed (an inbox event, an outbox delivery), and the
beat sweeps find rows whose task never arrived. So when Redis is down, the right answer to
the customer is still "received", and the work is picked up when the broker is back.
"""

from __future__ import annotations

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    def send() -> None:
        try:
            task.apply_async(args, retry=False)
        except OperationalError:
            logger.warning(
                "could not queue %s%s; the sweep will pick it up", task.name, args, exc_info=True
            )

    transaction.on_commit(send)
