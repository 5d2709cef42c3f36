"""The agent's queues: which tickets each one holds, how many, and a page of them.

Counts that everyone shares (per group, all open, pending) come from one grouped query,
cached for a few seconds in Redis: a desk with a million tickets should not count them on
every page view. Counts that are the user's own (mine, unassigned in my groups) are cheap
index lookups and are always fresh.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError

from tickets import permissions
from tickets.models import OPEN_STATUSES, SavedFilter, Status, Ticket
from tickets.permissions import support_group_ids
from tickets.selectors import TicketFilters, active_groups, ticket_list

if TYPE_CHECKING:
    from accounts.models import User

SHARED_COUNTS_KEY = "queues:shared-counts"
SHARED_COUNTS_SECONDS = 5
SOLVED_RECENTLY = timedelta(days=7)
PAGE_SIZE = 25


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    count: int | None = None
    group_id: int | None = None


def _base_filters(user: User, key: str) -> tuple[TicketFilters, Q]:
    """The filters of a queue, and an extra condition the generic filters cannot say."""
    if key == "mine":  # internal staff: whatever was handed to them, solved or not
        return TicketFilters(owner="me", open_only=user.is_agent), Q()
    if key == "unassigned":
        groups = support_group_ids(user)
        return TicketFilters(owner="none", open_only=True), Q(group_id__in=groups)
    if key == "pending":
        return TicketFilters(statuses=(Status.PENDING,)), Q()
    if key == "solved":
        since = timezone.now() - SOLVED_RECENTLY
        return TicketFilters(statuses=(Status.SOLVED,)), Q(solved_at__gte=since)
    if key == "all":
        return TicketFilters(), Q()
    if key.startswith("group:") and key[6:].isdigit():
        return TicketFilters(group=int(key[6:]), open_only=True), Q()
    return TicketFilters(open_only=True), Q()  # "open": everything not yet solved


def default_queue(user: User) -> str:
    """Where the queue page opens: an agent's group's unassigned tickets; for one who is no
    group's member (a head of support) everything open; internal staff what was handed to
    them."""
    if not user.is_agent:
        return "mine"
    return "unassigned" if support_group_ids(user) else "open"


def queue_tickets(*, user: User, key: str, filters: TicketFilters | None = None) -> QuerySet:
    """The tickets of a queue, narrowed further by the list's own filters."""
    base, extra = _base_filters(user, key)
    if filters is not None:
        base = TicketFilters(
            statuses=filters.statuses or base.statuses,
            open_only=base.open_only and not filters.statuses,
            owner=filters.owner if filters.owner is not None else base.owner,
            group=filters.group if filters.group is not None else base.group,
            channel=filters.channel,
            priority=filters.priority,
            customer=filters.customer,
            tags=filters.tags,
            text=filters.text,
        )
    return ticket_list(user=user, filters=base).filter(extra)


def count_open_tickets() -> dict[str, int]:
    """One pass over the open tickets (an index-only scan of `ticket_open_queue_idx`):
    per group, per owner, unassigned per group, pending, all."""
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values("group_id", "assignee_id", "status")
        .annotate(n=Count("*"))
        .order_by()
    )
    counts: dict[str, int] = {"open": 0, "pending": 0}
    for row in rows:
        n = row["n"]
        counts["open"] += n
        if row["status"] == Status.PENDING:
            counts["pending"] += n
        for key in (f"group:{row['group_id']}", f"owner:{row['assignee_id']}"):
            counts[key] = counts.get(key, 0) + n
        if row["assignee_id"] is None:
            key = f"unassigned:{row['group_id']}"
            counts[key] = counts.get(key, 0) + n
    return counts


def refresh_shared_counts() -> dict[str, int]:
    counts = count_open_tickets()
    cache.set(SHARED_COUNTS_KEY, {"counts": counts, "at": time.time()}, None)
    cache.delete(SHARED_COUNTS_KEY + ":refreshing")
    return counts


