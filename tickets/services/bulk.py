"""Bulk actions on many tickets: each ticket through its own service call, in its own
transaction, with progress other processes can read (the page polls it)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.utils.translation import gettext as _

from helpdesk.errors import ApplicationError, Forbidden, NotFound
from tickets import permissions
from tickets.models import Ticket
from tickets.permissions import Action
from tickets.services.assignment import ticket_assign
from tickets.services.properties import ticket_set_status, ticket_set_tags

if TYPE_CHECKING:
    from accounts.models import User

MAX_TICKETS = 1000
PROGRESS_SECONDS = 3600


@dataclass
class BulkProgress:
    total: int
    user_id: int | None = None  # whose job it is: nobody else reads its progress
    done: int = 0
    failed: list[dict] = field(default_factory=list)
    finished: bool = False
    error: str = ""  # the whole job was refused


def _key(job_id: str) -> str:
    return f"bulk:{job_id}"


def progress(job_id: str, *, user: User) -> BulkProgress:
    """The job's progress, for the person who started it only: anyone else is answered as
    if there were no such job."""
    permissions.require(user, Action.BULK)
    data = cache.get(_key(job_id))
    state = BulkProgress(**data) if data else None
    if state is None or state.user_id != user.pk:
        raise NotFound(_("There is no such bulk action of yours."))
    return state


def parse_action(action: str) -> tuple[str, str]:
    kind, _sep, value = action.partition(":")
    if kind not in ("assign_me", "status", "tag", "owner") or (kind != "assign_me" and not value):
        raise ApplicationError(_("Choose what to do with the selected tickets."))
    return kind, value


def bulk_start(*, by: User, numbers: list[int], action: str) -> str:
    """Check the request, record the job, return its id; the task does the work. Bulk
    actions are for agents: internal staff are refused outright."""
    permissions.require(by, Action.BULK)
    parse_action(action)
    numbers = list(dict.fromkeys(numbers))
    if not numbers:
        raise ApplicationError(_("Select at least one ticket."))
    if len(numbers) > MAX_TICKETS:
        raise ApplicationError(_("Select at most %(n)s tickets at a time.") % {"n": MAX_TICKETS})
    job_id = uuid.uuid4().hex
    state = BulkProgress(total=len(numbers), user_id=by.pk)
    cache.set(_key(job_id), asdict(state), PROGRESS_SECONDS)
    return job_id


def _apply(ticket: Ticket, by: User, kind: str, value: str) -> None:
    from accounts.models import User as UserModel

    if kind == "assign_me":
        ticket_assign(ticket=ticket, owner=by, by=by)
    elif kind == "owner":
        owner = UserModel.objects.filter(pk=value).first() if value.isdigit() else None
        ticket_assign(ticket=ticket, owner=owner, by=by)
    elif kind == "status":
        ticket_set_status(ticket=ticket, status=value, by=by)
    elif kind == "tag":
        ticket_set_tags(ticket=ticket, by=by, add=[value])


def bulk_run(*, job_id: str, by: User, numbers: list[int], action: str) -> BulkProgress:
    """Each ticket through its own service call. Tickets are looked up through the user's
    visible set, so one they may not see is "no such ticket", exactly like a missing one."""
    kind, value = parse_action(action)
    data = cache.get(_key(job_id))
    state = BulkProgress(**data) if data else BulkProgress(total=len(numbers), user_id=by.pk)
    try:
        permissions.require(by, Action.BULK)  # their role may have changed since they started
    except Forbidden as error:
        state.error, state.finished = error.message, True
        cache.set(_key(job_id), asdict(state), PROGRESS_SECONDS)
        return state
    found = permissions.visible_tickets(
        by, Ticket.objects.defer("search_vector").filter(number__in=numbers)
    )
    tickets = {t.number: t for t in found}
    for number in numbers:
        ticket = tickets.get(number)
        try:
            if ticket is None:
                raise ApplicationError(_("There is no such ticket."))
            _apply(ticket, by, kind, value)
        except ApplicationError as error:
            state.failed.append({"number": number, "message": error.message})
        state.done += 1
        cache.set(_key(job_id), asdict(state), PROGRESS_SECONDS)
    state.finished = True
    cache.set(_key(job_id), asdict(state), PROGRESS_SECONDS)
    return state
