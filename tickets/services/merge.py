"""Merging two tickets about the same request into one thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.errors import ApplicationError
from tickets import events, permissions, search
from tickets import realtime as ticket_realtime
from tickets.models import Customer, EventKind, Message, Status, Ticket, TicketParticipant
from tickets.permissions import Action

if TYPE_CHECKING:
    from accounts.models import User


CONFIRM_DIFFERENT_CUSTOMER = "confirm_different_customer"


@transaction.atomic
def ticket_merge(
    *, source: Ticket, into: Ticket, by: User, confirm_different_customer: bool = False
) -> Ticket:
    """Move `source`'s conversation into `into` and close `source` as merged.

    Messages move with their ids (so email threading keeps working) and remember the ticket
    they were written on, so each customer goes on seeing only their own messages; apps that
    own other parts of a ticket (internal comments) move theirs on the `merged_from` event.
    Tickets of two customers merge only with `confirm_different_customer`: it is more often
    a slip than the same request.
    """
    if source.pk == into.pk:
        raise ApplicationError(_("A ticket cannot be merged into itself."))
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .defer("search_vector")
        .filter(pk__in=sorted([source.pk, into.pk]))
        .order_by("pk")
    }
    source, into = locked[source.pk], locked[into.pk]
    permissions.require(by, Action.MERGE, source)
    permissions.require(by, Action.MERGE, into)
    for ticket in (source, into):
        if ticket.merged_into_id is not None:
            raise ApplicationError(
                _("#%(number)s was already merged into another ticket.") % {"number": ticket.number}
            )
        if ticket.status == Status.CLOSED:
            raise ApplicationError(
                _("#%(number)s is closed; closed tickets cannot be merged.")
                % {"number": ticket.number}
            )
    if source.customer_id != into.customer_id and not confirm_different_customer:
        _refuse_different_customers(source, into)

    now = timezone.now()
    Message.objects.filter(ticket=source).update(
        ticket=into, origin_ticket=Coalesce(F("origin_ticket"), Value(source.pk))
    )
    TicketParticipant.objects.bulk_create(
        [
            TicketParticipant(ticket=into, user_id=p.user_id, reason=p.reason)
            for p in source.participants.all()
        ],
        ignore_conflicts=True,
    )
    search.merge_search_vectors(source_id=source.pk, into_id=into.pk)

    into.tags = into.tags + [t for t in source.tags if t not in into.tags]
    into.last_customer_message_at = max(
        (d for d in (into.last_customer_message_at, source.last_customer_message_at) if d),
        default=None,
    )
    into.first_response_at = min(
        (d for d in (into.first_response_at, source.first_response_at) if d), default=None
    )
    into.updated_at = now
    into.save(update_fields=["tags", "last_customer_message_at", "first_response_at", "updated_at"])

    old_status = source.status
    source.status = Status.CLOSED
    source.closed_at = now
    source.merged_into = into
    source.updated_at = now
    source.save(update_fields=["status", "closed_at", "merged_into", "updated_at"])

    events.record(
        source,
        kind=EventKind.MERGED_INTO,
        by=by,
        old={"status": old_status},
        new={"id": into.pk, "number": into.number},
    )
    events.record(
        into,
        kind=EventKind.MERGED_FROM,
        by=by,
        old={"id": source.pk, "number": source.number},
    )
    ticket_realtime.ticket_updated(source, changed=["status", "merged_into"])
    ticket_realtime.ticket_updated(into, changed=["messages", "tags"])
    return into


def _refuse_different_customers(source: Ticket, into: Ticket) -> None:
    names = dict(
        Customer.objects.filter(pk__in=[source.customer_id, into.customer_id]).values_list(
            "pk", "name"
        )
    )
    raise ApplicationError(
        _(
            "#%(source)s (%(source_customer)s) and #%(into)s (%(into_customer)s) belong to "
            "different customers. Merge them only if they are one request, and confirm it. "
            "Each customer will still see only their own messages."
        )
        % {
            "source": source.number,
            "into": into.number,
            "source_customer": names.get(source.customer_id) or "—",
            "into_customer": names.get(into.customer_id) or "—",
        },
        extra={"field": CONFIRM_DIFFERENT_CUSTOMER},
    )