def shared_counts() -> dict[str, int]:
    """The counts as of a few seconds ago. A stale copy is served while one worker task
    recounts (stale-while-revalidate), so no page ever waits for the count and a burst of
    requests never counts a million tickets at once."""
    cached = cache.get(SHARED_COUNTS_KEY)
    if cached is None:
        return refresh_shared_counts()
    if time.time() - cached["at"] > SHARED_COUNTS_SECONDS and cache.add(
        SHARED_COUNTS_KEY + ":refreshing", 1, 30
    ):
        from tickets.tasks import refresh_queue_counts

        try:
            refresh_queue_counts.apply_async(retry=False)
        except OperationalError:
            cache.delete(SHARED_COUNTS_KEY + ":refreshing")
    return cached["counts"]


def forget_shared_counts() -> None:
    cache.delete(SHARED_COUNTS_KEY)


def queues_for(user: User) -> list[Queue]:
    """The left rail: the person's queues with their counts, then their saved filters."""
    if not user.is_agent:
        involved = permissions.visible_tickets(
            user, Ticket.objects.filter(status__in=OPEN_STATUSES)
        )
        return [
            Queue("mine", str(_("Handed to me")), Ticket.objects.filter(assignee=user).count()),
            Queue("open", str(_("Tickets I am involved in")), involved.count()),
        ]  # fmt: skip
    shared = shared_counts()
    groups = support_group_ids(user)
    mine = shared.get(f"owner:{user.pk}", 0)
    unassigned = sum(shared.get(f"unassigned:{group_id}", 0) for group_id in groups)
    queues = [
        Queue("mine", str(_("My tickets")), mine),
        Queue("unassigned", str(_("Unassigned in my groups")), unassigned),
    ]
    for group in active_groups():
        key = f"group:{group.pk}"
        queues.append(Queue(key, group.name, shared.get(key, 0), group.pk))
    queues += [
        Queue("open", str(_("All open")), shared["open"]),
        Queue("pending", str(_("Pending")), shared["pending"]),
        Queue("solved", str(_("Solved recently"))),
    ]
    return queues


def saved_filters_for(user: User) -> list[SavedFilter]:
    return list(SavedFilter.objects.filter(user=user).order_by("name"))


# --- Keyset pagination ---------------------------------------------------------------------------
# A page is "the next 25 after this row", never "skip 25 000 rows": page 4 000 costs what page 1
# costs.

SORTS = {
    "newest": ("-number",),
    "oldest": ("number",),
    "activity": ("-updated_at", "-number"),
    "priority": ("-priority", "-number"),
}


def _encode(ticket: Ticket, order: tuple[str, ...]) -> str:
    values = []
    for field in order:
        value = getattr(ticket, field.lstrip("-"))
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str, order: tuple[str, ...]) -> list | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != len(order):
        return None
    for i, field in enumerate(order):
        if field.lstrip("-") == "updated_at":
            values[i] = parse_datetime(values[i]) if isinstance(values[i], str) else None
            if values[i] is None:
                return None
    return values


def _after(order: tuple[str, ...], values: list) -> Q:
    """Rows that come after `values` in `order`: (a > x) or (a = x and b > y) ..."""
    condition = Q()
    equal = Q()
    for field, value in zip(order, values, strict=True):
        name = field.lstrip("-")
        step = Q(**{f"{name}__lt" if field.startswith("-") else f"{name}__gt": value})
        condition |= equal & step
        equal &= Q(**{name: value})
    return condition


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    next_cursor: str | None


def page_of(tickets: QuerySet, *, sort: str, cursor: str = "") -> Page:
    order = SORTS.get(sort, SORTS["newest"])
    tickets = tickets.order_by(*order)
    if cursor:
        values = _decode(cursor, order)
        if values is not None:
            tickets = tickets.filter(_after(order, values))
    rows = list(tickets[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Page(rows, _encode(rows[-1], order) if more and rows else None)
