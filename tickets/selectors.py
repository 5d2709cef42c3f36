"""Reads: each returns exactly what a page or endpoint shows, with the joins it needs, so the
caller cannot cause N+1 queries. Visibility comes from the permission module."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.selectors import USER_REF_FIELDS, related
from helpdesk.errors import ApplicationError, Forbidden, NotFound
from helpdesk.prepared import PreparedQuery, prefetched
from tickets import hooks, permissions, search
from tickets.hooks import TimelineItem
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    CannedResponse,
    Channel,
    Customer,
    CustomerIdentity,
    EventKind,
    Group,
    Message,
    Ticket,
    TicketEvent,
)
from tickets.permissions import Action
from tickets.sanitize import show_bidi

if TYPE_CHECKING:
    from accounts.models import User


# What a ticket row shows of the people and groups around it: reading only these columns
# (not passwords, login times, notes) makes a page of tickets cheaper to load and to build.
CUSTOMER_REF_FIELDS = ("id", "name")
GROUP_REF_FIELDS = ("id", "name", "tier")
ROW_RELATED_FIELDS = (
    *related("customer", CUSTOMER_REF_FIELDS),
    *related("assignee", USER_REF_FIELDS),
    *related("group", GROUP_REF_FIELDS),
)
TICKET_FIELDS = tuple(f.name for f in Ticket._meta.concrete_fields if f.name != "search_vector")


def tickets_for_display() -> QuerySet[Ticket]:
    """Tickets with what every list row shows; the search vector is never read back."""
    return Ticket.objects.select_related("customer", "assignee", "group").only(
        *TICKET_FIELDS, *ROW_RELATED_FIELDS
    )


@dataclass(frozen=True)
class TicketFilters:
    statuses: tuple[str, ...] = ()
    open_only: bool = False
    owner: str | int | None = None  # a user id, "me" or "none"
    group: str | int | None = None  # a group id or "none"
    channel: str | None = None
    priority: int | None = None
    customer: int | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    text: str = ""


def ticket_list(*, user: User, filters: TicketFilters) -> QuerySet[Ticket]:
    tickets = permissions.visible_tickets(user, tickets_for_display())
    if filters.statuses:
        tickets = tickets.filter(status__in=filters.statuses)
    elif filters.open_only:
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    if filters.owner == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.owner == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.owner is not None:
        tickets = tickets.filter(assignee_id=filters.owner)
    if filters.group == "none":
        tickets = tickets.filter(group__isnull=True)
    elif filters.group is not None:
        tickets = tickets.filter(group_id=filters.group)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.customer:
        tickets = tickets.filter(customer_id=filters.customer)
    if filters.tags:
        tickets = tickets.filter(tags__contains=list(filters.tags))
    if filters.text:
        tickets = search.filter_tickets(tickets, filters.text)
    return tickets


# hand_back_to, follow_up_of and merged_into are usually empty: a null foreign key costs
# nothing to read, and leaving them out of the join halves the planning of this query.
def _tickets_numbered(number: int) -> QuerySet[Ticket]:
    return (
        Ticket.objects.select_related("customer", "assignee", "group")
        .only(
            *TICKET_FIELDS,
            *related("customer", _own_fields(Customer)),
            *related("assignee", USER_REF_FIELDS),
            *related("group", GROUP_REF_FIELDS),
        )
        .filter(number=number)
    )


_ticket_by_number = PreparedQuery(lambda number: _tickets_numbered(number)[:1], "number")
BIGINT = range(-(2**63), 2**63)


def ticket_visible(*, user: User | None, number: int) -> Ticket | None:
    """The ticket numbered `number` if the user may see it, else None: one they may not see
    and one that is not there are the same None (docs/permissions.md)."""
    if number not in BIGINT:
        return None
    if permissions.sees_every_ticket(user):
        found = _ticket_by_number(number=number)  # the visible set is every ticket
        return found[0] if found else None
    return permissions.visible_ticket(user, _tickets_numbered(number))


def no_such_ticket(number: int) -> NotFound:
    return NotFound(_("There is no ticket #%(number)s that you can see.") % {"number": number})


def ticket_get(*, user: User, number: int, action: Action = Action.VIEW) -> Ticket:
    """A ticket the user may see (else 404, so numbers reveal nothing), and may act on."""
    ticket = ticket_visible(user=user, number=number)
    if ticket is None:
        raise no_such_ticket(number)
    permissions.require(user, action, ticket)
    return ticket


def ticket_merged_into(*, user: User, ticket: Ticket) -> Ticket | None:
    """The ticket `ticket` was merged into, if the user may see it (its number only)."""
    if ticket.merged_into_id is None:
        return None
    return permissions.visible_ticket(
        user, Ticket.objects.only("number").filter(pk=ticket.merged_into_id)
    )


def attachment_get(*, user: User, attachment_id: int) -> Attachment:
    """An attachment of a ticket the user may see, else 404 - the same 404 as no attachment."""
    attachment = (
        permissions.visible(user, Attachment.objects.all(), ticket="message__ticket_id")
        .filter(pk=attachment_id)
        .first()
        if attachment_id in BIGINT
        else None
    )
    if attachment is None:
        raise NotFound(_("There is no such attachment that you can see."))
    return attachment


ATTACHMENT_LISTED_FIELDS = ("id", "message_id", "name", "content_type", "size", "sha256",
                            "is_inline", "content_id")  # fmt: skip


def _own_fields(model) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields)


def messages_with_details() -> QuerySet[Message]:
    return Message.objects.select_related("author_user", "author_customer").only(
        *_own_fields(Message),
        *related("author_user", USER_REF_FIELDS),
        *related("author_customer", CUSTOMER_REF_FIELDS),
    )


_messages_of = PreparedQuery(
    lambda ticket_id: (
        messages_with_details().filter(ticket_id=ticket_id).order_by("created_at", "id")
    ),
    "ticket_id",
)
_attachments_of = PreparedQuery(
    lambda ticket_id: (
        Attachment.objects.only(*ATTACHMENT_LISTED_FIELDS)
        .filter(message__ticket_id=ticket_id)
        .order_by("id")
    ),
    "ticket_id",
)
_events_of = PreparedQuery(
    lambda ticket_id: (
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .select_related("actor", "actor_customer")
        .only(
            *_own_fields(TicketEvent),
            *related("actor", USER_REF_FIELDS),
            *related("actor_customer", CUSTOMER_REF_FIELDS),
        )
        .order_by("created_at", "id")
    ),
    "ticket_id",
)


def ticket_messages(ticket: Ticket) -> list[Message]:
    """The ticket's messages in order, each with its authors and its attachments (as
    `message.attachments.all()`, without another query): two prepared queries."""
    messages = _messages_of(ticket_id=ticket.pk)
    files: dict[int, list[Attachment]] = {}
    for attachment in _attachments_of(ticket_id=ticket.pk) if messages else ():
        files.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        prefetched(message, "attachments", files.get(message.pk, []))
    return messages


_identities_of = PreparedQuery(
    lambda customer_id: CustomerIdentity.objects.filter(customer_id=customer_id).order_by("id"),
    "customer_id",
)


def customer_identities(customer: Customer) -> list[CustomerIdentity]:
    """The customer's identities, oldest first; afterwards also `customer.identities.all()`."""
    identities = _identities_of(customer_id=customer.pk)
    prefetched(customer, "identities", identities)
    return identities


