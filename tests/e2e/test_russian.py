"""The Russian interface is Russian: on every main page, the admin's included, and for every
kind of event a ticket's history tells, once the data itself (names, subjects, messages,
tags, addresses, numbers, dates) is taken away, no English word is left."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from channels_inbound.status_links import status_url
from tests.e2e.stories import STORY_TEXTS, build_story, customer_writes
from tests.factories import UserFactory
from tickets import events, services
from tickets.models import Direction, EventKind, IdentityKind, Status, TicketEvent

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


# The rest of the story, so that the history shows every kind of event there is.
MORE_TEXTS = {
    "colleague": "Анна Смирнова",
    "admin": "Ада Админова",
    "viber_name": "Марина (Viber)",
    "viber_subject": "Курьер не приехал",
    "viber_text": "Курьер так и не приехал, что случилось?",
    "new_subject": "Курьер не приехал вовремя",
    "duplicate": "Дубль: курьер не приехал",
    "closed_subject": "Старый вопрос",
    "again": "Снова пишу по старому вопросу.",
    "bounce": "Почтовый ящик получателя переполнен",
    "group_two": "Вторая линия",
    "ack": "Мы получили ваше обращение.",
}


def every_kind_of_event(story):
    """Tickets whose histories, together with the story's, hold every kind of event. The
    Viber ticket of the same customer (under another name) is merged with her, renamed,
    assigned, put back, moved to another group, has a duplicate merged into it, is solved and
    reopened; the story's reply bounces; an old closed ticket gets a follow-up."""
    t = MORE_TEXTS
    agent, group = story.agent, story.ticket.group
    colleague = UserFactory(full_name=t["colleague"], email="anna@desk.example", groups=[group])
    admin = UserFactory(full_name=t["admin"], email="ada@desk.example", role=Role.ADMIN)
    viber = customer_writes(
        text=t["viber_text"], subject=t["viber_subject"], name=t["viber_name"], group=group,
        channel="viber", kind=IdentityKind.VIBER, sender="vb-7788",
    )  # fmt: skip
    services.customer_merge(source=viber.customer, into=story.ticket.customer, by=agent)
    services.ticket_set_subject(ticket=viber, subject=t["new_subject"], by=agent)
    services.ticket_assign(ticket=viber, owner=colleague, by=agent)
    services.ticket_assign(ticket=viber, owner=None, by=agent)
    second = type(group).objects.create(name=t["group_two"], tier=2)
    events.record(viber, kind=EventKind.GROUP_CHANGED, by=agent,
                  old=events.group_ref(group), new=events.group_ref(second))  # fmt: skip
    duplicate = customer_writes(text=t["viber_text"], subject=t["duplicate"], group=group)
    services.ticket_merge(source=duplicate, into=viber, by=agent)
    services.ticket_assign(ticket=viber, owner=agent, by=agent)
    out = story.ticket.messages.filter(direction=Direction.OUT, is_auto_generated=False)
    reply = out.last()
    type(reply).objects.filter(pk=reply.pk).update(external_id="bounced-e2e")
    services.messages_failed_by_report(external_ids=("bounced-e2e",), reason=t["bounce"])
    services.ticket_set_status(ticket=viber, status=Status.SOLVED, by=agent)
    customer_writes(text=t["again"], number=viber.number)  # reopens it
    services.ticket_auto_reply(ticket=story.asked, text=t["ack"])
    # No service records a mention as an event of its own (the comment shows it); the kind
    # exists, so its line is checked too.
    events.record(viber, kind=EventKind.MENTIONED, by=agent, new=events.user_ref(colleague))
    closed = customer_writes(text=t["again"], subject=t["closed_subject"], group=group)
    services.ticket_assign(ticket=closed, owner=agent, by=agent)
    services.ticket_set_status(ticket=closed, status=Status.SOLVED, by=agent)
    services.ticket_set_status(ticket=closed, status=Status.CLOSED, by=agent)
    customer_writes(text=t["again"], number=closed.number)
    kinds = set(TicketEvent.objects.values_list("kind", flat=True))
    assert kinds == set(EventKind.values), f"kinds never recorded: {set(EventKind.values) - kinds}"
    return admin, [viber, duplicate, closed]


def test_the_russian_interface_has_no_untranslated_strings(page_for):
    # Given: scenario 1 told in Russian (messages, an internal comment, a hand-off and back,
    # a reply, tags, priority and status events, a second channel, a canned response), and
    # Russian-speaking staff whose browsers ask for Russian.
    story = build_story("ru")
    ticket = story.ticket
    admin, more = every_kind_of_event(story)
    data = [*STORY_TEXTS["ru"].values(), *MORE_TEXTS.values()]
    agent = page_for(story.agent, "ru")
    head = page_for(admin, "ru")
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
        **{f"ticket #{t.number}": (agent, f"/tickets/{t.number}/") for t in more},
        "admin": (head, "/admin/"),
        "admin audit log": (head, "/admin/tickets/ticketevent/"),
        "admin customers": (head, "/admin/tickets/customer/"),
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
