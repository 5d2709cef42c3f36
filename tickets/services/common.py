"""Small pieces every ticket service shares: locking, status moves, bookkeeping."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from helpdesk.errors import ApplicationError, NotFound
from tickets import events
from tickets.models import EventKind, Status, Ticket
from tickets.models.tickets import TRANSITIONS

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Customer


def lock_ticket(ticket: Ticket | int) -> Ticket:
    """Re-read the ticket with a row lock: concurrent changes to one ticket run in turn."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    try:
        return Ticket.objects.select_for_update().defer("search_vector").get(pk=pk)
    except Ticket.DoesNotExist:
        raise NotFound(_("This ticket does not exist.")) from None


def status_label(status: str) -> str:
    return str(Status(status).label)


def check_transition(ticket: Ticket, new_status: str) -> None:
    if new_status not in Status.values:
        raise ApplicationError(
            _('Unknown status "%(status)s"; use one of %(allowed)s.')
            % {"status": new_status, "allowed": ", ".join(Status.values)},
            extra={"allowed": sorted(TRANSITIONS[ticket.status])},
        )
    if new_status == ticket.status:
        raise ApplicationError(
            _("The ticket is already %(status)s.") % {"status": status_label(new_status).lower()}
        )
    allowed = TRANSITIONS[ticket.status]
    if new_status not in allowed:
        hint = (
            _("A closed ticket is final; the customer's next message opens a follow-up.")
            if ticket.status == Status.CLOSED
            else _("Allowed next: %(allowed)s.") % {"allowed": ", ".join(sorted(allowed))}
        )
        refusal = _('A ticket cannot go from "%(old)s" to "%(new)s".') % {
            "old": ticket.status,
            "new": new_status,
        }
        raise ApplicationError(
            f"{refusal} {hint}",
            extra={"from": ticket.status, "to": new_status, "allowed": sorted(allowed)},
        )


def move_status(
    ticket: Ticket,
    new_status: str,
    *,
    now: datetime,
    by: User | None = None,
    by_customer: Customer | None = None,
    kind: EventKind = EventKind.STATUS_CHANGED,
) -> list[str]:
    """Validate and apply a status change, log it; return the fields the caller must save."""
    check_transition(ticket, new_status)
    old = ticket.status
    ticket.status = new_status
    fields = ["status"]
    if new_status == Status.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
    elif new_status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    events.record(ticket, kind=kind, by=by, by_customer=by_customer, old=old, new=new_status)
    return fields