EARLIER_TICKETS = 10
_earlier_tickets = PreparedQuery(
    lambda customer_id, ticket_id: (
        Ticket.objects.filter(customer_id=customer_id)
        .exclude(pk=ticket_id)
        .order_by("-created_at")
        .only("number", "subject", "status", "channel")[:EARLIER_TICKETS]
    ),
    "customer_id",
    "ticket_id",
)


def earlier_tickets(ticket: Ticket) -> list[Ticket]:
    """The customer's ten latest other tickets, on any channel, for the customer panel."""
    return _earlier_tickets(customer_id=ticket.customer_id, ticket_id=ticket.pk)


_canned_for = PreparedQuery(
    lambda user_id: CannedResponse.objects.filter(Q(owner__isnull=True) | Q(owner_id=user_id)),
    "user_id",
)


def canned_responses_for(user: User) -> list[CannedResponse]:
    """The shared canned responses and the user's own, by title."""
    return _canned_for(user_id=user.pk)


def ticket_timeline(*, ticket: Ticket, user: User) -> list[TimelineItem]:
    """The whole story of a ticket for staff: messages, and - for those who may read
    internal notes - events and internal comments, in time order."""
    items = [TimelineItem("message", m.created_at, m.pk, m) for m in ticket_messages(ticket)]
    if permissions.can(user, Action.VIEW_INTERNAL, ticket):
        items += [
            TimelineItem("event", e.created_at, e.pk, e) for e in _events_of(ticket_id=ticket.pk)
        ]
        for source in hooks.timeline_sources():
            items += source([ticket], user)
    order = {"message": 0, "comment": 1, "event": 2}
    return sorted(items, key=lambda i: (i.created_at, order.get(i.kind, 3), i.id))


def reply_refusal(ticket: Ticket) -> str:
    """Why a reply to this ticket would be refused now ("" when it can go out), so the
    composer says so before the agent writes rather than after."""
    return reply_way(ticket)[1]


