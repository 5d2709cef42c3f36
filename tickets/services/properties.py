"""Status, priority and tags: the ticket's state an agent steers from the side panel."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.errors import ApplicationError
from tickets import events, permissions
from tickets import realtime as ticket_realtime
from tickets.models import EventKind, Ticket
from tickets.models.tickets import PRIORITY_BY_NAME, PRIORITY_NAMES
from tickets.permissions import Action
from tickets.services.common import lock_ticket, move_status

if TYPE_CHECKING:
    from accounts.models import User

TAG_RE = re.compile(r"[^\w\-:.]+", re.UNICODE)
MAX_TAGS = 30


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, by: User) -> Ticket:
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.STATUS, ticket)
    now = timezone.now()
    fields = move_status(ticket, status, now=now, by=by)
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])
    ticket_realtime.ticket_updated(ticket, changed=["status"])
    return ticket


def parse_priority(value: str | int) -> int:
    if isinstance(value, int) and value in PRIORITY_NAMES:
        return value
    if isinstance(value, str) and value.lower() in PRIORITY_BY_NAME:
        return PRIORITY_BY_NAME[value.lower()]
    raise ApplicationError(
        _('Unknown priority "%(priority)s"; use one of %(allowed)s.')
        % {"priority": value, "allowed": ", ".join(PRIORITY_BY_NAME)}
    )


@transaction.atomic
def ticket_set_priority(*, ticket: Ticket, priority: str | int, by: User) -> Ticket:
    value = parse_priority(priority)
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.PRIORITY, ticket)
    if value == ticket.priority:
        return ticket
    old = ticket.priority_name
    ticket.priority = value
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["priority", "updated_at"])
    events.record(
        ticket, kind=EventKind.PRIORITY_CHANGED, by=by, old=old, new=PRIORITY_NAMES[value]
    )
    ticket_realtime.ticket_updated(ticket, changed=["priority"])
    return ticket


def normalize_tag(tag: str) -> str:
    tag = TAG_RE.sub("-", tag.strip().lower()).strip("-")
    if not tag:
        raise ApplicationError(_("A tag needs at least one letter or digit."))
    if len(tag) > 50:
        raise ApplicationError(
            _('The tag "%(tag)s…" is longer than %(n)s characters.') % {"tag": tag[:20], "n": 50}
        )
    return tag


def normalize_tags(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        normalized = normalize_tag(tag)
        if normalized not in out:
            out.append(normalized)
    return out


@transaction.atomic
def ticket_set_tags(
    *,
    ticket: Ticket,
    by: User,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    replace: Iterable[str] | None = None,
) -> Ticket:
    to_add, to_remove = normalize_tags(add), set(normalize_tags(remove))
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.TAGS, ticket)
    old = list(ticket.tags)
    if replace is not None:
        new = normalize_tags(replace)
    else:
        new = [t for t in old if t not in to_remove] + [t for t in to_add if t not in old]
    if len(new) > MAX_TAGS:
        raise ApplicationError(
            ngettext(
                "A ticket can carry at most %(n)s tag.",
                "A ticket can carry at most %(n)s tags.",
                MAX_TAGS,
            )
            % {"n": MAX_TAGS}
        )
    if new == old:
        return ticket
    ticket.tags = new
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["tags", "updated_at"])
    events.record(ticket, kind=EventKind.TAGS_CHANGED, by=by, old=old, new=new)
    ticket_realtime.ticket_updated(ticket, changed=["tags"])
    return ticket


@transaction.atomic
def ticket_set_subject(*, ticket: Ticket, subject: str, by: User) -> Ticket:
    subject = " ".join(subject.split())[:255]
    if not subject:
        raise ApplicationError(_("The subject cannot be empty."))
    ticket = lock_ticket(ticket)
    permissions.require(by, Action.STATUS, ticket)
    if subject == ticket.subject:
        return ticket
    old = ticket.subject
    ticket.subject = subject
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["subject", "updated_at"])
    events.record(ticket, kind=EventKind.SUBJECT_CHANGED, by=by, old=old, new=subject)
    ticket_realtime.ticket_updated(ticket, changed=["subject"])
    return ticket
