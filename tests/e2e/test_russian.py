"""The Russian interface is Russian: on every main page, once the data itself (names, subjects,
messages, tags, addresses, numbers, dates) is taken away, no English word is left."""

from __future__ import annotations

import re

import pytest

from channels_inbound.status_links import status_url
from tests.e2e.stories import STORY_TEXTS, build_story

pytestmark = pytest.mark.django_db(transaction=True)

# Names the Russian interface may keep as they are.
KEPT = ("Telegram", "Viber", "E-mail", "Email", "API", "Helpdesk", "English")
DATA_PATTERNS = [
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail addresses
    r"@[\w.-]+",  # @handles
    r"https?://\S+",
    r"\{[a-z_]+\}",  # canned-response placeholders ({customer_name})
    r"\bUTC\b|\b[A-Z][a-z]+/[A-Za-z_/]+",  # time zone ids (Europe/Moscow)
]
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")

# What a person reads on the page: its text (without what is hidden from everyone, such as
# the web form's honeypot), the placeholders of visible fields, and the page's title.
VISIBLE_TEXT = """() => {
  document.querySelectorAll('[aria-hidden="true"]').forEach((e) => e.remove());
  const hints = [...document.querySelectorAll("input[placeholder], textarea[placeholder]")]
    .filter((e) => e.offsetParent !== null && !e.value).map((e) => e.placeholder);
  return [document.title, document.body.innerText, ...hints].join("\\n");
}"""


def english_words(text: str, data: list[str]) -> list[str]:
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    for pattern in DATA_PATTERNS:
        text = re.sub(pattern, " ", text)
    text = re.sub(
        r"(?<![A-Za-z-])(?:" + "|".join(map(re.escape, KEPT)) + r")(?![A-Za-z])", " ", text
    )
    return sorted(set(ENGLISH_WORD.findall(text)))


def read(page, url: str) -> str:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    assert page.get_attribute("html", "lang") == "ru", f"{url} is not served in Russian"
    return page.evaluate(VISIBLE_TEXT)


def test_the_russian_interface_has_no_untranslated_strings(page_for):
    # Given: scenario 1 told in Russian (messages, an internal comment, a hand-off and back,
    # a reply, tags, priority and status events, a second channel, a canned response), and
    # Russian-speaking staff whose browsers ask for Russian.
    story = build_story("ru")
    ticket = story.ticket
    data = list(STORY_TEXTS["ru"].values())
    agent = page_for(story.agent, "ru")
    internal = page_for(story.internal, "ru")
    visitor = page_for(None, "ru")

    # When: they (and a customer, logged out) open every main page.
    pages = {
        "queue": (agent, "/tickets/?queue=open"),
        "ticket": (agent, f"/tickets/{ticket.number}/"),
        "customer": (agent, f"/customers/{ticket.customer_id}/"),
        "canned responses": (agent, "/canned/"),
        "preferences": (agent, "/preferences/"),
        "internal staff queue": (internal, "/tickets/"),
        "internal staff ticket": (internal, f"/tickets/{story.asked.number}/"),
        "login": (visitor, "/login/"),
        "support form": (visitor, "/support/"),
        "status page": (visitor, status_url(ticket.number, story.email)),
    }
    found = {name: english_words(read(page, url), data) for name, (page, url) in pages.items()}

    # Then: no English word is left on any of them.
    untranslated = {name: words for name, words in found.items() if words}
    assert not untranslated, "English words left on the Russian pages:\n" + "\n".join(
        f"  {name}: {' '.join(words)}" for name, words in untranslated.items()
    )
