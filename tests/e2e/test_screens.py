"""How the pages look: screenshots of the main pages in both languages (for a person to look
at; the test only checks that each was drawn), and the workspace on a phone-sized screen."""

from __future__ import annotations

import pytest

from channels_inbound.status_links import status_url
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.stories import build_story
from tickets.models import Direction, Message, Status, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

MIN_BYTES = 10_000


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_screenshots_of_the_main_pages(page_for, lang):
    # Given: scenario 1 in the language, an agent and the internal staff member in it.
    story = build_story(lang)
    agent = page_for(story.agent, lang)
    internal = page_for(story.internal, lang)
    visitor = page_for(None, lang)
    shots = []

    # When: each main page is drawn.
    agent.goto("/tickets/?queue=open")
    shots.append(screenshot(agent, lang, "queue"))
    agent.goto(f"/tickets/{story.ticket.number}/")
    assert agent.is_visible("#reply-text")
    shots.append(screenshot(agent, lang, "ticket-reply-mode"))
    agent.click("#mode-comment")
    assert agent.is_visible("#comment-text") and not agent.is_visible("#reply-text")
    shots.append(screenshot(agent, lang, "ticket-comment-mode"))
    agent.click("[data-open-dialog=hand-off]")
    assert agent.is_visible("#hand-off")
    shots.append(screenshot(agent, lang, "ticket-hand-off-dialog", full_page=False))
    agent.goto(f"/customers/{story.ticket.customer_id}/")
    shots.append(screenshot(agent, lang, "customer"))
    agent.goto("/canned/")
    shots.append(screenshot(agent, lang, "canned-responses"))
    internal.goto("/tickets/")
    shots.append(screenshot(internal, lang, "internal-staff-queue"))
    internal.goto(f"/tickets/{story.asked.number}/")
    shots.append(screenshot(internal, lang, "internal-staff-ticket"))
    visitor.goto("/login/")
    shots.append(screenshot(visitor, lang, "login"))
    visitor.goto("/support/")
    shots.append(screenshot(visitor, lang, "support-form"))
    visitor.goto(status_url(story.ticket.number, story.email))
    shots.append(screenshot(visitor, lang, "status-page"))

    # Then: every screenshot was written and has something on it.
    for path in shots:
        assert path.is_file() and path.stat().st_size > MIN_BYTES, path
    assert agent.js_errors == [] and internal.js_errors == [] and visitor.js_errors == []


def test_on_a_phone_the_queue_and_the_ticket_fit_the_screen_and_the_reply_can_be_sent(
    page_for,
):
    # Given: an agent on a phone-sized screen.
    story = build_story("en")
    page = page_for(story.agent, "en", viewport=PHONE)

    # When: they open the queue and the ticket, then scroll to the composer, type a reply and
    # send it (each click fails if the control is covered or off the screen).
    widths = {}
    for name, url in (
        ("queue", "/tickets/?queue=open"),
        ("ticket", f"/tickets/{story.ticket.number}/"),
    ):
        page.goto(url)
        screenshot(page, "en", f"phone-{name}")
        widths[name] = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    reply = page.locator("#reply-text")
    reply.scroll_into_view_if_needed()
    reply_box = reply.bounding_box()
    reply.click()
    reply.fill("We are on it.")
    send = page.get_by_role("button", name="Send reply")
    send.scroll_into_view_if_needed()
    send_box = send.bounding_box()
    with page.expect_navigation():
        send.click()

    # Then: neither page scrolls sideways; the composer lies within the screen's width.
    too_wide = {name: f"{w}px wide on a {inner}px screen" for name, (w, inner) in widths.items()
                if w > inner + 1}  # fmt: skip
    assert not too_wide, f"pages that scroll sideways on a phone: {too_wide}"
    for box in (reply_box, send_box):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
    # And: the reply went out.
    assert Message.objects.filter(
        ticket=story.ticket, direction=Direction.OUT, text="We are on it."
    ).exists()


def test_the_russian_queue_fits_a_laptop_screen_with_its_longest_status(page_for):
    """ "Ожидает ответа клиента" is the longest status badge; the queue must not make the whole
    page scroll sideways on a 1280 px screen because of it."""
    story = build_story("ru")
    Ticket.objects.filter(pk=story.ticket.pk).update(status=Status.PENDING)
    agent = page_for(story.agent, "ru", viewport={"width": 1280, "height": 800})

    agent.goto("/tickets/?queue=open")

    assert agent.is_visible("span.status-pending")
    widths = agent.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
