"""Email out: replies by SMTP (Django's mail backend), threaded for the customer's client."""

from __future__ import annotations

import secrets
import smtplib
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from channels_inbound import customer_output
from channels_inbound.adapters.base import (
    PermanentDeliveryError,
    ProviderResult,
    TemporaryDeliveryError,
)
from channels_inbound.models import InboundEvent, Mailbox, OutboundDelivery
from channels_inbound.selectors import mailboxes
from tickets.models import Channel, Direction, IdentityKind, Message

MAX_REFERENCES = 20


def email_domain(mailbox: Mailbox | None = None) -> str:
    if settings.HELPDESK_EMAIL_DOMAIN:
        return settings.HELPDESK_EMAIL_DOMAIN
    if mailbox is not None:
        return mailbox.address.rpartition("@")[2]
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def new_message_id(message: Message) -> str:
    """Our Message-IDs carry 80 random bits, so nobody can forge a reference into a ticket."""
    domain = settings.HELPDESK_EMAIL_DOMAIN or email_domain(mailbox_for(message.ticket_id))
    return f"<t{message.ticket.number}.m{message.pk}.{secrets.token_hex(10)}@{domain}>"


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


def mailbox_for(ticket_id: int) -> Mailbox | None:
    """The mailbox the customer last wrote to on this ticket, so the reply comes from the
    address they wrote to; for tickets that did not come by email, the first active mailbox
    (one with its own SMTP server first). None: Django's own mail settings.

    A mailbox without an SMTP server of its own still lends its From address; the mail then
    goes through the default SMTP relay (EMAIL_HOST), as with an MTA pipe for inbound mail."""
    # The ticket's latest emails through their index, then their events through theirs.
    latest_emails = (
        Message.objects.filter(ticket_id=ticket_id, channel=Channel.EMAIL, direction=Direction.IN)
        .order_by("-id")
        .values("id")[:5]
    )
    last = (
        InboundEvent.objects.filter(message_id__in=latest_emails)
        .order_by("-message_id")
        .values_list("payload__mailbox", flat=True)
        .first()
    )
    known = mailboxes()
    if last in known and known[last].is_active:
        return known[last]
    active = [m for m in known.values() if m.is_active]
    return next((m for m in active if m.smtp_host), None) or next(iter(active), None)


def sender_address(mailbox: Mailbox | None) -> str:
    if mailbox is None:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((mailbox.name, mailbox.address))


def connection_for(mailbox: Mailbox | None):
    if mailbox is None or not mailbox.smtp_host:
        return get_connection(fail_silently=False)
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_login or None,
        password=mailbox.smtp_password or None,
        use_tls=mailbox.smtp_security == Mailbox.Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Mailbox.Security.SSL,
        timeout=settings.EMAIL_TIMEOUT,
        fail_silently=False,
    )


def build_email(
    delivery: OutboundDelivery, mailbox: Mailbox | None = None
) -> EmailMultiAlternatives:
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
        from_email=sender_address(mailbox),
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
        mailbox = mailbox_for(delivery.message.ticket_id)
        email = build_email(delivery, mailbox)
        try:
            connection_for(mailbox).send_messages([email])
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
