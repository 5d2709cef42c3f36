"""Live updates over the websocket: what another process writes appears in open pages within
two seconds, and two agents on one ticket see each other (presence)."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import appears_within, wait_until_listening
from tests.e2e.stories import customer_writes, ingest_in_another_process
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

LIVE_SECONDS = 2


def test_a_customer_message_from_another_process_appears_on_the_open_ticket_page(page_for):
    # Given: an agent with a ticket open, its page listening on the websocket.
    agent = UserFactory(full_name="Vasya Pupkin", groups=[GroupFactory(name="Support")])
    ticket = customer_writes(text="Здравствуйте! Заказ 4417 так и не пришёл.")
    page = page_for(agent)
    page.goto(f"/tickets/{ticket.number}/")
    wait_until_listening(page, ticket=True)
    text = f"Добавлю: трек-номер RX-{uuid.uuid4().hex[:8]}"

    # When: the customer writes again, ingested by another process (as a worker would).
    number = ingest_in_another_process(text=text, number=ticket.number)
    written = time.monotonic()

    # Then: the message is on the open page within two seconds, without a reload.
    assert number == ticket.number
    took = appears_within(
        page, page.locator("#ticket-live").get_by_text(text), LIVE_SECONDS, since=written
    )
    assert took < LIVE_SECONDS
    assert page.js_errors == []


def test_a_new_ticket_from_another_process_appears_in_the_open_queue(page_for):
    # Given: an agent on the open queue, its page listening on the websocket.
    agent = UserFactory(full_name="Vasya Pupkin", groups=[GroupFactory(name="Support")])
    customer_writes(text="Старый вопрос, уже в очереди.", subject="Старый вопрос")
    page = page_for(agent)
    page.goto("/tickets/?queue=open")
    wait_until_listening(page, ticket=False)
    subject = f"Не работает оплата картой {uuid.uuid4().hex[:6]}"

    # When: a new customer's first message is ingested by another process.
    number = ingest_in_another_process(
        text="Карта не проходит.", subject=subject, sender="new.customer@mail.example"
    )
    written = time.monotonic()

    # Then: the queue shows the new ticket within two seconds, without a reload.
    took = appears_within(
        page, page.locator("#queue-live").get_by_text(subject), LIVE_SECONDS, since=written
    )
    assert took < LIVE_SECONDS
    assert page.locator(f'#queue-live tr[data-number="{number}"]').count() == 1
    assert page.js_errors == []


def test_two_agents_on_one_ticket_see_who_is_viewing_and_who_is_writing(page_for):
    # Given: Anna has a ticket open; Vasya opens it too.
    support = GroupFactory(name="Support")
    anna = UserFactory(full_name="Anna Smirnova", groups=[support])
    vasya = UserFactory(full_name="Vasya Pupkin", groups=[support])
    ticket = customer_writes(text="Помогите вернуть деньги за рюкзак.")
    annas = page_for(anna)
    annas.goto(f"/tickets/{ticket.number}/")
    wait_until_listening(annas, ticket=True)
    vasyas = page_for(vasya)
    vasyas.goto(f"/tickets/{ticket.number}/")
    wait_until_listening(vasyas, ticket=True)

    # Then: each page names the other as viewing it. Vasya's arrival is announced at once;
    # Anna announced herself before Vasya listened, so he hears her next heartbeat (10 s).
    expect(annas.locator("#presence")).to_have_text("Vasya is viewing this ticket", timeout=5000)
    expect(vasyas.locator("#presence")).to_have_text("Anna is viewing this ticket", timeout=12000)

    # When: Vasya starts typing a reply.
    vasyas.locator("#reply-text").press_sequentially("Здравствуйте, Марина", delay=20)

    # Then: Anna sees that he is writing, at once.
    expect(annas.locator("#presence")).to_have_text("Vasya is writing…", timeout=3000)
    assert annas.js_errors == [] and vasyas.js_errors == []
