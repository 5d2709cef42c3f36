"""The one answer to "may this user do X (to this ticket)?".

Pages, the API, websocket consumers and services all ask here; nothing else decides.

The rules, in short (docs/permissions.md has the full matrix and the reasons):

* Admins may do everything.
* Agents see every ticket and may comment on any (principle 2: whoever picks up a customer
  sees the whole story). They *work* a ticket - reply, assign, hand off, change status,
  priority, tags, SLA, merge - when it sits in one of their groups, in no group, or is theirs.
* Internal staff see only tickets they are involved in (owner now or before, handed to,
  mentioned, commented). There they may read, comment and hand back; nothing that could
  reach a customer or change the ticket's course.
* Anonymous and inactive users may do nothing. Customers are never users.
* A ticket is looked up through `visible` (never found, then checked), so one the user may
  not see answers exactly as one that does not exist. Bulk actions and the full staff
  directory are for agents.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from helpdesk.errors import Forbidden
from tickets.models import Ticket, TicketParticipant

if TYPE_CHECKING:
    from accounts.models import User


class Action(StrEnum):
    VIEW = "view"
    VIEW_INTERNAL = "view_internal"  # read internal comments and the audit trail
    COMMENT = "comment"
    REPLY = "reply"
    ASSIGN = "assign"
    HAND_OFF = "hand_off"
    HAND_BACK = "hand_back"
    STATUS = "status"
    PRIORITY = "priority"
    TAGS = "tags"
    SLA = "sla"
    MERGE = "merge"
    # Not about one ticket:
    BULK = "bulk"
    CREATE_TICKET = "create_ticket"
    MANAGE_CUSTOMERS = "manage_customers"
    ADMIN = "admin"


# Actions that steer a ticket or speak to its customer: only those who work the ticket.
WORK_ACTIONS = frozenset(
    {
        Action.REPLY,
        Action.ASSIGN,
        Action.HAND_OFF,
        Action.STATUS,
        Action.PRIORITY,
        Action.TAGS,
        Action.SLA,
        Action.MERGE,
    }
)
READ_ACTIONS = frozenset({Action.VIEW, Action.VIEW_INTERNAL, Action.COMMENT})
TICKETLESS_ACTIONS = frozenset(
    {Action.BULK, Action.CREATE_TICKET, Action.MANAGE_CUSTOMERS, Action.ADMIN}
)

DENIED_MESSAGES = {
    Action.VIEW: _("You do not have access to this ticket."),
    Action.VIEW_INTERNAL: _("You do not have access to this ticket."),
    Action.COMMENT: _("You do not have access to this ticket."),
    Action.REPLY: _("Only agents of the ticket's group or its owner can reply to the customer."),
    Action.ASSIGN: _("Only agents of the ticket's group or its owner can assign it."),
    Action.HAND_OFF: _("Only agents of the ticket's group or its owner can hand it off."),
    Action.HAND_BACK: _("Only the person the ticket was handed to can hand it back."),
    Action.STATUS: _("Only agents of the ticket's group or its owner can change its status."),
    Action.PRIORITY: _("Only agents of the ticket's group or its owner can change its priority."),
    Action.TAGS: _("Only agents of the ticket's group or its owner can change its tags."),
    Action.SLA: _("Only agents of the ticket's group or its owner can change its SLA."),
    Action.MERGE: _("Only agents who work both tickets can merge them."),
    Action.BULK: _("Only agents can change tickets in bulk."),
    Action.CREATE_TICKET: _("Only agents can open tickets on a customer's behalf."),
    Action.MANAGE_CUSTOMERS: _("Only agents can change customers."),
    Action.ADMIN: _("Only admins can do this."),
}
INTERNAL_STAFF_HINT = _(
    "Internal staff can read the tickets they are involved in, leave internal comments "
    "and hand the ticket back."
)


def _active(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def support_group_ids(user: User) -> frozenset[int]:
    """The user's groups, read once per user object (requests build a fresh one)."""
    cached = getattr(user, "_support_group_ids", None)
    if cached is None:
        cached = frozenset(user.support_groups.values_list("id", flat=True))
        user._support_group_ids = cached
    return cached


