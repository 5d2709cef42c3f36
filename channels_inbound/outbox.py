"""The outbox: replies are written with their delivery row and sent after commit.

Delivery is claimed with a conditional UPDATE, so a task delivered twice (or run by two
workers) sends once. Temporary failures wait with exponential backoff; permanent ones, or
too many temporary ones, mark the delivery and its message failed with the provider's
answer, which the agent sees on the ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_inbound import adapters
from channels_inbound.adapters.base import (
    PermanentDeliveryError,
    ProviderResult,
    TemporaryDeliveryError,
)
from channels_inbound.models import OutboundDelivery
from helpdesk.bulk_insert import insert_rows
from helpdesk.errors import ApplicationError
from helpdesk.queue import enqueue_on_commit
from tickets.hooks import Route
from tickets.models import Channel, CustomerIdentity, DeliveryStatus, Message, Ticket
from tickets.services import message_set_delivery_status, messages_set_delivery_status

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600
# A delivery left "sending" this long belonged to a worker that died mid-send.
STALE_SENDING = timedelta(minutes=10)
# `deliver_many` claims, sends and marks this many deliveries at a time.
DELIVERY_CHUNK = 20

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
        route = self.route_many([ticket])[0]
        if isinstance(route, ApplicationError):
            raise route
        return route

    def route_many(self, tickets: Sequence[Ticket]) -> list[Route | ApplicationError]:
        """Each ticket's route, or the refusal that says what to do: the first reachable
        identity (oldest first) of its customer on the channel replies go through."""
        channels = [REPLY_CHANNEL[ticket.channel] for ticket in tickets]
        senders = {channel: adapters.sender(channel) for channel in set(channels)}
        kinds = {sender.identity_kind for sender in senders.values() if sender is not None}
        first: dict[tuple[int, str], CustomerIdentity] = {}
        unreachable: set[tuple[int, str]] = set()
        if kinds:
            identities = CustomerIdentity.objects.filter(
                customer_id__in={ticket.customer_id for ticket in tickets}, kind__in=kinds
            ).order_by("id")
            for identity in identities:
                key = (identity.customer_id, identity.kind)
                if identity.is_reachable:
                    first.setdefault(key, identity)
                else:
                    unreachable.add(key)
        routes: list[Route | ApplicationError] = []
        for ticket, channel in zip(tickets, channels, strict=True):
            sender = senders[channel]
            identity = sender and first.get((ticket.customer_id, sender.identity_kind))
            if sender is None:
                routes.append(ApplicationError(
                    _("Replies to %(channel)s are not connected yet, so a reply cannot "
                      "be sent from here. "
                      "Reach the customer another way (an email address or phone number "
                      "on their page), or leave an internal comment for a colleague.")
                    % {"channel": CHANNEL_NAMES[channel]},
                    extra={"channel": channel},
                ))  # fmt: skip
            elif identity is None and (ticket.customer_id, sender.identity_kind) in unreachable:
                routes.append(ApplicationError(
                    _("The customer cannot be reached on %(channel)s now (they blocked the bot "
                      "or unsubscribed): a reply can go out again once they write. Reach them "
                      "another way (an email address or phone number on their page), or leave "
                      "an internal comment for a colleague.")
                    % {"channel": CHANNEL_NAMES[channel]},
                    extra={"channel": channel, "unreachable": True},
                ))  # fmt: skip
            elif identity is None:
                routes.append(ApplicationError(
                    _("The customer has no %(channel)s address to reply to. "
                      "Add one on the customer's page, or reach them another way.")
                    % {"channel": CHANNEL_NAMES[channel].lower()},
                    extra={"channel": channel},
                ))  # fmt: skip
            else:
                routes.append(Route(channel=channel, identity=identity))
        return routes

    def enqueue(self, message: Message, route: Route) -> None:
        from channels_inbound.tasks import deliver

        delivery = OutboundDelivery.objects.create(
            message=message, channel=route.channel, address=route.identity.value
        )
        delivery.message = message
        adapters.sender(route.channel).prepare(delivery)
        enqueue_on_commit(deliver, delivery.pk)

    def prepare_many(self, pairs: Sequence[tuple[Message, Route]]) -> list[OutboundDelivery]:
        deliveries = [
            OutboundDelivery(message=message, channel=route.channel, address=route.identity.value)
            for message, route in pairs
        ]
        for channel in {d.channel for d in deliveries}:
            adapters.sender(channel).prepare_many([d for d in deliveries if d.channel == channel])
        return deliveries

    def enqueue_many(self, prepared: Sequence[OutboundDelivery]) -> None:
        """The deliveries of a batch, sent by one task after commit."""
        from channels_inbound.tasks import deliver_many

        if prepared:
            insert_rows(prepared)
            enqueue_on_commit(deliver_many, [d.pk for d in prepared])


CLAIM = f"""
    UPDATE {OutboundDelivery._meta.db_table}
    SET status = %s, attempts = attempts + 1, updated_at = %s
    WHERE id = ANY(%s) AND status = ANY(%s) AND next_attempt_at <= %s
    RETURNING id
