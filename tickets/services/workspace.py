"""Canned responses and saved filters: the agent's own tools."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.errors import ApplicationError, Forbidden
from tickets import permissions
from tickets.models import CannedResponse, SavedFilter
from tickets.permissions import Action

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Ticket

PLACEHOLDERS = ("customer_name", "ticket_number", "agent_name")


def _require_agent(user: User) -> None:
    permissions.require(user, Action.CREATE_TICKET)  # the agent-only, ticket-less action


def _check_owner(canned: CannedResponse, user: User) -> None:
    if canned.owner_id is not None and canned.owner_id != user.pk:
        raise Forbidden(_("This canned response is someone else's personal one."))


@transaction.atomic
def canned_save(
    *,
    by: User,
    title: str,
    body: str,
    personal: bool,
    canned: CannedResponse | None = None,
) -> CannedResponse:
    _require_agent(by)
    title, body = " ".join(title.split())[:120], body.strip()
    if not title or not body:
        raise ApplicationError(_("A canned response needs a title and a text."))
    if canned is None:
        canned = CannedResponse(created_by=by)
    else:
        _check_owner(canned, by)
    canned.title, canned.body = title, body
    canned.owner = by if personal else None
    canned.updated_at = timezone.now()
    canned.save()
    return canned


@transaction.atomic
def canned_delete(*, by: User, canned: CannedResponse) -> None:
    _require_agent(by)
    _check_owner(canned, by)
    canned.delete()


def canned_render(*, canned: CannedResponse, ticket: Ticket, agent: User) -> str:
    """Fill the placeholders for this ticket. Unknown braces are left as they are."""
    values = {
        "customer_name": ticket.customer.name,
        "ticket_number": str(ticket.number),
        "agent_name": agent.get_short_name(),
    }
    text = canned.body
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


@transaction.atomic
def saved_filter_create(*, by: User, name: str, query: str) -> SavedFilter:
    name = " ".join(name.split())[:80]
    if not name:
        raise ApplicationError(_("Give the filter a name."))
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(user=by, name=name, query=query[:500])
    except IntegrityError:
        message = _("You already have a filter called “%(name)s”.") % {"name": name}
        raise ApplicationError(message) from None


@transaction.atomic
def saved_filter_delete(*, by: User, saved: SavedFilter) -> None:
    if saved.user_id != by.pk:
        raise Forbidden(_("This filter is someone else's."))
    saved.delete()
