"""A Viber conversation end to end against the local Viber API: the greeting when the chat
opens, the ticket number at once, the next messages on the same ticket, reopen or a new
ticket after a solved one, and the receipts of our messages."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_inbound.models import OutboundDelivery
from tests.viber_helpers import corpus_bytes
from tickets.models import DeliveryStatus, Direction, Status, Ticket

USER = "01234567890A="


def customer_says(text: str, token: int, language: str = "en") -> bytes:
    """A `message` callback of the corpus's customer, with our text and token."""
    data = json.loads(corpus_bytes("message-text-doc.json"))
    data["message_token"] = token
    data["sender"]["language"] = language
    data["message"] = {"type": "text", "text": text}
    return json.dumps(data, ensure_ascii=False).encode()


def acknowledgements(ticket: Ticket):
    return ticket.messages.filter(direction=Direction.OUT, is_auto_generated=True)


def test_a_new_ticket_is_acknowledged_with_its_number_in_the_chat_at_once(bot, deliver, fake_viber):
    deliver(corpus_bytes("message-text-doc.json"))

    ticket = Ticket.objects.get()
    [sent] = fake_viber.sent()
    assert sent["receiver"] == USER and sent["type"] == "text"
    assert sent["sender"] == {"name": "Shop support"}
    assert sent["text"] == (
        f"We received your request and gave it the number #{ticket.number}. "
        "An agent will answer you in this chat."
    )
    assert fake_viber.calls[0].token == "test-token-123"
    ack = acknowledgements(ticket).get()
    assert ack.delivery_status == DeliveryStatus.SENT and ack.text == sent["text"]
    delivery = OutboundDelivery.objects.get(message=ack)
    assert delivery.status == "sent" and delivery.provider_message_id == "5741311803571721087"


def test_a_russian_customer_is_acknowledged_in_russian_in_the_bots_words(bot, deliver, fake_viber):
    bot.acknowledgement_ru = "{{ customer_name }}, ваше обращение №{{ number }} принято."
    bot.avatar = "https://media.example/avatar.jpg"
    bot.save()

    deliver(customer_says("Где мой заказ?", 7001, language="ru"))

    ticket = Ticket.objects.get()
    [sent] = fake_viber.sent()
    assert sent["text"] == f"John McClane, ваше обращение №{ticket.number} принято."
    assert sent["sender"] == {"name": "Shop support", "avatar": "https://media.example/avatar.jpg"}


@pytest.mark.parametrize(("language", "greeting"), [
    ("en", "Hello! Write your question here and we will answer in this chat."),
    ("ru", "Здравствуйте! Напишите свой вопрос здесь, и мы ответим в этом чате."),
])  # fmt: skip
def test_opening_the_chat_is_answered_with_the_greeting(
    language, greeting, bot, deliver, fake_viber
):
    data = json.loads(corpus_bytes("conversation-started.json"))
    data["user"]["language"] = language

    answer = deliver(json.dumps(data).encode())

    assert answer.status_code == 200
    assert answer.json() == {"sender": {"name": "Shop support"}, "type": "text",
                             "text": greeting}  # fmt: skip
    assert not fake_viber.sent() and not Ticket.objects.exists()


def test_the_corpus_conversation_started_gets_the_greeting_too(bot, deliver):
    answer = deliver(corpus_bytes("conversation-started.json"))

    assert answer.json()["text"] == bot.greeting_en


def test_the_customers_next_message_joins_their_open_ticket_without_a_second_number(
    bot, deliver, fake_viber
):
    deliver(customer_says("My order is late", 7001))

    deliver(customer_says("Any news?", 7002))

    ticket = Ticket.objects.get()
    customer_texts = ticket.messages.filter(direction=Direction.IN).order_by("id")
    assert [m.text for m in customer_texts] == ["My order is late", "Any news?"]
    assert len(fake_viber.sent()) == 1


def solve(ticket: Ticket, days_ago: float) -> None:
    solved_at = timezone.now() - timedelta(days=days_ago)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.SOLVED, solved_at=solved_at)


def test_a_message_soon_after_the_ticket_was_solved_reopens_it(bot, deliver, fake_viber, settings):
    settings.HELPDESK_MESSENGER_REOPEN_DAYS = 7
    deliver(customer_says("My order is late", 7001))
    ticket = Ticket.objects.get()
    solve(ticket, days_ago=6.9)

    deliver(customer_says("It did not come after all", 7002))

    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1 and ticket.status == Status.OPEN
    assert ticket.messages.filter(direction=Direction.IN).count() == 2


def test_a_message_after_the_window_opens_a_new_ticket_linked_to_the_solved_one(
    bot, deliver, fake_viber, settings
):
    settings.HELPDESK_MESSENGER_REOPEN_DAYS = 7
    deliver(customer_says("My order is late", 7001))
    old = Ticket.objects.get()
    solve(old, days_ago=7.1)

    deliver(customer_says("A new question", 7002))

    new = Ticket.objects.exclude(pk=old.pk).get()
    old.refresh_from_db()
    assert old.status == Status.SOLVED and new.follow_up_of == old
    assert new.messages.get(direction=Direction.IN).text == "A new question"
    assert [s["text"].split("#")[1][: len(str(new.number))] for s in fake_viber.sent()] == [
        str(old.number),
        str(new.number),
    ]


def test_a_closed_ticket_is_never_reopened_by_the_chat(bot, deliver, fake_viber):
    deliver(customer_says("My order is late", 7001))
    old = Ticket.objects.get()
    Ticket.objects.filter(pk=old.pk).update(status=Status.CLOSED)

    deliver(customer_says("Hello again", 7002))

    assert Ticket.objects.exclude(pk=old.pk).get().follow_up_of == old


def test_vibers_receipts_of_the_acknowledgement_show_delivered_then_seen(
    bot, deliver, fake_viber, client
):
    deliver(customer_says("My order is late", 7001))
    ack = acknowledgements(Ticket.objects.get()).get()
    token = OutboundDelivery.objects.get(message=ack).provider_message_id

    states = []
    for event in ("delivered", "seen", "delivered"):
        receipt = {"event": event, "timestamp": 1595324677891, "chat_hostname": "SN-CHAT-02_",
                   "message_token": int(token), "user_id": USER}  # fmt: skip
        deliver(json.dumps(receipt).encode())
        ack.refresh_from_db()
        states.append(ack.delivery_status)

    assert states == [DeliveryStatus.DELIVERED, DeliveryStatus.SEEN, DeliveryStatus.SEEN]
