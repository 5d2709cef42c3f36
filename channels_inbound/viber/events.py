"""What Viber's non-message callbacks change: the delivery state of our messages (delivered,
seen, failed) and whether a customer can be written to (subscribed, unsubscribed).

Each runs in its inbox event's transaction and returns the note kept on the event. Receipts
come in any order and more than once: a state only moves forward (seen is never turned back
into delivered)."""

from __future__ import annotations

from channels_inbound.models import OutboundDelivery
from tickets.models import CustomerIdentity, DeliveryStatus, IdentityKind
from tickets.services import message_set_delivery_status
from tickets.services.customers import customer_find_or_create

RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.SEEN: 3,
}
RECEIPT_STATUS = {
    "delivered": DeliveryStatus.DELIVERED,
    "seen": DeliveryStatus.SEEN,
    "failed": DeliveryStatus.FAILED,
}


def receipt(*, event: str, token: str, reason: str = "") -> str:
    delivery = (
        OutboundDelivery.objects.select_related("message")
        .filter(channel="viber", provider_message_id=token)
        .first()
    )
    if delivery is None:
        return f"Receipt '{event}' for a message that is not ours (token {token})."
    message = delivery.message
    status = RECEIPT_STATUS[event]
    if status == DeliveryStatus.FAILED:
        if message.delivery_status in (DeliveryStatus.DELIVERED, DeliveryStatus.SEEN):
            return f"Receipt 'failed' after '{message.delivery_status}': kept."
        error = f"Viber could not deliver it: {reason}" if reason else "Viber could not deliver it."
        OutboundDelivery.objects.filter(pk=delivery.pk).update(
            status=OutboundDelivery.Status.FAILED, last_error=error
        )
        message_set_delivery_status(message_id=message.pk, status=status, error=error)
        return f"Message {message.pk} failed: {reason}"
    if RANK.get(message.delivery_status, -1) >= RANK[status] or (
        message.delivery_status == DeliveryStatus.FAILED
    ):
        return f"Receipt '{event}' for message {message.pk}: already {message.delivery_status}."
    message_set_delivery_status(message_id=message.pk, status=status)
    return f"Message {message.pk} is {status}."


def subscribed(*, user_id: str, name: str, language: str) -> str:
    customer, identity, created = customer_find_or_create(
        kind=IdentityKind.VIBER, value=user_id, name=name, language=language, display=name
    )
    if not identity.is_reachable:
        CustomerIdentity.objects.filter(pk=identity.pk).update(is_reachable=True)
    return f"Customer {customer.pk} subscribed{' (new customer)' if created else ''}."


def unsubscribed(*, user_id: str) -> str:
    count = CustomerIdentity.objects.filter(kind=IdentityKind.VIBER, value=user_id).update(
        is_reachable=False
    )
    if not count:
        return "Unsubscribed: not a customer of ours."
    return "The customer unsubscribed: replies to them cannot be delivered."
