"""The outbox against a real SMTP server: sent once, threaded, retried, failures shown."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from channels_inbound import outbox
from channels_inbound.models import OutboundDelivery
from tests.conftest import inbound
from tests.smtp_server import free_port, point_django_at
from tickets import services
from tickets.models import DeliveryStatus, EventKind, Message
from tickets.types import ThreadHints


def reply_on_new_ticket(agent, *, text: str, external_id: str = ""):
    ticket = services.ticket_ingest(message=inbound(external_id=external_id)).ticket
    message = services.ticket_reply(ticket=ticket, by=agent, text=text)
    return ticket, message, OutboundDelivery.objects.get(message=message)


def test_a_reply_reaches_the_smtp_server_with_its_number_and_both_parts(smtp, agent, customer):
    ticket, message, delivery = reply_on_new_ticket(agent, text="Your refund of 5% is on its way.")

    status = outbox.deliver(delivery_id=delivery.pk, now=timezone.now())

    assert status == "sent"
    assert len(smtp.received) == 1
    assert smtp.received[0].rcpt_tos == ["marina@mail.example"]
    sent = smtp.parsed()
    assert f"[#{ticket.number}]" in sent["Subject"]
    message.refresh_from_db()
    assert sent["Message-ID"] == message.external_id
    ours = rf"<t{ticket.number}\.m{message.pk}\.(?P<random>[0-9a-f]{{20}})@[^>]+>"
    assert re.fullmatch(ours, sent["Message-ID"])
    plain = sent.get_body(preferencelist=("plain",))
    html = sent.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert "Your refund of 5% is on its way." in plain.get_content()
    assert "Your refund of 5% is on its way." in html.get_content()
    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.SENT
    assert delivery.attempts == 1
    assert delivery.provider_message_id == message.external_id
    assert delivery.sent_at is not None
    assert message.delivery_status == DeliveryStatus.SENT


def test_a_reply_after_the_customers_email_answers_it_in_the_thread(smtp, agent, customer):
    ticket, first, first_delivery = reply_on_new_ticket(agent, text="Which order was it?")
    outbox.deliver(delivery_id=first_delivery.pk, now=timezone.now())
    services.ticket_ingest(
        message=inbound(
            external_id="<cust-1@mail.example>",
            subject=f"Re: [#{ticket.number}] Backpack discount",
            text="Order 42.",
            hints=ThreadHints(external_ids=(first.external_id,), ticket_number=ticket.number),
        )
    )
    assert Message.objects.get(external_id="<cust-1@mail.example>").ticket_id == ticket.pk
    second = services.ticket_reply(ticket=ticket, by=agent, text="Refund issued for order 42.")
    second_delivery = OutboundDelivery.objects.get(message=second)

    status = outbox.deliver(delivery_id=second_delivery.pk, now=timezone.now())

    assert status == "sent"
    assert len(smtp.received) == 2
    answer = smtp.parsed(1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert answer["In-Reply-To"] == "<cust-1@mail.example>"
    references = answer["References"].split()
    assert "<cust-1@mail.example>" in references
    assert first.external_id in references
    assert answer["Message-ID"] == second.external_id != first.external_id
    assert "Refund issued for order 42." in answer.get_body(("plain",)).get_content()


def test_delivering_the_same_delivery_twice_sends_once(smtp, agent, customer):
    _, _, delivery = reply_on_new_ticket(agent, text="Sent exactly once.")

    first = outbox.deliver(delivery_id=delivery.pk, now=timezone.now())
    second = outbox.deliver(delivery_id=delivery.pk, now=timezone.now())

    assert first == second == "sent"
    assert len(smtp.received) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_temporary_refusal_waits_and_the_retry_sends(smtp, agent, customer):
    _, message, delivery = reply_on_new_ticket(agent, text="Coming through eventually.")
    smtp.refuse_data = "451 4.3.0 Try again later"
    now = timezone.now()

    status = outbox.deliver(delivery_id=delivery.pk, now=now)

    assert status == "retry"
    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.RETRY
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    assert "451" in delivery.last_error
    assert "Try again later" in delivery.last_error
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.QUEUED
    assert smtp.received == []

    smtp.refuse_data = ""
    retried = outbox.deliver(delivery_id=delivery.pk, now=now + timedelta(seconds=31))

    assert retried == "sent"
    assert len(smtp.received) == 1
    delivery.refresh_from_db()
    message.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.SENT
    assert delivery.attempts == 2
    assert delivery.last_error == ""
    assert message.delivery_status == DeliveryStatus.SENT


def test_a_retry_before_its_time_does_not_send(smtp, agent, customer):
    _, _, delivery = reply_on_new_ticket(agent, text="Not yet.")
    smtp.refuse_rcpt = "451 4.3.0 Try again later"
    now = timezone.now()
    outbox.deliver(delivery_id=delivery.pk, now=now)
    smtp.refuse_rcpt = ""

    status = outbox.deliver(delivery_id=delivery.pk, now=now + timedelta(seconds=10))

    assert status == "retry"
    assert smtp.received == []
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_permanent_refusal_fails_and_the_agent_sees_why(smtp, agent, customer, api):
    ticket, message, delivery = reply_on_new_ticket(agent, text="This will bounce.")
    smtp.refuse_rcpt = "550 5.1.1 No such user"

    status = outbox.deliver(delivery_id=delivery.pk, now=timezone.now())

    assert status == "failed"
    delivery.refresh_from_db()
    message.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "550" in message.delivery_error
    assert "No such user" in message.delivery_error
    failed = ticket.events.get(kind=EventKind.DELIVERY_FAILED)
    assert failed.new["message_id"] == message.pk
    assert "550" in failed.note
    assert smtp.received == []
    response = api(agent).get(f"/api/v1/tickets/{ticket.number}/")
    assert response.status_code == 200
    shown = next(
        entry["message"]
        for entry in response.json()["timeline"]
        if entry["type"] == "message" and entry["message"]["id"] == message.pk
    )
    assert shown["delivery_status"] == "failed"
    assert "550" in shown["delivery_error"]
    assert "No such user" in shown["delivery_error"]


def test_a_failed_delivery_is_not_sent_again(smtp, agent, customer):
    _, _, delivery = reply_on_new_ticket(agent, text="Bounced for good.")
    smtp.refuse_rcpt = "550 5.1.1 No such user"
    outbox.deliver(delivery_id=delivery.pk, now=timezone.now())
    smtp.refuse_rcpt = ""

    status = outbox.deliver(delivery_id=delivery.pk, now=timezone.now() + timedelta(hours=1))

    assert status == "failed"
    assert smtp.received == []


def test_an_unreachable_mail_server_is_retried(settings, agent, customer):
    point_django_at(settings, free_port())  # nothing listens there
    _, message, delivery = reply_on_new_ticket(agent, text="Nobody home.")
    now = timezone.now()

    status = outbox.deliver(delivery_id=delivery.pk, now=now)

    assert status == "retry"
    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.RETRY
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    assert "mail server" in delivery.last_error.lower()
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.QUEUED


def test_sweep_rescues_a_delivery_stuck_sending_and_sends_it(smtp, agent, customer):
    _, _, stuck = reply_on_new_ticket(agent, text="The worker died mid-send.")
    _, _, busy = reply_on_new_ticket(agent, text="A worker is sending this right now.")
    now = timezone.now()
    OutboundDelivery.objects.filter(pk=stuck.pk).update(
        status=OutboundDelivery.Status.SENDING, updated_at=now - timedelta(minutes=11)
    )
    OutboundDelivery.objects.filter(pk=busy.pk).update(
        status=OutboundDelivery.Status.SENDING, updated_at=now - timedelta(minutes=5)
    )

    requeued = outbox.sweep(now=now)

    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert requeued == 1
    assert stuck.status == OutboundDelivery.Status.SENT
    assert stuck.attempts == 1
    assert busy.status == OutboundDelivery.Status.SENDING
    assert len(smtp.received) == 1
    assert "The worker died mid-send." in smtp.parsed().get_body(("plain",)).get_content()
