"""The ticket page's composer, seen from both sides: the agent's reply reaches the customer's
status page; an internal comment stays on the ticket page and never reaches the customer."""

from __future__ import annotations

import pytest

from channels_inbound.status_links import status_url
from comments.models import InternalComment
from tests.e2e.stories import CUSTOMER_EMAIL, customer_writes
from tests.factories import GroupFactory, UserFactory
from tickets.models import Direction, Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_reply_from_the_ticket_page_shows_on_the_customers_status_page(page_for):
    # Given: a customer's e-mail on a ticket, and an agent of the ticket's desk on its page.
    agent = UserFactory(full_name="Vasya Pupkin", groups=[GroupFactory(name="Support")])
    ticket = customer_writes(text="The parcel was due on Monday and it is still not here.")
    page = page_for(agent)
    page.goto(f"/tickets/{ticket.number}/")
    reply = "Sorry for the wait! The parcel left our warehouse today, tracking RX-5521."

    # When: they write in "Reply to customer" and press "Send reply".
    page.fill("#reply-text", reply)
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()

    # Then: the page says so and shows the reply in the conversation, the reply is stored as
    # an outgoing message, and the customer's own status page shows it.
    assert "Reply sent." in page.inner_text(".flash")
    assert reply in page.locator("#ticket-live .item.message.to-customer").inner_text()
    sent = Message.objects.get(ticket=ticket, direction=Direction.OUT)
    assert sent.text == reply and sent.author_user == agent
    customer = page_for()
    customer.goto(status_url(ticket.number, CUSTOMER_EMAIL))
    assert reply in customer.locator(".thread .bubble.theirs").inner_text()
    assert "The parcel was due on Monday" in customer.locator(".thread .bubble.mine").inner_text()
    assert page.js_errors == [] and customer.js_errors == []


def test_an_internal_comment_stays_on_the_ticket_and_never_reaches_the_status_page(page_for):
    # Given: a ticket and an agent on its page.
    agent = UserFactory(full_name="Vasya Pupkin", groups=[GroupFactory(name="Support")])
    ticket = customer_writes(text="I was charged 5% off instead of 10% for the backpack.")
    page = page_for(agent)
    page.goto(f"/tickets/{ticket.number}/")
    note = "Checked the promo log: the 10% badge was shown for SKU BP-25 on the 14th."

    # When: they switch the composer to "Internal comment", write and press "Add comment".
    page.click("#mode-comment")
    assert page.is_visible("#comment-text") and not page.is_visible("#reply-text")
    page.fill("#comment-text", note)
    with page.expect_navigation():
        page.get_by_role("button", name="Add comment").click()

    # Then: the comment is on the ticket page, marked internal, and stored as a comment
    # (not a message); the customer's status page shows their message but not the comment.
    comment = page.locator("#ticket-live .item.comment").filter(has_text=note)
    assert comment.count() == 1
    assert comment.locator(".internal-label").text_content().strip() == "Internal comment"
    assert InternalComment.objects.filter(ticket=ticket, text=note).exists()
    assert not Message.objects.filter(ticket=ticket, direction=Direction.OUT).exists()
    customer = page_for()
    customer.goto(status_url(ticket.number, CUSTOMER_EMAIL))
    assert "I was charged 5% off" in customer.inner_text(".thread")
    html = customer.content()
    assert note not in html and "promo log" not in html
    assert page.js_errors == []
