"""What the browser shows of the permission rules: bulk controls for agents only (a refused bulk
action says why, in the bar), and an @mention picker that shows internal staff a colleague's
name, handle and title, never an email."""

from __future__ import annotations

import pytest

from accounts.models import Role
from comments.services import comment_create
from tests.e2e.stories import customer_writes
from tests.factories import GroupFactory, UserFactory
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_agents_get_bulk_actions_and_internal_staff_do_not(page_for):
    # Given: two tickets in Support; Dima (internal staff) was handed one with a question.
    support = GroupFactory(name="Support")
    vasya = UserFactory(full_name="Vasya Pupkin", groups=[support])
    dima = UserFactory(full_name="Dima Developer", role=Role.INTERNAL, handle="dima")
    first = customer_writes(text="Where is my parcel?", subject="Parcel")
    second = customer_writes(text="Wrong size", subject="Size", sender="oleg@mail.example")
    services.ticket_hand_off(ticket=first, by=vasya, to_user=dima, note="Is it in stock?")

    # When: Dima opens his queue. Then: his ticket is listed, with no box to tick and no bar.
    page = page_for(dima)
    page.goto("/tickets/?queue=all")
    assert page.locator(f'#queue-live tr[data-number="{first.number}"]').count() == 1
    assert page.locator("#bulk, .bulk-bar, input[name=ticket], #select-all").count() == 0
    page.close()

    # When: Vasya applies a bulk action with nothing selected. Then: the bar says why.
    page = page_for(vasya)
    page.goto("/tickets/?queue=all")
    page.select_option("#bulk-action", "status:pending")
    page.click(".bulk-bar button[type=submit]")
    page.wait_for_selector("#bulk-result .error")
    assert page.inner_text("#bulk-result") == "Select at least one ticket."

    # When: he ticks the second ticket and sets it pending. Then: done, and it is pending.
    page.check(f'#queue-live tr[data-number="{second.number}"] input[name=ticket]')
    page.click(".bulk-bar button[type=submit]")
    page.wait_for_selector("#bulk-result .ok")
    assert "Done: 1 of 1." in page.inner_text("#bulk-result")
    assert Ticket.objects.get(pk=second.pk).status == "pending"


def test_the_mention_picker_shows_internal_staff_names_and_handles_not_emails(page_for):
    # Given: Olga (internal staff) was @mentioned on a ticket; Dima is a developer.
    vasya = UserFactory(full_name="Vasya Pupkin", email="vasya@desk.example")
    olga = UserFactory(full_name="Olga Accountant", role=Role.INTERNAL, handle="olga")
    UserFactory(
        full_name="Dima Developer",
        email="dima@corp.example",
        role=Role.INTERNAL,
        handle="dima",
        title="Developer",
    )
    ticket = customer_writes(text="Charged twice", subject="Invoice")
    comment_create(ticket=ticket, by=vasya, text="@olga was this billed twice?")

    # When: Olga types "@di" in an internal comment.
    page = page_for(olga)
    page.goto(f"/tickets/{ticket.number}/")
    page.click("#comment-text")
    with page.expect_response(lambda r: "/api/v1/users/" in r.url) as answer:
        page.keyboard.type("Asking @di")
    page.wait_for_selector(".mention-list li")

    # Then: Dima is offered by name, handle and title; no email reached the page.
    assert page.inner_text(".mention-list li") == "Dima Developer @dima — Developer"
    assert "@corp.example" not in answer.value.text() and "email" not in answer.value.text()
    page.click(".mention-list li")
    assert page.input_value("#comment-text") == "Asking @dima "
