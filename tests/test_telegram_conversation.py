"""A Telegram chat as a conversation: the number comes back at once, /start greets, the next
message joins the ticket of that bot's chat, a solved ticket reopens within the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_inbound.models import OutboundDelivery, TelegramChat
from tests.helpers_telegram import IRINA, JOHN, make_bot, post, text_update
from tickets.models import CustomerIdentity, DeliveryStatus, Direction, Status, Ticket


@pytest.fixture
def bot(support, fake_telegram):
    return make_bot(fake_telegram, support)


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """Post updates the way Telegram does; the drainers and the outbox run after commit."""

    def send_(bot, *updates):
        with django_capture_on_commit_callbacks(execute=True):
            for update in updates:
                post(client, bot, update)

    return send_


def test_a_new_ticket_is_acknowledged_in_the_chat_with_its_number(bot, fake_telegram, send):
    send(bot, text_update("Заказ <b>4821</b> не доставлен & всё"))

    ticket = Ticket.objects.get()
    text = ticket.messages.get(direction=Direction.IN).text
    assert text == "Заказ <b>4821</b> не доставлен & всё"
    [sent] = fake_telegram.sent()
    assert sent["chat_id"] == IRINA["id"] and sent["parse_mode"] == "HTML"
    assert sent["text"] == f"Ваше обращение №{ticket.number} зарегистрировано. Ответим в этом чате."
    ack = ticket.messages.get(direction=Direction.OUT)
    assert ack.is_auto_generated and ack.delivery_status == DeliveryStatus.SENT
    delivery = OutboundDelivery.objects.get()
    assert delivery.status == "sent" and delivery.provider_message_id == "9001"
    assert ack.external_id == f"tg:{bot.pk}:{IRINA['id']}:9001"


def test_the_acknowledgement_speaks_english_to_an_english_customer(bot, fake_telegram, send):
    bot.acknowledgement_en = "Got it: request #{{ number }} <we answer soon>"
    bot.save()

    send(bot, text_update("My parcel is late", user=JOHN))

    number = Ticket.objects.get().number
    assert fake_telegram.sent()[0]["text"] == f"Got it: request #{number} &lt;we answer soon&gt;"


@pytest.mark.parametrize(("user", "greeting"), [(IRINA, "Здравствуйте!"), (JOHN, "Hello!")])
def test_start_is_greeted_and_makes_no_ticket(bot, fake_telegram, send, user, greeting):
    send(bot, text_update("/start", user=user), text_update("/start ticket_4821", user=user))

    assert not Ticket.objects.exists()
    assert [m["text"][: len(greeting)] for m in fake_telegram.sent()] == [greeting, greeting]
    assert {m["chat_id"] for m in fake_telegram.sent()} == {user["id"]}


def test_the_next_message_joins_the_open_ticket_of_that_chat(bot, fake_telegram, send):
    send(bot, text_update("Первое"))
    send(bot, text_update("Второе"), text_update("Третье"))

    ticket = Ticket.objects.get()
    texts = list(ticket.messages.filter(direction=Direction.IN).order_by("id")
                 .values_list("text", flat=True))  # fmt: skip
    assert texts == ["Первое", "Второе", "Третье"]
    assert len(fake_telegram.sent()) == 1  # one acknowledgement, for the new ticket only
    assert TelegramChat.objects.get().ticket == ticket


def test_a_message_to_another_bot_opens_a_ticket_of_its_own(bot, fake_telegram, support, send):
    other = make_bot(fake_telegram, support, name="Billing", username="acme_billing_bot")

    send(bot, text_update("Вопрос по доставке"))
    send(other, text_update("Вопрос по оплате"))

    assert Ticket.objects.count() == 2
    assert TelegramChat.objects.count() == 2


@pytest.mark.parametrize(
    ("status", "solved_hours_ago", "reopened"),
    [(Status.SOLVED, 1, True), (Status.SOLVED, 80, False), (Status.CLOSED, 1, False)],
)
def test_a_solved_ticket_reopens_within_the_window_later_a_new_linked_one(
    bot, send, settings, status, solved_hours_ago, reopened
):
    settings.HELPDESK_MESSENGER_REOPEN_DAYS = 3
    send(bot, text_update("Не работает оплата"))
    old = Ticket.objects.get()
    solved_at = timezone.now() - timedelta(hours=solved_hours_ago)
    Ticket.objects.filter(pk=old.pk).update(status=status, solved_at=solved_at)

    send(bot, text_update("Снова не работает"))

    if reopened:
        assert Ticket.objects.count() == 1
        old.refresh_from_db()
        assert old.status == Status.OPEN and old.messages.filter(direction="in").count() == 2
    else:
        new = Ticket.objects.exclude(pk=old.pk).get()
        assert new.follow_up_of == old and new.messages.get(direction="in").text == (
            "Снова не работает")  # fmt: skip
        assert TelegramChat.objects.get().ticket == new


def test_a_blocked_bot_fails_the_delivery_and_marks_the_customer_unreachable(
    bot, fake_telegram, send
):
    fake_telegram.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")

    send(bot, text_update("Привет"))

    delivery = OutboundDelivery.objects.get()
    assert delivery.status == "failed" and "blocked the bot" in delivery.last_error
    ack = Ticket.objects.get().messages.get(direction=Direction.OUT)
    assert ack.delivery_status == DeliveryStatus.FAILED
    assert CustomerIdentity.objects.get().is_reachable is False


def test_too_many_requests_waits_as_long_as_telegram_says(bot, fake_telegram, send):
    fake_telegram.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    before = timezone.now()

    send(bot, text_update("Привет"))

    delivery = OutboundDelivery.objects.get()
    assert delivery.status == "retry" and "429" in delivery.last_error
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 7 <= wait < 9


def test_telegram_down_retries_with_backoff(bot, fake_telegram, send):
    fake_telegram.fail("sendMessage", 502, "Bad Gateway")
    before = timezone.now()

    send(bot, text_update("Привет"))

    delivery = OutboundDelivery.objects.get()
    assert delivery.status == "retry"
    assert (delivery.next_attempt_at - before).total_seconds() >= 30


@pytest.mark.parametrize(
    ("user", "heading", "line"),
    [(IRINA, "Ваши открытые обращения:", "№{n} Не приходит код — Мы работаем над вашим обращением"),
     (JOHN, "Your open requests:", "#{n} Не приходит код — We are working on it")],
)  # fmt: skip
def test_status_lists_the_customers_open_tickets_in_plain_words(
    bot, fake_telegram, send, user, heading, line
):
    send(bot, text_update("Не приходит код", user=user))
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.OPEN)
    fake_telegram.calls.clear()

    send(bot, text_update("/status", user=user))

    [sent] = fake_telegram.sent()
    assert sent["chat_id"] == user["id"]
    assert sent["text"].splitlines() == [heading, line.format(n=ticket.number)]
    assert Ticket.objects.count() == 1 and ticket.messages.count() == 2  # no new content


def test_status_with_nothing_open_says_so(bot, fake_telegram, send):
    send(bot, text_update("/status", user=JOHN))

    assert fake_telegram.sent()[0]["text"].startswith("You have no open requests.")


def test_a_button_press_is_answered(client, bot, fake_telegram, django_capture_on_commit_callbacks):
    from channels_inbound.models import InboundEvent
    from tests.test_telegram_webhook import corpus_file

    with django_capture_on_commit_callbacks(execute=True):
        post(client, bot, corpus_file("doc-callback-query.json"))

    assert InboundEvent.objects.get().status == "ignored"
    assert fake_telegram.sent("answerCallbackQuery") == [
        {"callback_query_id": "4382bfdwdsb323b2d9"}
    ]
    assert not Ticket.objects.exists()
