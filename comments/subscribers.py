"""How comments hears about ticket changes (through `tickets.hooks`, never imports back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from accounts.selectors import USER_REF_FIELDS, related
from comments.models import InternalComment, Mention, Notification
from comments.services import comments_move, notify
from helpdesk.prepared import PreparedQuery, prefetched
from tickets.hooks import TimelineItem
from tickets.models import EventKind

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket, TicketEvent

OWNER_EVENTS = {
    EventKind.ASSIGNED: Notification.Kind.ASSIGNED,
    EventKind.HANDED_OFF: Notification.Kind.HAND_OFF,
    EventKind.HANDED_BACK: Notification.Kind.HANDED_BACK,
}


def _new_owner_id(event: TicketEvent) -> int | None:
    new = event.new or {}
    owner = new.get("owner") if event.kind == EventKind.HANDED_OFF else new
    return owner.get("id") if isinstance(owner, dict) else None


def on_ticket_event(event: TicketEvent) -> None:
    if event.kind in OWNER_EVENTS:
        owner_id = _new_owner_id(event)
        if owner_id and owner_id != event.actor_id:
            from accounts.models import User

            notify(
                users=User.objects.filter(pk=owner_id, is_active=True),
                kind=OWNER_EVENTS[event.kind],
                ticket=event.ticket,
                actor=event.actor,
                text=event.note[:500],
            )
    elif event.kind == EventKind.MERGED_FROM:
        comments_move(source_ticket_id=event.old["id"], into=event.ticket)


def _comments(**where) -> QuerySet:
    return (
        InternalComment.objects.filter(**where)
        .select_related("author")
        .only("id", "ticket_id", "text", "created_at", *related("author", USER_REF_FIELDS))
        .order_by("created_at", "id")
    )


def _mentions(**where) -> QuerySet:
    return (
        Mention.objects.filter(**where)
        .select_related("user")
        .only("id", "comment_id", *related("user", USER_REF_FIELDS))
    )


_comments_of = PreparedQuery(lambda ticket_id: _comments(ticket_id=ticket_id), "ticket_id")
_mentions_of = PreparedQuery(
    lambda ticket_id: _mentions(comment__ticket_id=ticket_id).order_by("id"), "ticket_id"
)


def comment_timeline(tickets: list[Ticket], user: User) -> list[TimelineItem]:
    if len(tickets) == 1:  # a ticket's page: two prepared queries
        comments = _comments_of(ticket_id=tickets[0].pk)
        mentions: dict[int, list[Mention]] = {}
        for mention in _mentions_of(ticket_id=tickets[0].pk) if comments else ():
            mentions.setdefault(mention.comment_id, []).append(mention)
        for comment in comments:
            prefetched(comment, "mentions", mentions.get(comment.pk, []))
    else:
        comments = _comments(ticket__in=tickets).prefetch_related(
            Prefetch("mentions", queryset=_mentions())
        )
    return [TimelineItem("comment", c.created_at, c.pk, c) for c in comments]
