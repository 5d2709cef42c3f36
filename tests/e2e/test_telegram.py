"""Telegram end to end: a message to the bot becomes a ticket and the customer gets its
number; the agent's reply from the ticket page reaches the fake Bot API with the chat's id;
the customer's next message joins the ticket live on the open page. In both languages."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.e2e.conftest import appears_within, screenshot, wait_until_listening
from tests.factories import GroupFactory, UserFactory
from tests.helpers_telegram import IRINA, JOHN, SECRET, make_bot, text_update
from tickets.models import Direction, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": {"user": JOHN, "first": "My parcel 4821 has not arrived", "reply": "Send reply",
           "next": "Tracking number is RX-5521", "answer": "Sorry! It leaves today."},
    "ru": {"user": IRINA, "first": "Заказ 4821 до сих пор не доставлен", "reply": "Отправить ответ",
           "next": "Трек-номер RX-5521", "answer": "Извините! Отправим сегодня."},
}  # fmt: skip


def telegram_posts(server: str, bot, update: dict) -> None:
    """What Telegram does: POST the update to the bot's webhook with the secret."""
    request = urllib.request.Request(  # noqa: S310 - the local test server
        f"{server}/api/v1/inbound/telegram/{bot.pk}/",
        data=json.dumps(update, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
        assert response.status == 200


def wait_for(condition, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{condition} did not come true within {seconds} s")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_telegram_conversation_from_the_bot_to_the_ticket_page_and_back(
    page_for, server, fake_telegram, lang
):
    words = WORDS[lang]
    support = GroupFactory(name="Support")
    agent = UserFactory(full_name="Vasya Pupkin", groups=[support])
    bot = make_bot(fake_telegram, support)

    # When the customer writes to the bot: a ticket, and its number in the chat at once.
    telegram_posts(server, bot, text_update(words["first"], user=words["user"]))
    ticket = wait_for(lambda: Ticket.objects.first())
    [ack] = wait_for(lambda: fake_telegram.sent())
    assert ack["chat_id"] == words["user"]["id"] and str(ticket.number) in ack["text"]

    # The agent answers from the ticket page: the reply goes to the chat the ticket came from.
    page = page_for(agent, lang)
    page.goto(f"/tickets/{ticket.number}/")
    assert words["first"] in page.locator("#ticket-live").inner_text()
    page.fill("#reply-text", words["answer"])
    with page.expect_navigation():
        page.get_by_role("button", name=words["reply"]).click()
    sent = wait_for(lambda: fake_telegram.sent()[1:])
    assert sent == [{"chat_id": words["user"]["id"], "parse_mode": "HTML",
                     "text": words["answer"]}]  # fmt: skip

    # The customer's next message joins the ticket, live on the open page.
    wait_until_listening(page, ticket=True)
    telegram_posts(server, bot, text_update(words["next"], user=words["user"]))
    written = time.monotonic()
    appears_within(page, page.locator("#ticket-live").get_by_text(words["next"]), 5,
                   since=written)  # fmt: skip
    assert Ticket.objects.count() == 1
    texts = ticket.messages.filter(direction=Direction.IN).values_list("text", flat=True)
    assert sorted(texts) == sorted([words["first"], words["next"]])
    screenshot(page, lang, "telegram-ticket")
    assert page.js_errors == []
