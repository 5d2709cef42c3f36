"""The acknowledgement of a new ticket: the number, what happens next, the status link, in
the customer's language - and never to a machine, never more than a few per hour."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

from channels_inbound.models import AutoReplyTemplate
from channels_inbound.status_links import status_url
from helpdesk.errors import ApplicationError
from tickets.models import Direction, IdentityKind, Message, Ticket
from tickets.services import ticket_auto_reply

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
    template = (
        AutoReplyTemplate.objects.filter(language=language, is_active=True).first()
        or AutoReplyTemplate.objects.filter(language="en", is_active=True).first()
    )
    if template is None:
        return None
    recent = Message.objects.filter(
        ticket__customer=customer,
        direction=Direction.OUT,
        is_auto_generated=True,
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= settings.HELPDESK_AUTOACK_PER_HOUR:
        return None  # a loop or a flood: the customer already has their numbers
    email = customer.identities.filter(kind=IdentityKind.EMAIL).order_by("id").first()
    text = Template(template.body).render(
        Context(
            {
                "number": ticket.number,
                "subject": ticket.subject,
                "customer_name": customer.name,
                "status_url": status_url(ticket.number, email.value) if email else "",
            },
            autoescape=False,
        )
    )
    try:
        return ticket_auto_reply(ticket=ticket, text=text.strip())
    except ApplicationError:
        return None  # no way to reach the customer: the ticket itself is what matters
