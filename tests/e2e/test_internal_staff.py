"""Internal staff (scenario 5): they read the ticket they were asked about, answer in an internal
comment and hand it back in one step; no control anywhere lets them write to the customer,
and the reply endpoint refuses them even with a valid CSRF token."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.e2e.stories import customer_writes
from tests.factories import GroupFactory, UserFactory
from tickets import services
from tickets.models import Direction, Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_internal_staff_answer_and_hand_back_but_cannot_reply_to_the_customer(page_for):
    # Given: Vasya handed a ticket to Dima, a developer with a free internal-staff account,
    # with a question.
    vasya = UserFactory(full_name="Vasya Pupkin", groups=[GroupFactory(name="Support")])
    dima = UserFactory(full_name="Dima Developer", role=Role.INTERNAL, handle="dima")
    ticket = customer_writes(
        text="Мне списали со скидкой 5%, а на сайте было 10%.", subject="Скидка на рюкзак"
    )
    services.ticket_assign(ticket=ticket, owner=vasya, by=vasya)
    services.ticket_hand_off(
        ticket=ticket, by=vasya, to_user=dima, note="Was the 10% badge shown for this SKU?"
    )
    page = page_for(dima)

    # When: Dima opens his queue.
    page.goto("/tickets/")

    # Then: "Handed to me" is his queue and lists the ticket.
    assert page.inner_text("#rail .queues a.active").startswith("Handed to me")
    assert page.locator(f'#queue-live tr[data-number="{ticket.number}"]').count() == 1

    # When: he opens the ticket.
    page.click(f'#queue-live tr[data-number="{ticket.number}"] a')
    page.wait_for_url(f"**/tickets/{ticket.number}/")

    # Then: he reads the customer's words, and nothing on the page writes to the customer or
    # steers the ticket; the comment box and "Answer and hand back" are there.
    assert "со скидкой 5%" in page.inner_text("#ticket-live")
    assert "Was the 10% badge shown" in page.inner_text("#ticket-live")
    for selector in ("#reply-text", "#mode-reply", "#p-status", "#p-priority", "#p-owner"):
        assert page.locator(selector).count() == 0, f"{selector} is on internal staff's page"
    assert page.get_by_role("button", name="Send reply").count() == 0
    assert page.get_by_role("button", name="Hand off…").count() == 0
    assert page.locator("form[action$='/reply/'], form[action$='/hand-off/']").count() == 0
    assert page.is_visible("#comment-text")
    hand_back = page.get_by_role("button", name="Answer and hand back")
    assert hand_back.is_visible()

    # When: a reply is posted to the ticket's reply address from his page, with its token.
    token = page.get_attribute("#composer input[name=csrfmiddlewaretoken]", "value")
    status = page.evaluate(
        """async ([url, token]) => {
            const body = new URLSearchParams({csrfmiddlewaretoken: token, text: "Сам отвечу!"});
            const r = await fetch(url, {method: "POST", body: body, redirect: "manual"});
            return r.status;
        }""",
        [f"/tickets/{ticket.number}/reply/", token],
    )

    # Then: nothing reaches the customer.
    assert status in (0, 302, 403, 404), status  # 0: an opaque redirect back to the ticket
    assert not Message.objects.filter(ticket=ticket, direction=Direction.OUT).exists()

    # When: he answers and hands the ticket back.
    page.fill("#comment-text", "Yes, the badge said 10%: the promo rule had a typo.")
    with page.expect_navigation():
        hand_back.click()

    # Then: the ticket is Vasya's again, with Dima's answer on it.
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.assignee == vasya and ticket.hand_back_to is None
    assert ticket.internal_comments.filter(author=dima, text__contains="promo rule").exists()
    assert "Answered and handed back" in page.inner_text(".flash")
    assert page.js_errors == []
