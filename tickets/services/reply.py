"""Replying to the customer through the ticket's channel, via the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.errors import ApplicationError
from helpdesk.realtime import publish_many_on_commit
from tickets import events, hooks, permissions, search
from tickets import realtime as ticket_realtime
from tickets.events import user_ref
from tickets.models import DeliveryStatus, Direction, EventKind, Message, Status, Ticket
from tickets.permissions import Action
from tickets.sanitize import html_to_text, sanitize_html, text_to_html
from tickets.services import attachments as attachment_service
from tickets.services.common import check_transition, lock_ticket, move_status

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.services.attachments import NewAttachment


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    by: User,
    text: str = "",
    html: str = "",
    attachments: Sequence[NewAttachment] = (),
    status: str | None = None,
) -> Message:
    """Write a public reply and queue it for delivery, in one transaction.

    The outbox row commits with the message, so a reply is never lost between the database
    and the channel; the delivery task sends it after commit. `status` is "send and set".
    """
    clean_html = sanitize_html(html)
    text = (text or "").strip() or html_to_text(clean_html)
    if not text and not attachments:
        raise ApplicationError(_("Write a reply or attach a file."))
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.REPLY, ticket)
    if ticket.merged_into_id is not None:
        raise ApplicationError(
            _(
                "This ticket was merged into another one; "
                "reply there so the customer gets one thread."
            )
        )
    if ticket.status == Status.CLOSED:
        raise ApplicationError(
            _("This ticket is closed. Open a new ticket for the customer to write to them again.")
        )
    after_reply = Status.OPEN if ticket.status == Status.NEW else ticket.status
    if status is not None and status != after_reply:
        check_transition(Ticket(status=after_reply), status)  # refuse before writing anything
    attachment_service.check_sizes(attachments)
    router = hooks.outbound_router()
    route = router.route(ticket)  # refuses, with what to do, when the customer is unreachable

    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.OUT,
        channel=route.channel,
        author_user=by,
        text=text,
        html=clean_html or text_to_html(text),
        delivery_status=DeliveryStatus.QUEUED,
        created_at=now,
    )
    attachment_service.store(message=message, attachments=attachments)
    router.enqueue(message, route)

    fields = ["updated_at"]
    ticket.updated_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        fields.append("first_response_at")
    events.record(
        ticket,
        kind=EventKind.REPLIED,
        by=by,
        new={"message_id": message.pk, "channel": route.channel},
    )
    if ticket.assignee_id is None:
        # Whoever answers an unowned ticket owns it: one owner, and nobody answers twice.
        ticket.assignee = by
        fields.append("assignee")
        events.record(ticket, kind=EventKind.ASSIGNED, by=by, old=None, new=user_ref(by))
    if ticket.status == Status.NEW:
        fields += move_status(ticket, Status.OPEN, now=now, by=by)
    if status is not None and status != ticket.status:
        fields += move_status(ticket, status, now=now, by=by)
    ticket.save(update_fields=sorted(set(fields)))
    search.append_to_search_vector(ticket.pk, [text])
    ticket_realtime.message_created(message, ticket)
    ticket_realtime.ticket_updated(ticket, changed=fields)
    return message


@transaction.atomic
def message_set_delivery_status(*, message_id: int, status: str, error: str = "") -> Message:
    """Record what the channel said about a reply; a failure lands on the ticket's timeline
    where the agent sees it, with the provider's answer."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .defer("ticket__search_vector")
        .get(pk=message_id)
    )
    if message.delivery_status == status and message.delivery_error == error:
        return message
    message.delivery_status = status
    message.delivery_error = error[:2000]
    message.save(update_fields=["delivery_status", "delivery_error"])
    ticket = message.ticket
    if status == DeliveryStatus.FAILED:
        events.record(
            ticket,
            kind=EventKind.DELIVERY_FAILED,
            new={"message_id": message.pk, "channel": message.channel},
            note=message.delivery_error,
        )
    ticket_realtime.message_updated(message, ticket)
    return message


@transaction.atomic
def messages_set_delivery_status(*, messages: list[Message], status: str) -> None:
    """`message_set_delivery_status` for many messages reaching a status that needs no event
    on the timeline (sent, delivered, seen): one UPDATE, and the agents told of each."""
    if status == DeliveryStatus.FAILED:
        raise ValueError("A failure is recorded one message at a time, with its reason.")
    changed = set(
        Message.objects.filter(pk__in=[m.pk for m in messages])
        .exclude(delivery_status=status, delivery_error="")
        .values_list("pk", flat=True)
        .select_for_update()
    )
    Message.objects.filter(pk__in=changed).update(delivery_status=status, delivery_error="")
    updated = []
    for message in messages:
        if message.pk in changed:
            message.delivery_status, message.delivery_error = status, ""
            updated.append(ticket_realtime.message_updated_event(message, message.ticket))
    publish_many_on_commit(updated)


@transaction.atomic
def ticket_auto_reply(*, ticket: Ticket, text: str) -> Message:
    """A message the desk sends by itself (the acknowledgement of a new ticket): through the
    ticket's channel and the outbox like a reply, shown as automatic, and not an agent's first
    response."""
    ticket = lock_ticket(ticket)
    router = hooks.outbound_router()
    route = router.route(ticket)
    message = auto_reply_message(ticket=ticket, route=route, text=text)
    message.save(force_insert=True)
    router.enqueue(message, route)
    events.record(ticket, kind=EventKind.ACKNOWLEDGED, new=auto_reply_event_values(message))
    ticket_realtime.message_created(message, ticket)
    return message


def auto_reply_message(*, ticket: Ticket, route: hooks.Route, text: str) -> Message:
    """The desk's automatic message to the customer, not saved yet."""
    message = Message(
        ticket=ticket,
        direction=Direction.OUT,
        channel=route.channel,
        delivery_status=DeliveryStatus.QUEUED,
        is_auto_generated=True,
        created_at=timezone.now(),
    )
    set_auto_reply_text(message, text)
    return message


def set_auto_reply_text(message: Message, text: str) -> None:
    message.text = text
    message.html = text_to_html(text)


def auto_reply_event_values(message: Message) -> dict:
    """What the `acknowledged` event records of the automatic message."""
    return {"message_id": message.pk, "channel": message.channel}


def messages_failed_by_report(*, external_ids: tuple[str, ...], reason: str) -> int:
    """A bounce (or a messenger's failure report) names messages we sent: mark them failed,
    with the report's reason, where the agent sees it. Returns how many were ours."""
    ours = list(
        Message.objects.filter(direction=Direction.OUT, external_id__in=external_ids)
        .exclude(external_id="")
        .values_list("pk", flat=True)
    )
    for message_id in ours:
        message_set_delivery_status(
            message_id=message_id, status=DeliveryStatus.FAILED, error=reason[:2000]
        )
    return len(ours)
