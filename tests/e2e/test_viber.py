"""Viber end to end: the real server, the local Viber API, Chromium. A customer's Viber
message becomes a ticket and they get its number in the chat; the agent's reply from the
ticket page reaches Viber with the right chat id; Viber's receipts show "Delivered" and then
"Seen" on the open page, and the customer's next message joins the ticket live."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from channels_inbound.models import OutboundDelivery
from channels_inbound.viber.models import ViberBot
from tests.e2e.conftest import appears_within, screenshot, wait_until_listening
from tests.factories import GroupFactory, UserFactory
from tests.fake_viber import fake_viber_fixture
from tests.viber_helpers import TOKEN, sign
from tickets.models import Direction, Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

USER = "xWxFWBYHceVLi80yULnRkw=="
WORDS = {
    "en": {"ask": "Hello! My order 4417 has not arrived.", "more": "The tracking number is RX-77.",
           "reply": "Sorry for the wait! It left the warehouse today.", "send": "Send reply",
           "delivered": "Delivered", "seen": "Seen"},
    "ru": {"ask": "Здравствуйте! Заказ 4417 так и не пришёл.", "more": "Трек-номер RX-77.",
           "reply": "Извините за ожидание! Заказ отправлен сегодня.", "send": "Отправить ответ",
           "delivered": "Доставлено", "seen": "Прочитано"},
}  # fmt: skip


@pytest.fixture
def viber(settings):
    yield from fake_viber_fixture(settings, {TOKEN: "Shop support"})


def callback(server: str, bot: ViberBot, body: dict) -> int:
    """Viber posting a signed callback to the running server."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Viber-Content-Signature": sign(raw)}
    url = f"{server}/api/v1/inbound/viber/{bot.pk}/"
    request = urllib.request.Request(url, data=raw, method="POST", headers=headers)  # noqa: S310
    with urllib.request.build_opener().open(request, timeout=10) as answer:
        return answer.status


def says(text: str, token: int, language: str) -> dict:
    return {"event": "message", "timestamp": 1479039750092, "message_token": token,
            "sender": {"id": USER, "name": "Idan Harel", "language": language},
            "message": {"type": "text", "text": text}}  # fmt: skip


def eventually(check, seconds: float = 10):
    """What `check` returns once it is truthy (the worker runs after the webhook answered)."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)
    return found


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_viber_customer_gets_the_number_the_reply_and_the_agent_sees_it_seen(
    lang, page_for, server, viber
):
    words = WORDS[lang]
    support = GroupFactory(name="Support")
    agent = UserFactory(full_name="Vasya Pupkin", groups=[support])
    bot = ViberBot(name="Shop support", group=support)
    bot.token = TOKEN
    bot.save()

    # The customer writes to the bot: a ticket, and its number in the chat at once.
    assert callback(server, bot, says(words["ask"], 9001, lang)) == 200
    ticket = eventually(lambda: Ticket.objects.first())
    ack = eventually(lambda: viber.sent())[0]
    assert ack["receiver"] == USER and f"#{ticket.number}" in ack["text"]

    # The agent answers from the ticket page; it reaches Viber with the customer's chat id.
    page = page_for(agent, lang)
    page.goto(f"/tickets/{ticket.number}/")
    wait_until_listening(page, ticket=True)
    page.fill("#reply-text", words["reply"])
    with page.expect_navigation():
        page.get_by_role("button", name=words["send"]).click()
    sent = eventually(lambda: [s for s in viber.sent() if s["text"] == words["reply"]])[0]
    assert sent["receiver"] == USER and sent["sender"]["name"] == "Shop support"
    wait_until_listening(page, ticket=True)

    # Viber's receipts: the reply shows delivered, then seen, on the open page.
    reply = Message.objects.get(ticket=ticket, direction=Direction.OUT, is_auto_generated=False)
    token = int(OutboundDelivery.objects.get(message=reply).provider_message_id)
    for event in ("delivered", "seen"):
        receipt = {"event": event, "timestamp": 1595324677891, "message_token": token,
                   "user_id": USER}  # fmt: skip
        assert callback(server, bot, receipt) == 200
        badge = page.locator(f"#ticket-live .delivery-{event}").filter(has_text=words[event])
        appears_within(page, badge, 5, since=time.monotonic())

    # The customer's next message joins the same ticket, live on the open page.
    assert callback(server, bot, says(words["more"], 9002, lang)) == 200
    appears_within(page, page.locator("#ticket-live").get_by_text(words["more"]), 5,
                   since=time.monotonic())  # fmt: skip
    assert Ticket.objects.count() == 1
    screenshot(page, lang, "viber-ticket-seen")
    assert page.js_errors == []
