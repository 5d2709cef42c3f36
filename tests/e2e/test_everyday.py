"""Using every page as its users would (issue 19), in both languages, with screenshots of each
at desktop (1440x900) and phone (390x844) sizes: pages that fit a 360 px phone, a solved
ticket handed to internal staff, the header's language switch, notifications that become
read, times in the viewer's zone in one format, and a customer merge that asks again."""

from __future__ import annotations

import calendar
import re
import time
import zoneinfo

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import preferences_save
from channels_inbound.status_links import status_url
from comments.models import Notification
from tests.e2e.conftest import LOCALES, log_in, screenshot
from tests.e2e.stories import build_story, customer_writes
from tests.factories import GroupFactory, UserFactory
from tickets import services
from tickets.models import IdentityKind, Status, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

LANGS = ["en", "ru"]
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SMALLEST = {"width": 360, "height": 740}
LONG_LINK = "https://shop.example/orders/5512/tracking?session=" + "a1b2c3d4e5" * 12
LONG_WORD = {"en": "Aaaa" + "a" * 90 + "rgh", "ru": "Спаси" + "и" * 90 + "бо"}
RU_MONTHS = ["", "января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря"]  # fmt: skip
ONE_FORMAT = re.compile(r"\d{1,2} \w+ \d{4}, \d{2}:\d{2}( \(UTC([+-]\d{1,2}(:\d\d)?)?\))?")