def is_involved(user: User, ticket: Ticket) -> bool:
    """Owner now, or a participant row. Remembered on the user object for the request, so
    several checks on one ticket cost one query."""
    if ticket.assignee_id == user.id:
        return True
    cache = user.__dict__.setdefault("_involved_tickets", {})
    if ticket.pk not in cache:
        cache[ticket.pk] = TicketParticipant.objects.filter(
            ticket_id=ticket.pk, user_id=user.pk
        ).exists()
    return cache[ticket.pk]


def works_on(user: User, ticket: Ticket) -> bool:
    return (
        ticket.assignee_id == user.id
        or ticket.group_id is None
        or ticket.group_id in support_group_ids(user)
    )


def can(user: User | None, action: Action | str, ticket: Ticket | None = None) -> bool:
    action = Action(action)
    if not _active(user):
        return False
    if action in TICKETLESS_ACTIONS:
        if action == Action.ADMIN:
            return user.role == "admin"
        return user.is_agent
    if ticket is None:
        raise ValueError(f"{action} is about a ticket; pass the ticket.")

    if action == Action.HAND_BACK:
        return ticket.hand_back_to_id is not None and (
            ticket.assignee_id == user.id or user.role == "admin"
        )
    if user.role == "admin":
        return True
    if user.is_agent:
        if action in READ_ACTIONS:
            return True
        return works_on(user, ticket)
    if user.is_internal and action in READ_ACTIONS:
        return is_involved(user, ticket)
    return False


def require(user: User | None, action: Action | str, ticket: Ticket | None = None) -> None:
    if can(user, action, ticket):
        return
    action = Action(action)
    message = str(DENIED_MESSAGES[action])
    if _active(user) and user.is_internal and (action in WORK_ACTIONS or action == Action.BULK):
        message = f"{message} {INTERNAL_STAFF_HINT}"
    raise Forbidden(message, extra={"action": str(action)})


def sees_every_ticket(user: User | None) -> bool:
    """Agents and admins: their visible set is every ticket, so a lookup needs no filter."""
    return _active(user) and user.is_agent


def visible(user: User | None, rows: QuerySet, *, ticket: str = "pk") -> QuerySet:
    """Narrow a queryset to what the user may see, in SQL (one indexed EXISTS): tickets, or
    rows that belong to one (`ticket="message__ticket_id"` for attachments).

    Every number or id that comes in from outside is looked up through here, so a ticket the
    user may not see and one that does not exist give the same answer."""
    if not _active(user):
        return rows.none()
    if user.is_agent:
        return rows
    if user.is_internal:
        involved = TicketParticipant.objects.filter(ticket_id=OuterRef(ticket), user_id=user.pk)
        return rows.filter(Exists(involved))
    return rows.none()


def visible_tickets(user: User | None, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets of `tickets` the user may see."""
    return visible(user, tickets)


def visible_ticket(user: User | None, tickets: QuerySet[Ticket]) -> Ticket | None:
    """The first ticket of `tickets` the user may see, or None - whether it is not there or
    not theirs to see. What the lookup proved is remembered, so `can(user, "view", ticket)`
    costs no second query."""
    ticket = visible_tickets(user, tickets).first()
    if ticket is not None and not user.is_agent:
        user.__dict__.setdefault("_involved_tickets", {})[ticket.pk] = True
    return ticket


def can_see_customer_directory(user: User | None) -> bool:
    """The customer list and search are for agents. Internal staff meet customers only on the
    tickets they are involved in."""
    return _active(user) and user.is_agent


def sees_colleague_details(user: User | None) -> bool:
    """The whole staff directory (emails, everyone's group membership) is for agents, who
    assign, hand off and route. Internal staff see only what picks a colleague to @mention:
    name, handle, role and title (docs/permissions.md, "The staff directory")."""
    return _active(user) and user.is_agent
