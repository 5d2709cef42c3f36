from __future__ import annotations

from typing import TYPE_CHECKING

from tickets.models import TicketParticipant

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket


def involve(*, ticket: Ticket, user: User, reason: str) -> None:
    """Remember that a colleague took part in a ticket. Idempotent and race-free (ON CONFLICT
    DO NOTHING): the first reason wins, which is all visibility needs."""
    TicketParticipant.objects.bulk_create(
        [TicketParticipant(ticket=ticket, user=user, reason=reason)], ignore_conflicts=True
    )
