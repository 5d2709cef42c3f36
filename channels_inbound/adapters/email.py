"""Email out: replies by SMTP (Django's mail backend), threaded for the customer's client."""

from __future__ import annotations

import secrets
import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from channels_inbound import customer_output
from channels_inbound.adapters.base import (
    PermanentDeliveryError,
    ProviderResult,
    TemporaryDeliveryError,
)
from channels_inbound.models import OutboundDelivery
from tickets.models import Channel, Direction, IdentityKind, Message

MAX_REFERENCES = 20


def email_domain() -> str:
    if settings.HELPDESK_EMAIL_DOMAIN:
        return settings.HELPDESK_EMAIL_DOMAIN
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def new_message_id(message: Message) -> str:
    """Our Message-IDs carry 80 random bits, so nobody can forge a reference into a ticket."""
    return f"<t{message.ticket.number}.m{message.pk}.{secrets.token_hex(10)}@{email_domain()}>"


def earlier_email_ids(message: Message) -> list[tuple[str, str]]:
    """(Message-ID, direction) of the ticket's earlier email messages, oldest first."""
    earlier = (
        Message.objects.filter(ticket_id=message.ticket_id, channel=Channel.EMAIL)
        .exclude(pk=message.pk)
        .exclude(external_id="")
        .order_by("created_at", "id")
        .values_list("external_id", "direction")
    )
    return list(earlier)


def build_email(delivery: OutboundDelivery) -> EmailMultiAlternatives:
    message = delivery.message
    reply = customer_output.reply_content(message, delivery.address)
    earlier = earlier_email_ids(message)
    references = [mid for mid, _ in earlier][-MAX_REFERENCES:]
    inbound = [mid for mid, direction in earlier if direction == Direction.IN]
    headers = {"Message-ID": message.external_id}
    if references:
        headers["References"] = " ".join(references)
        headers["In-Reply-To"] = inbound[-1] if inbound else references[-1]
    email = EmailMultiAlternatives(
        subject=reply.subject,
        body=reply.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers=headers,
    )
    email.attach_alternative(reply.html, "text/html")
    for attachment in reply.attachments:
        with attachment.file.open("rb") as f:
            email.attach(attachment.name, f.read(), attachment.content_type)
    return email


class EmailSender:
    kind = Channel.EMAIL
    identity_kind = IdentityKind.EMAIL

    def prepare(self, delivery: OutboundDelivery) -> None:
        message = delivery.message
        if not message.external_id:
            message.external_id = new_message_id(message)
            message.save(update_fields=["external_id"])

    def send(self, delivery: OutboundDelivery) -> ProviderResult:
        email = build_email(delivery)
        try:
            get_connection(fail_silently=False).send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            code, answer = next(iter(error.recipients.values()))
            raise _classify(code, answer) from error
        except smtplib.SMTPResponseException as error:
            raise _classify(error.smtp_code, error.smtp_error) from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise TemporaryDeliveryError(f"Mail server unreachable: {error}") from error
        return ProviderResult(provider_message_id=delivery.message.external_id)


def _classify(code: int, answer: bytes | str) -> Exception:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    detail = f"{code} {text}".strip()
    if 500 <= code < 600:
        return PermanentDeliveryError(f"The mail server refused the message: {detail}")
    return TemporaryDeliveryError(f"The mail server asked to try later: {detail}")