def reply_way(ticket: Ticket) -> tuple[str, str]:
    """Where a reply goes ("Telegram: @marina_sokolova", "" when it cannot go) and why it
    cannot ("" when it can): the composer names the channel before the agent writes."""
    route = hooks.outbound_router().route_many([ticket])[0]
    if isinstance(route, ApplicationError):
        return "", route.message
    channel = dict(Channel.choices).get(route.channel, route.channel)
    identity = route.identity
    return f"{channel}: {show_bidi(identity.display or identity.value)}", ""


# Which events change each field of the side panel, for "changed by Anna" beside a field a
# colleague changed while the agent was editing it.
FIELD_EVENTS = {
    "owner": {EventKind.ASSIGNED, EventKind.HANDED_OFF, EventKind.HANDED_BACK},
    "status": {EventKind.STATUS_CHANGED, EventKind.REOPENED, EventKind.MERGED_INTO},
    "priority": {EventKind.PRIORITY_CHANGED},
    "tags": {EventKind.TAGS_CHANGED, EventKind.MERGED_FROM},
}


def field_changers(timeline: list[TimelineItem]) -> dict[str, str]:
    """Who changed each side-panel field last, by name, read from a ticket's timeline."""
    last: dict[str, str] = {}
    for item in timeline:
        if item.kind != "event":
            continue
        event = item.obj
        who = event.actor.full_name if event.actor else ""
        who = who or (event.actor_customer.name if event.actor_customer else "")
        for name, kinds in FIELD_EVENTS.items():
            if event.kind in kinds and who:
                last[name] = who
    return last


_groups_cache: tuple[float, list[Group]] = (0.0, [])
GROUPS_SECONDS = 30


def active_groups() -> list[Group]:
    """The desk's groups, read at most every 30 s per process: they change a few times a
    year and every workspace page shows them."""
    global _groups_cache
    read_at, groups = _groups_cache
    if time.monotonic() - read_at > GROUPS_SECONDS:
        groups = list(Group.objects.filter(is_active=True).only("id", "name", "tier")
                      .order_by("tier", "name"))  # fmt: skip
        _groups_cache = (time.monotonic(), groups)
    return groups


def forget_active_groups() -> None:
    global _groups_cache
    _groups_cache = (0.0, [])


def default_group() -> Group | None:
    """Where new tickets wait when their channel names no group: the first line."""
    groups = active_groups()
    return groups[0] if groups else None


def customer_list(*, user: User, text: str = "") -> QuerySet[Customer]:
    if not permissions.can_see_customer_directory(user):
        raise Forbidden(_("Only agents can browse customers."))
    customers = Customer.objects.filter(merged_into__isnull=True)
    text = text.strip()
    if text:
        matches_identity = CustomerIdentity.objects.filter(value__icontains=text).values(
            "customer_id"
        )
        customers = customers.filter(Q(name__icontains=text) | Q(pk__in=matches_identity))
    return customers.annotate(
        ticket_count=Count("tickets"),
        open_ticket_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)),
    ).prefetch_related(Prefetch("identities", queryset=CustomerIdentity.objects.order_by("id")))


def customer_get(*, user: User, customer_id: int) -> Customer:
    """A customer with identities and every ticket on every channel, newest first."""
    if not permissions.can_see_customer_directory(user):
        raise Forbidden(_("Only agents can open customer pages."))
    customer = (
        Customer.objects.filter(pk=customer_id)
        .select_related("merged_into")
        .prefetch_related(
            Prefetch("identities", queryset=CustomerIdentity.objects.order_by("id")),
            Prefetch(
                "tickets",
                queryset=tickets_for_display().order_by("-number"),
                to_attr="all_tickets",
            ),
        )
        .first()
    )
    if customer is None:
        raise NotFound(_("There is no customer %(id)s.") % {"id": customer_id})
    return customer


_customer_by_id = PreparedQuery(
    lambda customer_id: Customer.objects.filter(pk=customer_id), "customer_id"
)


_identities_with_customer = PreparedQuery(
    lambda customer_id: (
        CustomerIdentity.objects.select_related("customer")
        .filter(customer_id=customer_id)
        .order_by("id")
    ),
    "customer_id",
)


def customer_for_new_ticket(customer_id: int) -> Customer | None:
    """The customer a new ticket is for (the one who lives on, when they were merged), with
    their identities read, as the ticket's search vector needs them; None if there is none.
    One query for the customer and their identities together, as a rule."""
    identities = _identities_with_customer(customer_id=customer_id)
    if identities and identities[0].customer.merged_into_id is None:
        customer = identities[0].customer
        for identity in identities:
            identity.customer = customer  # one customer object, not one per row
        prefetched(customer, "identities", identities)
        return customer
    found = _customer_by_id(customer_id=customer_id)  # without identities, or merged away
    if not found:
        return None
    customer = customer_resolve(found[0])
    customer_identities(customer)
    return customer


def customer_resolve(customer: Customer) -> Customer:
    """Follow merges to the customer who lives on."""
    seen = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer
