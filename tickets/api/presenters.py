"""The hot API shapes, built as plain dicts.

DRF serializers document the API (drf-spectacular reads them) and stay its contract; these
functions produce the same JSON several times faster, for the endpoints a desk hits all day
(the ticket list and a ticket with its timeline). `tests/test_presenters.py` proves that each
function's output equals its serializer's, field for field, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from tickets.hooks import TimelineItem
from tickets.models.tickets import PRIORITY_NAMES


def iso(moment: datetime | None, zone=None) -> str | None:
    """DRF's DateTimeField format: ISO 8601 in the current time zone, UTC written as Z.
    Callers formatting many values pass the zone, looked up once."""
    if moment is None:
        return None
    value = moment.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def user_ref(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.full_name, "role": user.role}


def group_ref(group) -> dict[str, Any] | None:
    if group is None:
        return None
    return {"id": group.pk, "name": group.name, "tier": group.tier}


def customer_ref(customer) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"id": customer.pk, "name": customer.name}


def ticket_ref(ticket) -> dict[str, Any] | None:
    if ticket is None:
        return None
    return {"id": ticket.pk, "number": ticket.number}


def identity(item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "value": item.value,
        "display": item.display,
        "is_reachable": item.is_reachable,
    }


def ticket_row(ticket, zone=None) -> dict[str, Any]:
    zone = zone or timezone.get_current_timezone()
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": PRIORITY_NAMES[ticket.priority],
        "channel": ticket.channel,
        "customer": customer_ref(ticket.customer),
        "owner": user_ref(ticket.assignee),
        "group": group_ref(ticket.group),
        "tags": list(ticket.tags),
        "created_at": iso(ticket.created_at, zone),
        "updated_at": iso(ticket.updated_at, zone),
        "first_response_at": iso(ticket.first_response_at, zone),
        "last_customer_message_at": iso(ticket.last_customer_message_at, zone),
        "solved_at": iso(ticket.solved_at, zone),
        "closed_at": iso(ticket.closed_at, zone),
    }


def attachment(item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "name": item.name,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "is_inline": item.is_inline,
        "url": reverse("api:attachment-download", args=[item.pk]),
    }


def author(message) -> dict[str, Any] | None:
    if message.author_user is not None:
        return {"type": "user", "id": message.author_user.pk, "name": message.author_user.full_name}
    if message.author_customer is not None:
        customer = message.author_customer
        return {"type": "customer", "id": customer.pk, "name": customer.name}
    return None


def message(item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "direction": item.direction,
        "channel": item.channel,
        "author": author(item),
        "sender_address": item.sender_address,
        "text": item.text,
        "html": item.html,
        "delivery_status": item.delivery_status,
        "delivery_error": item.delivery_error,
        "is_auto_generated": item.is_auto_generated,
        "attachments": [attachment(a) for a in item.attachments.all()],
        "created_at": iso(item.created_at),
    }


def event(item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "actor": user_ref(item.actor),
        "actor_customer": customer_ref(item.actor_customer),
        "old": item.old,
        "new": item.new,
        "note": item.note,
        "created_at": iso(item.created_at),
    }


def comment(item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "author": user_ref(item.author),
        "text": item.text,
        "mentions": [user_ref(m.user) for m in item.mentions.all()],
        "created_at": iso(item.created_at),
    }


BODIES = {"message": message, "comment": comment, "event": event}


def timeline_entry(item: TimelineItem) -> dict[str, Any]:
    return {
        "type": item.kind,
        "created_at": iso(item.obj.created_at),
        item.kind: BODIES[item.kind](item.obj),
    }


def customer_detail(customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "language": customer.language,
        "notes": customer.notes,
        "identities": [identity(i) for i in customer.identities.all()],
        "created_at": iso(customer.created_at),
    }


def ticket_detail(ticket, *, timeline: list[TimelineItem], allowed_actions: list[str]) -> dict:
    return {
        **ticket_row(ticket),
        "customer": customer_detail(ticket.customer),
        "hand_back_to": user_ref(ticket.hand_back_to),
        "follow_up_of": ticket_ref(ticket.follow_up_of),
        "merged_into": ticket_ref(ticket.merged_into),
        "allowed_actions": allowed_actions,
        "timeline": [timeline_entry(item) for item in timeline],
    }
