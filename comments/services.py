"""Internal comments, @mentions, notifications, and handing a ticket back in one step."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.selectors import users_by_handles
from comments import realtime as comment_realtime
from comments.models import InternalComment, Mention, Notification
from comments.tasks import send_notification_email
from helpdesk.errors import ApplicationError
from helpdesk.queue import enqueue_on_commit
from tickets import events, permissions
from tickets.models import EventKind, Ticket, TicketParticipant
from tickets.permissions import Action
from tickets.services import ticket_hand_back
from tickets.services.common import lock_ticket
from tickets.services.participants import involve

if TYPE_CHECKING:
    from accounts.models import User

MENTION_RE = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]*[a-z0-9]|[a-z0-9])", re.IGNORECASE)
MAX_COMMENT_CHARS = 20_000


def mentioned_handles(text: str) -> set[str]:
    return {m.lower() for m in MENTION_RE.findall(text)}


def notify(
    *,
    users: Iterable[User],
    kind: str,
    ticket: Ticket,
    actor: User | None,
    comment: InternalComment | None = None,
    text: str = "",
) -> list[Notification]:
    """In-app notifications, then an email each after commit (never to the actor)."""
    notifications = Notification.objects.bulk_create(
        Notification(user=u, kind=kind, ticket=ticket, actor=actor, comment=comment, text=text)
        for u in users
        if actor is None or u.pk != actor.pk
    )
    for notification in notifications:
        enqueue_on_commit(send_notification_email, notification.pk)
        comment_realtime.notification_created(notification)
    return notifications


@transaction.atomic
def comment_create(*, ticket: Ticket, by: User, text: str) -> InternalComment:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Write something in the comment."))
    if len(text) > MAX_COMMENT_CHARS:
        raise ApplicationError(
            ngettext(
                "A comment can be at most %(n)s character long.",
                "A comment can be at most %(n)s characters long.",
                MAX_COMMENT_CHARS,
            )
            % {"n": MAX_COMMENT_CHARS}
        )
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.COMMENT, ticket)

    comment = InternalComment.objects.create(ticket=ticket, author=by, text=text)
    mentioned = [u for u in users_by_handles(mentioned_handles(text)) if u.pk != by.pk]
    Mention.objects.bulk_create(Mention(comment=comment, user=u) for u in mentioned)
    involve(ticket=ticket, user=by, reason=TicketParticipant.Reason.COMMENTED)
    for user in mentioned:
        # Being mentioned is being asked in: internal staff can now read this ticket.
        involve(ticket=ticket, user=user, reason=TicketParticipant.Reason.MENTIONED)
    events.record(
        ticket,
        kind=EventKind.COMMENTED,
        by=by,
        new={"comment_id": comment.pk, "mentions": [u.pk for u in mentioned]},
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    notify(
        users=mentioned,
        kind=Notification.Kind.MENTION,
        ticket=ticket,
        actor=by,
        comment=comment,
        text=text[:500],
    )
    comment_realtime.comment_created(comment, ticket, mentioned_ids=[u.pk for u in mentioned])
    return comment


@transaction.atomic
def comment_and_hand_back(*, ticket: Ticket, by: User, text: str) -> InternalComment:
    """Internal staff answer the question they were handed and give the ticket back, in one
    step: both happen or neither."""
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.HAND_BACK, ticket)
    comment = comment_create(ticket=ticket, by=by, text=text)
    ticket_hand_back(ticket=ticket, by=by)  # the answer is the comment just above
    return comment


@transaction.atomic
def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_open(*, user: User, notification_id: int) -> Notification | None:
    """The person opens one of their notifications: it, and whatever else told them about
    the same ticket, is read. None if it is not theirs."""
    notification = (
        Notification.objects.filter(pk=notification_id, user=user).select_related("ticket").first()
    )
    if notification is not None:
        Notification.objects.filter(
            user=user, ticket_id=notification.ticket_id, read_at__isnull=True
        ).update(read_at=timezone.now())
    return notification


def comments_move(*, source_ticket_id: int, into: Ticket) -> None:
    InternalComment.objects.filter(ticket_id=source_ticket_id).update(ticket=into)
    Notification.objects.filter(ticket_id=source_ticket_id).update(ticket=into)
