"""Email out: replies by SMTP (Django's mail backend), threaded for the customer's client."""

from __future__ import annotations

import json
import secrets
import smtplib
from collections.abc import Iterable, Sequence
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection

from channels_inbound import customer_output
from channels_inbound.adapters.base import (
    PermanentDeliveryError,
    ProviderResult,
    TemporaryDeliveryError,
)
from channels_inbound.models import InboundEvent, Mailbox, OutboundDelivery
from channels_inbound.selectors import mailboxes
from tickets.models import Attachment, Channel, Direction, IdentityKind, Message, Ticket
from tickets.sanitize import strip_bidi

MAX_REFERENCES = 20


def email_domain(mailbox: Mailbox | None = None) -> str:
    if settings.HELPDESK_EMAIL_DOMAIN:
        return settings.HELPDESK_EMAIL_DOMAIN
    if mailbox is not None:
        return mailbox.address.rpartition("@")[2]
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def new_message_id(message: Message, mailbox: Mailbox | None) -> str:
    """Our Message-IDs carry 80 random bits, so nobody can forge a reference into a ticket.
    The domain is ours, or that of the ticket's mailbox (`mailbox_for`)."""
    domain = settings.HELPDESK_EMAIL_DOMAIN or email_domain(mailbox)
    return f"<t{message.ticket.number}.m{message.pk}.{secrets.token_hex(10)}@{domain}>"


def earlier_email_ids(message: Message) -> list[tuple[str, str]]:
    """(Message-ID, direction) of the ticket's earlier email messages, oldest first."""
    return earlier_email_ids_many([message])[message.pk]


# The ticket's messages through its index (with no `external_id <> ''` to tempt the planner
# into the Message-ID index and every email of every ticket); ids filtered here. Messages
# that a merge brought from another customer's ticket are not the customer's thread: their
# ids (a mail client's carry its owner's domain) are left out.
THREAD_IDS = f"""
    SELECT t.id, m.id, m.external_id, m.direction
    FROM unnest(%s::bigint[]) AS t(id),
    LATERAL (
        SELECT id, external_id, direction, created_at, origin_ticket_id
        FROM {Message._meta.db_table}
        WHERE ticket_id = t.id AND channel = %s OFFSET 0
    ) AS m
    WHERE m.origin_ticket_id IS NULL OR (
        SELECT o.customer_id FROM {Ticket._meta.db_table} o WHERE o.id = m.origin_ticket_id
    ) = (SELECT c.customer_id FROM {Ticket._meta.db_table} c WHERE c.id = t.id)
    ORDER BY m.created_at, m.id
"""  # noqa: S608 - the table names are ours, values are parameters


def earlier_email_ids_many(messages: Sequence[Message]) -> dict[int, list[tuple[str, str]]]:
    """`earlier_email_ids` of many messages, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(THREAD_IDS, [list({m.ticket_id for m in messages}), Channel.EMAIL])
        rows = cursor.fetchall()
    by_ticket: dict[int, list[tuple[int, str, str]]] = {}
    for ticket_id, pk, external_id, direction in rows:
        if external_id:
            by_ticket.setdefault(ticket_id, []).append((pk, external_id, direction))
    return {
        m.pk: [(mid, d) for pk, mid, d in by_ticket.get(m.ticket_id, []) if pk != m.pk]
        for m in messages
    }


def mailbox_for(ticket_id: int) -> Mailbox | None:
    """The mailbox the customer last wrote to on this ticket, so the reply comes from the
    address they wrote to; for tickets that did not come by email, the first active mailbox
    (one with its own SMTP server first). None: Django's own mail settings.

    A mailbox without an SMTP server of its own still lends its From address; the mail then
    goes through the default SMTP relay (EMAIL_HOST), as with an MTA pipe for inbound mail."""
    return mailboxes_for([ticket_id])[ticket_id]


# For each ticket: its five latest emails through the ticket's index, then, from the newest,
# the first of them that came through the inbox. Written key by key (`OFFSET 0` keeps each
# subquery to its index) so the plan does not depend on the planner's statistics.
LAST_MAILBOXES = f"""
    SELECT t.id, (
        SELECT (SELECT e.payload -> 'mailbox' FROM {InboundEvent._meta.db_table} e
                WHERE e.message_id = latest.id LIMIT 1)
        FROM (
            SELECT ours.id FROM (
                SELECT m.id FROM {Message._meta.db_table} m
                WHERE m.ticket_id = t.id AND m.channel = %s AND m.direction = %s OFFSET 0
            ) AS ours ORDER BY ours.id DESC LIMIT 5
        ) AS latest
        WHERE EXISTS (SELECT 1 FROM {InboundEvent._meta.db_table} e WHERE e.message_id = latest.id)
        ORDER BY latest.id DESC LIMIT 1)
    FROM unnest(%s::bigint[]) AS t(id)
