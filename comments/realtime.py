from __future__ import annotations

from helpdesk.realtime import RealtimeEvent, publish_on_commit
from tickets.realtime import ticket_summary


def comment_created(comment, ticket, *, mentioned_ids: list[int]) -> None:
    publish_on_commit(
        RealtimeEvent(
            "comment.created",
            ticket.pk,
            {"ticket": ticket_summary(ticket), "comment": {"id": comment.pk}},
            internal=True,
            user_ids=tuple(mentioned_ids),
        )
    )


def notification_created(notification) -> None:
    publish_on_commit(
        RealtimeEvent(
            "notification.created",
            None,
            {
                "notification": {
                    "id": notification.pk,
                    "kind": notification.kind,
                    "ticket_id": notification.ticket_id,
                }
            },
            user_ids=(notification.user_id,),
            to_agents=False,
        )
    )
