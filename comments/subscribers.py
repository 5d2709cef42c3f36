"""How comments hears about ticket changes (through `tickets.hooks`, never imports back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch

from accounts.selectors import USER_REF_FIELDS, related
from comments.models import InternalComment, Mention, Notification
from comments.services import comments_move, notify
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


def comment_timeline(tickets: list[Ticket], user: User) -> list[TimelineItem]:
    comments = (
        InternalComment.objects.filter(ticket__in=tickets)
        .select_related("author")
        .only("id", "ticket_id", "text", "created_at", *related("author", USER_REF_FIELDS))
        .prefetch_related(
            Prefetch(
                "mentions",
                queryset=Mention.objects.select_related("user").only(
                    "id", "comment_id", *related("user", USER_REF_FIELDS)
                ),
            )
        )
        .order_by("created_at", "id")
    )
    return [TimelineItem("comment", c.created_at, c.pk, c) for c in comments]