"""  # noqa: S608 - the table name is ours, values are parameters


def _claim(delivery_ids: list[int], now: datetime) -> list[int]:
    """Take the deliveries that are due and not taken: a conditional UPDATE, so a delivery
    run twice, or by two workers, is sent once."""
    waiting = [OutboundDelivery.Status.QUEUED, OutboundDelivery.Status.RETRY]
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM, [OutboundDelivery.Status.SENDING, now, list(delivery_ids), waiting, now]
        )
        return [pk for (pk,) in cursor.fetchall()]


def deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Try to send one delivery. Returns its status afterwards. No transaction is held while
    the provider is called."""
    now = now or timezone.now()
    statuses = _deliver(_claim([delivery_id], now), now)
    return statuses.get(delivery_id) or (
        OutboundDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        or "missing"
    )


def deliver_many(*, delivery_ids: list[int], now: datetime | None = None) -> int:
    """Deliver many outbox rows (the acknowledgements of a batch of new tickets), each with
    the outcome `deliver` would give it, reading and writing them together, a chunk at a
    time: a worker killed mid-way leaves at most one chunk sent but not marked (the sweep
    sends those again), and no more claimed and waiting. Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for start in range(0, len(delivery_ids), DELIVERY_CHUNK):
        statuses = _deliver(_claim(delivery_ids[start : start + DELIVERY_CHUNK], now), now)
        sent += sum(status == OutboundDelivery.Status.SENT for status in statuses.values())
    return sent


def _deliver(delivery_ids: list[int], now: datetime) -> dict[int, str]:
    if not delivery_ids:
        return {}
    deliveries = list(
        OutboundDelivery.objects.select_related("message__ticket__customer", "message__author_user")
        .defer("message__ticket__search_vector")
        .filter(pk__in=delivery_ids)
        .order_by("pk")
    )
    statuses, sent = {}, []
    for channel in dict.fromkeys(d.channel for d in deliveries):
        batch = [d for d in deliveries if d.channel == channel]
        for delivery, result in zip(batch, _send(channel, batch), strict=True):
            if isinstance(result, ProviderResult):
                sent.append((delivery, result))
                statuses[delivery.pk] = OutboundDelivery.Status.SENT
            elif isinstance(result, TemporaryDeliveryError):
                wait = getattr(result, "retry_after", None)  # a provider's rate limit
                statuses[delivery.pk] = _retry_or_fail(delivery, str(result), now, wait)
            elif isinstance(result, PermanentDeliveryError):
                statuses[delivery.pk] = _fail(delivery, str(result), now)
            else:
                # An adapter bug must not leave the delivery "sending" forever; it is retried.
                logger.error("delivery %s crashed", delivery.pk, exc_info=result)
                statuses[delivery.pk] = _retry_or_fail(delivery, f"Unexpected error: {result}", now)
    if sent:
        _sent(sent)
    return statuses


def _send(channel: str, deliveries: list[OutboundDelivery]) -> list[ProviderResult | Exception]:
    """Each delivery's provider answer, or the error that stopped it."""
    sender = adapters.sender(channel)
    if sender is None:
        return [PermanentDeliveryError(f"{channel} is no longer connected.")] * len(deliveries)
    send_many = getattr(sender, "send_many", None)
    if send_many is not None:
        try:
            return send_many(deliveries)
        except Exception as error:
            return [error] * len(deliveries)
    results: list[ProviderResult | Exception] = []
    for delivery in deliveries:
        try:
            results.append(sender.send(delivery))
        except Exception as error:
            results.append(error)
    return results


SENT = f"""
    UPDATE {OutboundDelivery._meta.db_table} AS d
    SET status = %s, provider_message_id = v.provider_message_id, sent_at = %s,
        updated_at = %s, last_error = ''
    FROM unnest(%s::bigint[], %s::text[]) AS v(id, provider_message_id)
    WHERE d.id = v.id
"""  # noqa: S608 - the table name is ours, values are parameters


def _sent(sent: list[tuple[OutboundDelivery, ProviderResult]]) -> None:
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SENT, [
            OutboundDelivery.Status.SENT, now, now,
            [delivery.pk for delivery, _ in sent],
            [result.provider_message_id[:500] for _, result in sent],
        ])  # fmt: skip
        messages_set_delivery_status(
            messages=[delivery.message for delivery, _ in sent], status=DeliveryStatus.SENT
        )


def _retry_or_fail(
    delivery: OutboundDelivery, error: str, now: datetime, wait: int | None = None
) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        return _fail(delivery, f"Gave up after {delivery.attempts} attempts. {error}", now)
    wait = int(wait) if wait else backoff(delivery.attempts)
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
