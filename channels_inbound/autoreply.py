"""The acknowledgement of a new ticket: the number, what happens next, the status link, in
the customer's language - and never to a machine, never more than a few per hour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.template import Context, Template
from django.utils import timezone

from channels_inbound.models import AutoReplyTemplate
from channels_inbound.status_links import status_url
from helpdesk.errors import ApplicationError
from tickets.models import Direction, IdentityKind, Message, Ticket
from tickets.sanitize import show_bidi
from tickets.services import ticket_auto_reply

if TYPE_CHECKING:
    from tickets.models import Customer, CustomerIdentity
    from tickets.types import NormalizedMessage

ACKNOWLEDGED_CHANNELS = ("email", "web")


def guess_language(text: str) -> str:
    """Russian when Cyrillic dominates the customer's words, else English."""
    letters = [c for c in text[:2000] if c.isalpha()]
    if not letters:
        return ""
    cyrillic = sum("а" <= c.lower() <= "я" or c.lower() == "ё" for c in letters)
    return "ru" if cyrillic / len(letters) > 0.3 else "en"


def acknowledge(*, ticket: Ticket) -> Message | None:
    """Send the acknowledgement for a newly opened ticket, or nothing when it must not go."""
    customer = ticket.customer
    language = customer.language or settings.LANGUAGE_CODE
    template = _template(active_templates({language, "en"}), language)
    if template is None:
        return None
    if recent_counts([customer.pk]).get(customer.pk, 0) >= settings.HELPDESK_AUTOACK_PER_HOUR:
        return None  # a loop or a flood: the customer already has their numbers
    email = customer.identities.filter(kind=IdentityKind.EMAIL).order_by("id").first()
    try:
        return ticket_auto_reply(ticket=ticket, text=_text(template, ticket, email))
    except ApplicationError:
        return None  # no way to reach the customer: the ticket itself is what matters


class Acknowledgements:
    """`acknowledge` for the new tickets of a batch of inbound messages, in their order
    (tickets.services.bulk_ingest.AutoReplies): the templates and each customer's
    acknowledgements of the last hour read once for the batch, and counted on as it goes."""

    def prepare(self, customers: Sequence[Customer]) -> None:
        self.templates = active_templates()
        self.recent = recent_counts([customer.pk for customer in customers])
        self.names: dict[int, str] = {}

    def wants(self, *, ticket: Ticket, message: NormalizedMessage) -> bool:
        if message.is_auto_generated or message.channel not in ACKNOWLEDGED_CHANNELS:
            return False
        customer = ticket.customer
        if _template(self.templates, customer.language or settings.LANGUAGE_CODE) is None:
            return False
        if self.recent.get(customer.pk, 0) >= settings.HELPDESK_AUTOACK_PER_HOUR:
            return False
        self.recent[customer.pk] = self.recent.get(customer.pk, 0) + 1
        self.names[id(ticket)] = customer.name  # as it is now, should a later message rename
        return True

    def text(self, *, ticket: Ticket, identities: Sequence[CustomerIdentity]) -> str:
        template = _template(self.templates, ticket.customer.language or settings.LANGUAGE_CODE)
        email = next((i for i in identities if i.kind == IdentityKind.EMAIL), None)
        return _text(template, ticket, email, name=self.names[id(ticket)])


def active_templates(languages: set[str] | None = None) -> dict[str, AutoReplyTemplate]:
    templates = AutoReplyTemplate.objects.filter(is_active=True)
    if languages is not None:
        templates = templates.filter(language__in=languages)
    return {template.language: template for template in templates}


def _template(templates: dict[str, AutoReplyTemplate], language: str) -> AutoReplyTemplate | None:
    return templates.get(language) or templates.get("en")


# Each customer's tickets, then each ticket's messages of the last hour, through their
# indexes whatever the planner's statistics say.
RECENT = f"""
    SELECT c.id, (
        SELECT sum((
            SELECT count(*) FROM {Message._meta.db_table} m
            WHERE m.ticket_id = t.id AND m.created_at >= %s AND m.direction = %s
              AND m.is_auto_generated
        )) FROM {Ticket._meta.db_table} t WHERE t.customer_id = c.id
    )
    FROM unnest(%s::bigint[]) AS c(id)
"""  # noqa: S608 - table names are ours, values are parameters


def recent_counts(customer_ids: list[int]) -> dict[int, int]:
    """Acknowledgements each customer got in the last hour."""
    since = timezone.now() - timedelta(hours=1)
    with connection.cursor() as cursor:
        cursor.execute(RECENT, [since, Direction.OUT, list(customer_ids)])
        return {customer_id: count for customer_id, count in cursor.fetchall() if count}


@lru_cache(maxsize=16)
def _compiled(body: str) -> Template:
    """Templates compiled once per text: an edited template is a new text."""
    return Template(body)


def _text(
    template: AutoReplyTemplate,
    ticket: Ticket,
    email: CustomerIdentity | None,
    name: str | None = None,
) -> str:
    context = {
        "number": ticket.number,
        "subject": show_bidi(ticket.subject),
        "customer_name": show_bidi(ticket.customer.name if name is None else name),
        "status_url": status_url(ticket.number, email.value) if email else "",
    }
    return _compiled(template.body).render(Context(context, autoescape=False)).strip()