def shots(page, lang: str, name: str, *, full_page: bool = True) -> None:
    """The page as it is now, at desktop and phone sizes (a dialog: the screen only)."""
    size = page.viewport_size
    for label, viewport in (("desktop", WIDE), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        screenshot(page, lang, f"{name}-{label}", full_page=full_page)
    page.set_viewport_size(size)


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def eventually(find, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while (found := find()) is None:
        assert time.monotonic() < deadline, f"not there after {seconds} s"
        time.sleep(0.05)
    return found


def written(moment, zone: str, lang: str, *, label: str = "") -> str:
    """How a person expects the moment written in `zone`: "3 December 2026, 14:05"."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    month = RU_MONTHS[local.month] if lang == "ru" else calendar.month_name[local.month]
    text = f"{local.day} {month} {local.year}, {local:%H:%M}"
    return f"{text} ({label})" if label else text


# --- 3. Every customer page, the queue and the ticket fit a 360 px phone ----------------------
@pytest.mark.parametrize("lang", LANGS)
def test_every_customer_page_and_the_workspace_fit_a_360_px_phone(page_for, lang):
    # Given: the story's desk, and a visitor on the smallest phone.
    story = build_story(lang)
    admin = UserFactory(full_name="Ada Admin", role=Role.ADMIN)
    visitor = page_for(None, lang, viewport=SMALLEST)
    widths = {}

    # When: they write through the support form, with a long link and a long word.
    visitor.goto("/support/")
    widths["support form"] = scroll_width(visitor)
    shots(visitor, lang, "fit-support-form")
    visitor.fill("#f-name", story.texts["customer"])
    visitor.fill("#f-email", "long.words@mail.example")
    visitor.fill("#f-subject", f"{story.texts['subject']} {LONG_WORD[lang]}")
    visitor.fill("#f-text", f"{story.texts['first']}\n{LONG_LINK}\n{LONG_WORD[lang]}")
    with visitor.expect_navigation():
        visitor.locator("main form button[type=submit]").click()
    widths["thank-you page"] = scroll_width(visitor)
    shots(visitor, lang, "fit-thank-you")
    number = int(re.search(r"#(\d+)", visitor.inner_text("h1")).group(1))
    ticket = eventually(lambda: Ticket.objects.filter(number=number).first())
    # And: support answers with a long link of its own.
    services.ticket_reply(ticket=ticket, by=admin, text=f"{LONG_LINK} {LONG_WORD[lang]}")

    # When: they open their status page.
    with visitor.expect_navigation():
        visitor.locator("main a.button").click()
    eventually(lambda: Ticket.objects.get(pk=ticket.pk).messages.count() >= 2 or None)
    visitor.reload()
    assert LONG_WORD[lang] in visitor.inner_text(".thread .bubble.mine")
    assert LONG_LINK in visitor.inner_text(".thread")  # and the acknowledgement's status link
    widths["status page"] = scroll_width(visitor)
    shots(visitor, lang, "fit-status-page")

    # When: an agent on the same phone opens the queue and that ticket.
    agent = page_for(story.agent, lang, viewport=SMALLEST)
    for name, url in (("queue", "/tickets/?queue=all"), ("ticket", f"/tickets/{number}/")):
        agent.goto(url)
        widths[name] = scroll_width(agent)
        shots(agent, lang, f"fit-{name}")

    # Then: none of them scrolls sideways at 360 px.
    too_wide = {name: width for name, width in widths.items() if width > SMALLEST["width"]}
    assert not too_wide, f"pages wider than a 360 px phone (px): {too_wide}"
    assert visitor.js_errors == [] and agent.js_errors == []


# --- 5. A solved ticket handed to internal staff is in their list -----------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_a_solved_ticket_handed_to_internal_staff_is_in_their_list_and_the_dialog_says_so(
    page_for, lang
):
    # Given: a solved ticket, and its agent on its page.
    story = build_story(lang)
    ticket = story.ticket
    services.ticket_set_status(ticket=ticket, status=Status.SOLVED, by=story.agent)
    agent = page_for(story.agent, lang)
    agent.goto(f"/tickets/{ticket.number}/")

    # When: they open the hand-off dialog.
    agent.click("[data-open-dialog=hand-off]")

    # Then: the dialog says the ticket stays solved, and where the receiver finds it.
    notice = agent.locator("#hand-off .notice")
    assert notice.is_visible()
    with_status = {"en": "Solved", "ru": "Решено"}[lang]
    assert with_status.lower() in notice.inner_text().lower()
    shots(agent, lang, "hand-off-solved-dialog", full_page=False)

    # When: they hand it to the internal staff member with a question.
    agent.select_option("#ho-to", f"user:{story.internal.pk}")
    agent.fill("#ho-note", story.texts["asked_note"])
    with agent.expect_navigation():
        agent.locator("#hand-off button[type=submit]").click()
    assert Ticket.objects.get(pk=ticket.pk).assignee == story.internal

    # Then: it is in the receiver's own list ("Handed to me", where they land), still solved.
    internal = page_for(story.internal, lang)
    internal.goto("/tickets/")
    row = internal.locator(f'#queue-live tr[data-number="{ticket.number}"]')
    assert row.count() == 1, internal.inner_text("#queue-live")
    assert row.locator(".status-solved").count() == 1
    shots(internal, lang, "hand-off-solved-internal-queue")
    assert agent.js_errors == [] and internal.js_errors == []


# --- 6. The header's language switch changes the saved language -------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_the_header_language_switch_changes_a_users_saved_language(page_for, lang):
    # Given: an agent whose saved language is `lang`.
    other = "ru" if lang == "en" else "en"
    agent = UserFactory(full_name="Vasya Pupkin", groups=[GroupFactory(name="Support")])
    page = page_for(agent, lang)
    page.goto("/tickets/")
    assert page.get_attribute("html", "lang") == lang

    # When: they choose the other language in the header.
    with page.expect_navigation():
        page.select_option("#lang-switch", other)

    # Then: the page is in it, so is the next one, and it is their saved language now.
    assert page.get_attribute("html", "lang") == other
    assert page.url.endswith("/tickets/")
    shots(page, other, f"language-switched-from-{lang}")
    page.goto("/preferences/")
    assert page.get_attribute("html", "lang") == other
    agent.refresh_from_db()
    assert agent.language == other
    assert page.js_errors == []


# --- 7. Opening a notification marks it read ---------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_opening_a_notification_marks_it_read(page_for, lang):
    # Given: the internal staff member was @mentioned and handed tickets: unread notifications.
    story = build_story(lang)
    unread = Notification.objects.filter(user=story.internal, read_at__isnull=True)
    assert unread.exists()
    page = page_for(story.internal, lang)
    page.goto("/tickets/")

    # When: they open the bell and one of its notifications.
    page.click("#bell")
    first = page.locator("#notifications li.unread a").first
    first.wait_for()
    shots(page, lang, "notifications-unread", full_page=False)
    said = first.inner_text()
    number = int(re.search(r"#(\d+)", said)[1])
    count_before = int(page.inner_text("#bell-count"))
    with page.expect_navigation():
        first.click()

    # Then: they are on its ticket, and what told them about it is read.
    assert page.url.endswith(f"/tickets/{number}/")
    mine = Notification.objects.filter(user=story.internal, ticket__number=number)
    assert mine.exists() and not mine.filter(read_at__isnull=True).exists()

    # When: they open the bell again.
    page.click("#bell")
    item = page.locator("#notifications li", has_text=said.splitlines()[0]).first
    item.wait_for()

    # Then: it is no longer unread, and the count went down.
    assert "unread" not in (item.get_attribute("class") or "")
    left = Notification.objects.filter(user=story.internal, read_at__isnull=True).count()
    assert left < count_before
    if left:
        assert int(page.inner_text("#bell-count")) == left
    else:
        assert page.locator("#bell-count").is_hidden()
    shots(page, lang, "notifications-after-opening-one", full_page=False)
    assert page.js_errors == []


# --- 8. Times: one format, in the viewer's zone, the zone named where it could be misread ------
@pytest.fixture
def context_in(browser, server, transactional_db):
    """`context_in(zone, lang)`: a browser context whose clock is in `zone`."""
    contexts = []

    def new(zone: str, lang: str):
        context = browser.new_context(
            base_url=server, locale=LOCALES[lang], timezone_id=zone, viewport=WIDE
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        return page

    yield new
    for context in contexts:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_times_are_in_the_viewers_zone_in_one_format_with_the_zone_named(context_in, lang):
    story = build_story(lang)
    first = story.ticket.messages.order_by("created_at").first()
    guessed = {"en": ("UTC", "UTC"), "ru": ("Europe/Moscow", "UTC+3")}[lang]

    # Given: a customer whose browser is on Yekaterinburg time (UTC+5) opens their status
    # page from an e-mail: the first page any of ours they see.
    customer = context_in("Asia/Yekaterinburg", lang)
    link = status_url(story.ticket.number, story.email)
    customer.goto(link)

    # Then: the times are in the zone their language suggests, and say which.
    times = customer.locator(".thread time").all_inner_texts()
    assert times and all(ONE_FORMAT.fullmatch(t) for t in times), times
    assert times[0] == written(first.created_at, guessed[0], lang, label=guessed[1])

    # When: they come back (the page has told the server the browser's zone).
    customer.reload()

    # Then: the times are in their browser's zone, named.
    times = customer.locator(".thread time").all_inner_texts()
    assert times[0] == written(first.created_at, "Asia/Yekaterinburg", lang, label="UTC+5")
    assert all(t.endswith("(UTC+5)") for t in times), times
    shots(customer, lang, "times-status-page")

    # Given: the agent, with no saved zone, in New York (UTC-5 in winter, -4 in summer).
    agent_page = context_in("America/New_York", lang)
    preferences_save(user=story.agent, language=lang, time_zone="")
    log_in(agent_page, story.agent)
    ny = zoneinfo.ZoneInfo("America/New_York")
    offset = int(first.created_at.astimezone(ny).utcoffset().total_seconds() // 3600)

    # When: they open the ticket.
    agent_page.goto(f"/tickets/{story.ticket.number}/")

    # Then: every time on it is written one way, in New York time; the header names the zone.
    times = agent_page.locator("main time").all_inner_texts()
    assert len(times) > 5
    assert all(ONE_FORMAT.fullmatch(t) for t in times), times
    header = agent_page.locator(".ticket-head time").inner_text()
    assert header == written(
        story.ticket.created_at, "America/New_York", lang, label=f"UTC{offset}"
    )
    message = agent_page.locator(f"#message-{first.pk} time").inner_text()
    assert message == written(first.created_at, "America/New_York", lang)
    shots(agent_page, lang, "times-ticket-page")

    # When: they save a time zone of their own (Vladivostok, UTC+10) and look again.
    preferences_save(user=story.agent, language=lang, time_zone="Asia/Vladivostok")
    agent_page.reload()

    # Then: their saved zone wins over the browser's.
    header = agent_page.locator(".ticket-head time").inner_text()
    assert header == written(story.ticket.created_at, "Asia/Vladivostok", lang, label="UTC+10")
    assert timezone.is_aware(first.created_at)
    assert customer.js_errors == [] and agent_page.js_errors == []


# --- 10. Merging two customers asks again, with what will move ---------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_merging_customers_shows_what_will_move_and_asks_again(page_for, lang):
    # Given: the story's customer also wrote by Viber under another name.
    story = build_story(lang)
    keep = story.ticket.customer
    other = customer_writes(
        text=story.texts["other"], subject=story.texts["other_subject"], name="Marina (Viber)",
        channel="viber", kind=IdentityKind.VIBER, sender="vb-7788", group=story.ticket.group,
    )  # fmt: skip
    agent = page_for(story.agent, lang)
    agent.goto(f"/customers/{keep.pk}/?merge_q=vb-7788")

    # When: the agent picks the Viber one and asks to merge.
    agent.check(f'input[name=other][value="{other.customer_id}"]')
    with agent.expect_navigation():
        agent.locator("form[action$='/merge/'] button").click()

    # Then: a page says what will move and that it cannot be undone; nothing moved yet.
    confirm = agent.locator(".merge-confirm")
    assert "vb-7788" in confirm.inner_text()
    assert confirm.locator(f'a[href="/tickets/{other.number}/"]').count() == 1
    assert Ticket.objects.get(pk=other.pk).customer_id == other.customer_id
    shots(agent, lang, "customer-merge-confirm")

    # When: they confirm.
    with agent.expect_navigation():
        agent.locator(".merge-confirm button[type=submit]").click()

    # Then: the ticket is the kept customer's, and its history says so in words.
    assert Ticket.objects.get(pk=other.pk).customer_id == keep.pk
    agent.goto(f"/tickets/{other.number}/")
    line = agent.locator("#ticket-live .event-text").last.inner_text()
    assert "Marina (Viber)" in line and keep.name in line, line
    assert "customers merged" not in agent.inner_text("#ticket-live")
    assert agent.js_errors == []
