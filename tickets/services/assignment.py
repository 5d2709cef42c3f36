"""One owner at a time: assigning, handing off with a note, handing back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.errors import ApplicationError
from tickets import events, permissions
from tickets import realtime as ticket_realtime
from tickets.events import group_ref, user_ref
from tickets.models import EventKind, Status, Ticket, TicketParticipant
from tickets.permissions import Action
from tickets.services.common import lock_ticket
from tickets.services.participants import involve

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Group


def _check_owner(user: User) -> None:
    if not user.is_active:
        raise ApplicationError(
            _("%(user)s is deactivated and cannot own tickets.") % {"user": user}
        )


def _open_if_new(ticket: Ticket, by: User, now) -> list[str]:
    """A new ticket that someone takes is being worked on: it becomes open."""
    if ticket.status != Status.NEW or ticket.assignee_id is None:
        return []
    ticket.status = Status.OPEN
    events.record(ticket, kind=EventKind.STATUS_CHANGED, by=by, old=Status.NEW, new=Status.OPEN)
    return ["status"]


@transaction.atomic
def ticket_assign(*, ticket: Ticket, owner: User | None, by: User) -> Ticket:
    """Give the ticket to an agent (or back to its group's queue with `owner=None`)."""
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.ASSIGN, ticket)
    if owner is not None:
        _check_owner(owner)
        if owner.is_internal:
            raise ApplicationError(
                _(
                    "%(user)s is internal staff: hand the ticket off to them with a question, "
                    "and they will hand it back."
                )
                % {"user": owner}
            )
    if owner is not None and owner.pk == ticket.assignee_id:
        return ticket
    old_owner = ticket.assignee
    now = timezone.now()
    ticket.assignee = owner
    ticket.hand_back_to = None
    ticket.updated_at = now
    events.record(
        ticket, kind=EventKind.ASSIGNED, by=by, old=user_ref(old_owner), new=user_ref(owner)
    )
    fields = _open_if_new(ticket, by, now)
    ticket.save(update_fields=["assignee", "hand_back_to", "updated_at", *fields])
    if owner is not None:
        involve(ticket=ticket, user=owner, reason=TicketParticipant.Reason.OWNER)
    ticket_realtime.ticket_updated(
        ticket, changed=["assignee", *fields], notify=(old_owner.pk if old_owner else 0,)
    )
    return ticket


@transaction.atomic
def ticket_hand_off(
    *,
    ticket: Ticket,
    by: User,
    note: str,
    to_user: User | None = None,
    to_group: Group | None = None,
) -> Ticket:
    """Pass the ticket on with a note the next person reads first.

    To internal staff it is a question: they become the owner until they hand it back to
    whoever asked. To a group alone it goes to that group's queue, unassigned.
    """
    note = (note or "").strip()
    if to_user is None and to_group is None:
        raise ApplicationError(_("Choose a person or a group to hand the ticket to."))
    if not note:
        raise ApplicationError(
            _("Add a note for the next person: what is done and what you need from them.")
        )
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.HAND_OFF, ticket)
    if to_user is not None:
        _check_owner(to_user)
    if to_group is not None and not to_group.is_active:
        raise ApplicationError(_("The group %(group)s is archived.") % {"group": to_group})
    same_user = to_user is None or to_user.pk == ticket.assignee_id
    same_group = to_group is None or to_group.pk == ticket.group_id
    if same_user and same_group and to_user is not None:
        raise ApplicationError(_("The ticket is already %(user)s's.") % {"user": to_user})

    old = {"owner": user_ref(ticket.assignee), "group": group_ref(ticket.group)}
    previous_owner_id = ticket.assignee_id
    if to_group is not None:
        ticket.group = to_group
    if to_user is not None:
        ticket.assignee = to_user
        ticket.hand_back_to = by if to_user.is_internal else None
    else:
        ticket.assignee = None
        ticket.hand_back_to = None
    now = timezone.now()
    ticket.updated_at = now
    events.record(
        ticket,
        kind=EventKind.HANDED_OFF,
        by=by,
        old=old,
        new={"owner": user_ref(ticket.assignee), "group": group_ref(ticket.group)},
        note=note,
    )
    fields = _open_if_new(ticket, by, now)
    ticket.save(update_fields=["assignee", "group", "hand_back_to", "updated_at", *fields])
    if to_user is not None:
        involve(ticket=ticket, user=to_user, reason=TicketParticipant.Reason.HANDED_TO)
    ticket_realtime.ticket_updated(
        ticket, changed=["assignee", "group"], notify=(previous_owner_id or 0,)
    )
    return ticket


@transaction.atomic
def ticket_hand_back(*, ticket: Ticket, by: User, note: str = "") -> Ticket:
    """Return a ticket to whoever handed it over with a question."""
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.HAND_BACK, ticket)
    back_to = ticket.hand_back_to
    if back_to is not None and not back_to.is_active:
        back_to = None  # they left: the ticket waits in its group's queue
    old_owner = ticket.assignee
    ticket.assignee = back_to
    ticket.hand_back_to = None
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["assignee", "hand_back_to", "updated_at"])
    events.record(
        ticket,
        kind=EventKind.HANDED_BACK,
        by=by,
        old=user_ref(old_owner),
        new=user_ref(back_to),
        note=note,
    )
    ticket_realtime.ticket_updated(
        ticket, changed=["assignee"], notify=(old_owner.pk if old_owner else 0,)
    )
    return ticket
