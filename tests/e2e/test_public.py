"""The public web form: a visitor's request becomes a ticket, the answer page names its number
and links to the customer's status page, which shows the message and takes another one."""

from __future__ import annotations

import re
import time

import pytest

from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def eventually(find, seconds=5.0):
    deadline = time.monotonic() + seconds
    while (found := find()) is None:
        assert time.monotonic() < deadline, "not there after 5 s"
        time.sleep(0.05)
    return found


def test_the_support_form_opens_a_ticket_and_links_to_its_status_page(page_for):
    # Given: a visitor on the support form.
    page = page_for()
    page.goto("/support/")
    text = "My order 5512 arrived without the charger. Can you send it separately?"

    # When: they fill it in and send it.
    page.fill("#f-name", "Elena Orlova")
    page.fill("#f-email", "elena@mail.example")
    page.fill("#f-subject", "Missing charger")
    page.fill("#f-text", text)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    # Then: the answer names the number of the ticket, which exists a moment later (the eager
    # worker is woken once the answer is sent).
    heading = page.inner_text("h1")
    match = re.fullmatch(r"We received your request #(\d+)", heading.strip())
    assert match, heading
    ticket = eventually(lambda: Ticket.objects.filter(number=int(match.group(1))).first())
    assert ticket.channel == Channel.WEB and ticket.subject == "Missing charger"
    assert ticket.customer.identities.filter(value="elena@mail.example").exists()
    assert ticket.messages.get(direction="in").text == text

    # When: they follow the link to their request.
    with page.expect_navigation():
        page.get_by_role("link", name="Open my request").click()

    # Then: the status page shows the number, the status and their message.
    assert re.search(r"/status/[^/]+/$", page.url), page.url
    assert page.inner_text("h1").strip() == f"Request #{ticket.number}"
    assert text in page.inner_text(".thread .bubble.mine")

    # When: they add to their request on the status page.
    more = "Here is the order number again: 5512."
    page.fill("#r-text", more)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    # Then: they are thanked, and the message is on the ticket and on their page.
    assert "your message was received" in page.inner_text("main")
    assert eventually(lambda: ticket.messages.filter(text=more).first())
    page.reload()  # the worker took it after the answer was sent
    assert more in page.inner_text(".thread")
    assert page.js_errors == []