"""  # noqa: S608 - table names are ours, values are parameters


def mailboxes_for(ticket_ids: Iterable[int]) -> dict[int, Mailbox | None]:
    """`mailbox_for` of many tickets, in one query."""
    ticket_ids = list(dict.fromkeys(ticket_ids))
    with connection.cursor() as cursor:
        cursor.execute(LAST_MAILBOXES, [Channel.EMAIL, Direction.IN, ticket_ids])
        # jsonb comes back as text or decoded, depending on the driver's loaders.
        last = {tid: json.loads(v) if isinstance(v, str) else v for tid, v in cursor.fetchall()}
    known = mailboxes()
    active = [m for m in known.values() if m.is_active]
    fallback = next((m for m in active if m.smtp_host), None) or next(iter(active), None)
    return {
        ticket_id: known[last[ticket_id]]
        if last.get(ticket_id) in known and known[last[ticket_id]].is_active
        else fallback
        for ticket_id in ticket_ids
    }


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
    delivery: OutboundDelivery,
    mailbox: Mailbox | None = None,
    *,
    earlier: list[tuple[str, str]] | None = None,
    attachments: list[Attachment] | None = None,
) -> EmailMultiAlternatives:
    """The email of a delivery; `earlier` (the thread's ids) and `attachments` when the
    caller read them for many deliveries at once."""
    message = delivery.message
    reply = customer_output.reply_content(message, delivery.address, attachments=attachments)
    earlier = earlier_email_ids(message) if earlier is None else earlier
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
            email.attach(strip_bidi(attachment.name), f.read(), attachment.content_type)
    return email


class EmailSender:
    kind = Channel.EMAIL
    identity_kind = IdentityKind.EMAIL

    def prepare(self, delivery: OutboundDelivery) -> None:
        message = delivery.message
        if not message.external_id:
            self.prepare_many([delivery])
            message.save(update_fields=["external_id"])

    def prepare_many(self, deliveries: Sequence[OutboundDelivery]) -> None:
        """Give each message its Message-ID, in memory (the caller writes it)."""
        waiting = [d.message for d in deliveries if not d.message.external_id]
        domain_given = bool(settings.HELPDESK_EMAIL_DOMAIN)
        boxes = {} if domain_given else mailboxes_for(m.ticket_id for m in waiting)
        for message in waiting:
            message.external_id = new_message_id(message, boxes.get(message.ticket_id))

    def send(self, delivery: OutboundDelivery) -> ProviderResult:
        result = self.send_many([delivery])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def send_many(self, deliveries: Sequence[OutboundDelivery]) -> list[ProviderResult | Exception]:
        """Send each delivery, each with its own outcome: what the thread and the files need
        is read once for all, and one connection per mailbox carries their mail."""
        messages = [d.message for d in deliveries]
        boxes = mailboxes_for(m.ticket_id for m in messages)
        earlier = earlier_email_ids_many(messages)
        files = customer_output.public_attachments(messages)
        connections: dict[int | None, object] = {}
        results: list[ProviderResult | Exception] = []
        try:
            for delivery in deliveries:
                message = delivery.message
                mailbox = boxes[message.ticket_id]
                try:
                    email = build_email(delivery, mailbox, earlier=earlier[message.pk],
                                        attachments=files[message.pk])  # fmt: skip
                except Exception as error:  # a bug: this delivery is retried, not the others
                    results.append(error)
                    continue
                key = mailbox.pk if mailbox and mailbox.smtp_host else None
                if key not in connections:
                    connections[key] = connection_for(mailbox)
                results.append(_send(connections[key], email, message.external_id))
        finally:
            for connection in connections.values():
                connection.close()
        return results


def _send(connection, email: EmailMultiAlternatives, message_id: str) -> ProviderResult:
    """Send one email on a connection that stays open for the next. A refused recipient leaves
    the session as it was (the client resets it); after any other failure the connection is
    closed, so the next email opens it afresh."""
    try:
        connection.open()  # once: it stays open (an SMTP backend opens and closes otherwise)
        connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as error:
        code, answer = next(iter(error.recipients.values()))
        return _classify(code, answer)
    except smtplib.SMTPResponseException as error:
        connection.close()
        return _classify(error.smtp_code, error.smtp_error)
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        connection.close()
        return TemporaryDeliveryError(f"Mail server unreachable: {error}")
    return ProviderResult(provider_message_id=message_id)


def _classify(code: int, answer: bytes | str) -> Exception:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    detail = f"{code} {text}".strip()
    if 500 <= code < 600:
        return PermanentDeliveryError(f"The mail server refused the message: {detail}")
    return TemporaryDeliveryError(f"The mail server asked to try later: {detail}")
