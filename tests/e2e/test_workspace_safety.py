"""The workspace never acts or forgets behind the agent's back (issue 19, items 1, 2, 4, 9):
`s` offers an undo before a ticket is solved; a colleague's change merges into the page
without wiping an edit in progress; a refused reply keeps its text across reloads; the
@mention picker ranks prefixes first and works by keyboard. Each story runs in English and
in Russian, with screenshots at desktop and phone sizes under tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.e2e.conftest import PHONE, screenshot, wait_until_listening
from tests.e2e.stories import customer_writes
from tests.factories import GroupFactory, UserFactory
from tickets import services
from tickets.models import Channel, CustomerIdentity, Direction, IdentityKind, Status

pytestmark = pytest.mark.django_db(transaction=True)

LANGS = ["en", "ru"]
DESKTOP = {"width": 1440, "height": 900}
UNDO_SECONDS = 6
TEXTS = {
    "en": {
        "agent": "Vasya Pupkin",
        "colleague": "Anna Smirnova",
        "irina": "Irina Sokolova",
        "olga": "Olga Fedorova",
        "ask": "Please check ",
        "and": " and ",
        "query": "ol",
        "irina_query": "ir",
        "high": "High",
        "unreachable": "cannot be reached on Telegram now",
        "reply": "Marina, we will refund the difference to your card within three days.",
        "comment": "Telegram replies are not connected yet; I will call her instead.",
    },
    "ru": {
        "agent": "Василий Пупкин",
        "colleague": "Анна Смирнова",
        "irina": "Ирина Соколова",
        "olga": "Ольга Федорова",
        "ask": "Проверьте, пожалуйста, ",
        "and": " и ",
        "query": "ол",
        "irina_query": "ир",
        "high": "Высокий",
        "unreachable": "нельзя связаться через «Telegram»",
        "reply": "Марина, вернём разницу на карту в течение трёх дней.",
        "comment": "Ответы в Telegram пока не подключены, позвоню ей.",
    },
}


def both_sizes(page: Page, lang: str, name: str, show: str = "") -> None:
    """A screenshot at desktop size and one at phone size, of the same moment, with the
    element `show` (a selector) scrolled into view."""
    screenshot(page, lang, f"{name}-desktop", full_page=False)
    page.set_viewport_size(PHONE)
    # Nothing (a long Russian label, a note, the undo notice) widens the page past the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if show:
        page.locator(show).evaluate("(node) => node.scrollIntoView({block: 'center'})")
    screenshot(page, lang, f"{name}-phone", full_page=False)
    page.set_viewport_size(DESKTOP)


# --- 1. One key solves a ticket ----------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_s_offers_an_undo_and_solves_only_when_the_notice_runs_out(page_for, lang):
    # Given: a new, unanswered ticket open on an agent's page.
    agent = UserFactory(full_name=TEXTS[lang]["agent"], groups=[GroupFactory(name="Support")])
    ticket = customer_writes(text="Здравствуйте! Заказ 4417 так и не пришёл.")
    events_before = ticket.events.count()
    page = page_for(agent, lang, viewport=DESKTOP)
    page.goto(f"/tickets/{ticket.number}/")
    toast = page.locator("#undo-toast")

    # When: they press s while typing in the tags field, the s is a letter of the field.
    page.click("#p-tags")
    page.keyboard.type("vips")
    page.keyboard.press("Escape")
    expect(toast).to_be_hidden()
    assert page.input_value("#p-tags") == "vips"

    # When: they press s outside any field.
    page.keyboard.press("s")

    # Then: a notice offers Undo, and the ticket has not changed (nothing can reach the
    # customer yet).
    expect(toast).to_be_visible()
    expect(toast.locator("[data-undo]")).to_be_visible()
    both_sizes(page, lang, "solve-undo-notice")
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.events.count() == events_before

    # When: they press Undo and wait longer than the notice lasts.
    toast.locator("[data-undo]").click()
    page.wait_for_timeout((UNDO_SECONDS + 1.5) * 1000)

    # Then: still nothing changed; the page never left.
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.events.count() == events_before
    assert page.url.endswith(f"/tickets/{ticket.number}/")

    # When: s again, undone with the z key this time.
    page.keyboard.press("s")
    expect(toast.locator("[data-undo]")).to_be_visible()
    page.keyboard.press("z")
    expect(toast.locator("[data-undo]")).to_be_hidden()

    # When: s once more, left to run out.
    with page.expect_navigation(timeout=(UNDO_SECONDS + 5) * 1000):
        page.keyboard.press("s")

    # Then: only now is the ticket solved.
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED

    # When: on another ticket, s and then straight on to the queue, within the notice.
    other = customer_writes(text="Второй вопрос: можно ли оплатить частями?", subject="Оплата")
    page.goto(f"/tickets/{other.number}/")
    page.keyboard.press("s")
    expect(toast).to_be_visible()
    with page.expect_navigation():
        page.click(".rail a >> nth=0")

    # Then: leaving made the change final rather than losing it.
    for _ in range(50):
        other.refresh_from_db()
        if other.status == Status.SOLVED:
            break
        page.wait_for_timeout(100)
    assert other.status == Status.SOLVED
    assert page.js_errors == []


# --- 2. A colleague's action wipes unsaved edits -----------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_a_colleagues_change_keeps_the_unsaved_edit_and_says_who_changed_it(page_for, lang):
    # Given: two agents of one group on the same ticket, in two browsers.
    support = GroupFactory(name="Support")
    vasya = UserFactory(full_name=TEXTS[lang]["agent"], groups=[support])
    anna = UserFactory(full_name=TEXTS[lang]["colleague"], groups=[support])
    ticket = customer_writes(text="Рюкзак был со скидкой 10%, а списали 5%.")
    services.ticket_set_tags(ticket=ticket, by=vasya, add=["refund"])
    mine = page_for(vasya, lang, viewport=DESKTOP)
    mine.goto(f"/tickets/{ticket.number}/")
    wait_until_listening(mine, ticket=True)
    hers = page_for(anna, lang, viewport=DESKTOP)
    hers.goto(f"/tickets/{ticket.number}/")

    # When: Vasya picks a priority and is typing tags, not saved yet...
    mine.select_option("#p-priority", "urgent")
    mine.click("#p-tags")
    mine.keyboard.press("End")
    mine.keyboard.type(" vip")
    # ...and Anna changes the tags and the priority and saves.
    hers.fill("#p-tags", "refund promo")
    hers.select_option("#p-priority", "high")
    with hers.expect_navigation(timeout=30_000):  # a loaded machine (two suites at once) is slow
        hers.click(".props button[type='submit']")

    # Then: Vasya's page shows the live update (Anna's change in the history)...
    history = mine.locator("#ticket-live .item.event").filter(has_text=anna.full_name)
    expect(history.first).to_be_visible()
    # ...says beside each field that Anna changed it, and to what...
    expect(mine.locator("#p-tags-changed")).to_contain_text(anna.full_name)
    expect(mine.locator("#p-tags-changed")).to_contain_text("refund promo")
    expect(mine.locator("#p-priority-changed")).to_contain_text(anna.full_name)
    expect(mine.locator("#p-priority-changed")).to_contain_text(TEXTS[lang]["high"])
    # ...and keeps what Vasya was doing: his values, his focus, his caret.
    assert mine.input_value("#p-tags") == "refund vip"
    assert mine.input_value("#p-priority") == "urgent"
    assert mine.evaluate("document.activeElement.id") == "p-tags"
    mine.keyboard.type(" gift")
    assert mine.input_value("#p-tags") == "refund vip gift"
    both_sizes(mine, lang, "live-edit-kept", show="#p-tags")

    # When: Vasya saves; then his values are the ticket's.
    with mine.expect_navigation():
        mine.click(".props button[type='submit']")
    ticket.refresh_from_db()
    assert ticket.tags == ["refund", "vip", "gift"]
    assert ticket.priority_name == "urgent"
    assert mine.js_errors == [] and hers.js_errors == []


# --- 4. A refused messenger reply throws the text away -----------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_telegram_reply_keeps_its_text_and_says_what_to_do(page_for, lang):
    # Given: a ticket that came in by Telegram from a customer who then blocked the bot, open
    # on an agent's page.
    agent = UserFactory(full_name=TEXTS[lang]["agent"], groups=[GroupFactory(name="Support")])
    ticket = customer_writes(
        text="Здравствуйте! Списали не ту сумму.",
        subject="",
        channel=Channel.TELEGRAM,
        kind=IdentityKind.TELEGRAM,
        sender="5551234567",
    )
    CustomerIdentity.objects.filter(customer=ticket.customer).update(is_reachable=False)
    page = page_for(agent, lang, viewport=DESKTOP)
    page.goto(f"/tickets/{ticket.number}/")
    reply = TEXTS[lang]["reply"]

    # Then: before a word is written, the composer says a reply cannot go out now.
    expect(page.locator("#reply-refusal")).to_contain_text(TEXTS[lang]["unreachable"])

    # When: they write a reply all the same and send it.
    page.fill("#reply-text", reply)
    with page.expect_navigation():
        page.click(".pane-reply button[type='submit']")

    # Then: the refusal tells the truth (why, what to do instead; no settings page that does
    # not exist), and the text is still in the composer.
    refusal = page.locator(".flash .flash-error")
    expect(refusal).to_contain_text(TEXTS[lang]["unreachable"])
    expect(refusal).to_contain_text("Telegram")
    assert "settings" not in refusal.inner_text().lower()
    assert "настройк" not in refusal.inner_text().lower()
    assert page.input_value("#reply-text") == reply
    expect(page.locator(".pane-reply .draft-note")).to_be_visible()
    both_sizes(page, lang, "refused-reply-kept", show="#reply-text")
    assert not ticket.messages.filter(direction=Direction.OUT).exists()

    # When: they reload the page; then the text is still there.
    page.reload()
    assert page.input_value("#reply-text") == reply

    # When: they leave an internal comment instead; then the comment's draft is forgotten
    # once it is added, and the reply's draft stays.
    page.click("#mode-comment")
    page.fill("#comment-text", TEXTS[lang]["comment"])
    with page.expect_navigation():
        page.click(".pane-comment button.note")
    expect(page.locator("#ticket-live .item.comment")).to_contain_text(TEXTS[lang]["comment"])
    page.reload()
    assert page.input_value("#comment-text") == ""
    assert page.input_value("#reply-text") == reply
    assert page.js_errors == []


# --- 9. The @mention picker --------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_the_mention_picker_ranks_prefixes_first_and_works_by_keyboard(page_for, lang):
    # Given: two internal colleagues whose names both hold the letters typed: Olga's starts
    # with them, Irina's holds them inside her last name.
    agent = UserFactory(full_name=TEXTS[lang]["agent"], groups=[GroupFactory(name="Support")])
    UserFactory(full_name=TEXTS[lang]["irina"], role=Role.INTERNAL, handle="irina")
    UserFactory(full_name=TEXTS[lang]["olga"], role=Role.INTERNAL, handle="olga")
    ticket = customer_writes(text="Списали 4 275 ₽ вместо 4 050 ₽.")
    page = page_for(agent, lang, viewport=DESKTOP)
    page.goto(f"/tickets/{ticket.number}/")
    area = page.locator("#comment-text")
    options = page.locator("#mention-list [role='option']")

    # When: they type @ and the first letters in an internal comment.
    page.click("#mode-comment")
    area.click()
    page.keyboard.type(TEXTS[lang]["ask"] + "@" + TEXTS[lang]["query"])

    # Then: Olga (a prefix match) comes before Irina (a match inside a word), and the first
    # is highlighted for the keyboard.
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text(TEXTS[lang]["olga"])
    expect(options.nth(1)).to_contain_text(TEXTS[lang]["irina"])
    expect(page.locator("#mention-list")).to_have_attribute("role", "listbox")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    assert area.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    both_sizes(page, lang, "mention-picker", show="#mention-list")

    # When: Down, Up, Enter; then Olga's handle is in the text and the list is closed.
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    assert area.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    page.keyboard.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#mention-list")).to_be_hidden()
    assert area.input_value() == TEXTS[lang]["ask"] + "@olga "

    # When: another @, then Escape; then the list closes and the focus stays in the text.
    page.keyboard.type(TEXTS[lang]["and"].lstrip() + "@" + TEXTS[lang]["irina_query"])
    expect(options).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("#mention-list")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "comment-text"

    # When: one more letter reopens it, and Tab picks.
    page.keyboard.type("i" if lang == "en" else "и")
    expect(page.locator("#mention-list")).to_be_visible()
    expect(options).to_have_count(1)
    page.keyboard.press("Tab")
    assert area.input_value() == TEXTS[lang]["ask"] + "@olga" + TEXTS[lang]["and"] + "@irina "
    assert page.evaluate("document.activeElement.id") == "comment-text"
    assert page.js_errors == []
