"""The outbox: replies are written with their delivery row and sent after commit.

Delivery is claimed with a conditional UPDATE, so a task delivered twice (or run by two
workers) sends once. Temporary failures wait with exponential backoff; permanent ones, or
too many temporary ones, mark the delivery and its message failed with the provider's
answer, which the agent sees on the ticket.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_inbound import adapters
from channels_inbound.adapters.base import PermanentDeliveryError, TemporaryDeliveryError
from channels_inbound.models import OutboundDelivery
from helpdesk.errors import ApplicationError
from helpdesk.queue import enqueue_on_commit
from tickets.hooks import Route
from tickets.models import Channel, CustomerIdentity, DeliveryStatus, Message, Ticket
from tickets.services import message_set_delivery_status

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600
# A delivery left "sending" this long belonged to a worker that died mid-send.
STALE_SENDING = timedelta(minutes=10)

# Which channel carries a reply to a ticket that came in on each channel. Web-form and
# phone tickets are answered by email: the customer left an address, not a chat.
REPLY_CHANNEL = {
    Channel.EMAIL: Channel.EMAIL,
    Channel.WEB: Channel.EMAIL,
    Channel.PHONE: Channel.EMAIL,
    Channel.TELEGRAM: Channel.TELEGRAM,
    Channel.VIBER: Channel.VIBER,
}
CHANNEL_NAMES = dict(Channel.choices)


def backoff(attempt: int) -> int:
    return min(FIRST_BACKOFF_SECONDS * 2 ** max(attempt - 1, 0), MAX_BACKOFF_SECONDS)


class OutboxRouter:
    """Fills `tickets.hooks`: how a reply reaches the customer, and the outbox row."""

    def route(self, ticket: Ticket) -> Route:
        channel = REPLY_CHANNEL[ticket.channel]
        sender = adapters.sender(channel)
        if sender is None:
            raise ApplicationError(
                _(
                    "%(channel)s is not connected, so replies cannot be sent there. "
                    "An admin can connect it in the channel settings."
                )
                % {"channel": CHANNEL_NAMES[channel]},
                extra={"channel": channel},
            )
        identity = (
            CustomerIdentity.objects.filter(
                customer_id=ticket.customer_id, kind=sender.identity_kind, is_reachable=True
            )
            .order_by("id")
            .first()
        )
        if identity is None:
            raise ApplicationError(
                _(
                    "The customer has no %(channel)s address to reply to. "
                    "Add one on the customer's page, or reach them another way."
                )
                % {"channel": CHANNEL_NAMES[channel].lower()},
                extra={"channel": channel},
            )
        return Route(channel=channel, identity=identity)

    def enqueue(self, message: Message, route: Route) -> None:
        from channels_inbound.tasks import deliver

        delivery = OutboundDelivery.objects.create(
            message=message, channel=route.channel, address=route.identity.value
        )
        delivery.message = message
        adapters.sender(route.channel).prepare(delivery)
        enqueue_on_commit(deliver, delivery.pk)


def _claim(delivery_id: int, now: datetime) -> bool:
    return bool(
        OutboundDelivery.objects.filter(
            pk=delivery_id,
            status__in=[OutboundDelivery.Status.QUEUED, OutboundDelivery.Status.RETRY],
            next_attempt_at__lte=now,
        ).update(
            status=OutboundDelivery.Status.SENDING,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )


def deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Try to send one delivery. Returns its status afterwards. No transaction is held while
    the provider is called."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return (
            OutboundDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
            or "missing"
        )
    delivery = (
        OutboundDelivery.objects.select_related("message__ticket__customer", "message__author_user")
        .defer("message__ticket__search_vector")
        .get(pk=delivery_id)
    )
    sender = adapters.sender(delivery.channel)
    try:
        if sender is None:
            raise PermanentDeliveryError(f"{delivery.channel} is no longer connected.")
        result = sender.send(delivery)
    except TemporaryDeliveryError as error:
        return _retry_or_fail(delivery, str(error), now)
    except PermanentDeliveryError as error:
        return _fail(delivery, str(error), now)
    except Exception as error:
        # An adapter bug must not leave the delivery "sending" forever; it is retried.
        logger.exception("delivery %s crashed", delivery_id)
        return _retry_or_fail(delivery, f"Unexpected error: {error}", now)
    with transaction.atomic():
        OutboundDelivery.objects.filter(pk=delivery.pk).update(
            status=OutboundDelivery.Status.SENT,
            provider_message_id=result.provider_message_id[:500],
            sent_at=timezone.now(),
            updated_at=timezone.now(),
            last_error="",
        )
        message_set_delivery_status(message_id=delivery.message_id, status=DeliveryStatus.SENT)
    return OutboundDelivery.Status.SENT


def _retry_or_fail(delivery: OutboundDelivery, error: str, now: datetime) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        return _fail(delivery, f"Gave up after {delivery.attempts} attempts. {error}", now)
    wait = backoff(delivery.attempts)
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=OutboundDelivery.Status.RETRY,
        next_attempt_at=now + timedelta(seconds=wait),
        last_error=error[:2000],
        updated_at=now,
    )
    from channels_inbound.tasks import deliver as deliver_task

    deliver_task.apply_async((delivery.pk,), countdown=wait)
    return OutboundDelivery.Status.RETRY


def _fail(delivery: OutboundDelivery, error: str, now: datetime) -> str:
    with transaction.atomic():
        OutboundDelivery.objects.filter(pk=delivery.pk).update(
            status=OutboundDelivery.Status.FAILED, last_error=error[:2000], updated_at=now
        )
        message_set_delivery_status(
            message_id=delivery.message_id, status=DeliveryStatus.FAILED, error=error
        )
    return OutboundDelivery.Status.FAILED


def sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    """Re-queue deliveries whose task was lost (broker restart, worker killed)."""
    from channels_inbound.tasks import deliver as deliver_task

    now = now or timezone.now()
    # Rescued deliveries are due at once; the others get 30 s of grace, so a sweep never
    # races the task that was enqueued for them a moment ago.
    due_before = now - timedelta(seconds=30)
    OutboundDelivery.objects.filter(
        status=OutboundDelivery.Status.SENDING, updated_at__lt=now - STALE_SENDING
    ).update(status=OutboundDelivery.Status.RETRY, next_attempt_at=due_before, updated_at=now)
    due = list(
        OutboundDelivery.objects.filter(
            status__in=[OutboundDelivery.Status.QUEUED, OutboundDelivery.Status.RETRY],
            next_attempt_at__lte=due_before,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    for delivery_id in due:
        deliver_task.delay(delivery_id)
    return len(due)
