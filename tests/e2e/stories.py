"""The data the end-to-end tests act on, made through the services, and a customer writing
from another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from accounts.models import Role
from comments.services import comment_and_hand_back, comment_create
from tests.conftest import inbound
from tests.factories import GroupFactory, UserFactory
from tickets import services
from tickets.models import Channel, IdentityKind, Ticket
from tickets.services.workspace import canned_save
from tickets.types import ThreadHints

BASE_DIR = Path(__file__).resolve().parents[2]
CUSTOMER_EMAIL = "marina@mail.example"


# --- Data, through the services ----------------------------------------------------------------
def customer_writes(
    *,
    text: str,
    subject: str = "Где мой заказ?",
    sender: str = CUSTOMER_EMAIL,
    name: str = "Марина Соколова",
    channel: str = Channel.EMAIL,
    kind: str = IdentityKind.EMAIL,
    number: int | None = None,
    group=None,
) -> Ticket:
    """A customer's message through the one way in (`ticket_ingest`); `number` continues
    that ticket."""
    result = services.ticket_ingest(
        group=group,
        message=inbound(
            sender=sender,
            kind=kind,
            channel=channel,
            subject=subject,
            text=text,
            name=name,
            external_id=f"e2e-{uuid.uuid4().hex}",
            hints=ThreadHints(ticket_number=number) if number else None,
        ),
    )
    return result.ticket


# The same story in each language: every string a page may show as data (not interface).
STORY_TEXTS = {
    "ru": {
        "group": "Первая линия",
        "agent": "Василий Пупкин",
        "internal": "Дмитрий Кузнецов",
        "internal_title": "Разработчик",
        "customer": "Марина Соколова",
        "subject": "Скидка на рюкзак",
        "first": "Здравствуйте! Рюкзак был со скидкой 10%, а списали со скидкой 5%.",
        "tag": "возврат",
        "comment": "@dima глянь, пожалуйста, был ли бейдж на карточке товара.",
        "note": "Был ли показан бейдж «−10%» для этого товара четырнадцатого числа?",
        "answer": "Да, бейдж был, в правиле акции опечатка. Исправил.",
        "reply": "Марина, простите за ошибку! Вернём разницу на карту в течение трёх дней.",
        "second": "Спасибо, жду возврата.",
        "other_subject": "Вопрос о доставке",
        "other": "Когда привезут второй заказ?",
        "asked_subject": "Не проходит оплата",
        "asked": "Карта не проходит при оплате заказа.",
        "asked_note": "Посмотри журнал платёжного шлюза за сегодня, пожалуйста.",
        "canned_title": "Приветствие",
        "canned_body": "Здравствуйте, {customer_name}! Меня зовут {agent_name}.",
    },
    "en": {
        "group": "Tier one",
        "agent": "Vasya Pupkin",
        "internal": "Dima Kuznetsov",
        "internal_title": "Developer",
        "customer": "Marina Sokolova",
        "subject": "Backpack discount",
        "first": "Hello! The backpack was 10% off on the site, but I was charged with 5% off.",
        "tag": "refund",
        "comment": "@dima could you check whether the badge was on the product card?",
        "note": "Was the 10% badge shown for this SKU on the 14th?",
        "answer": "Yes, the badge was shown; the promo rule had a typo. Fixed.",
        "reply": "Marina, sorry for the mistake! We will refund the difference within 3 days.",
        "second": "Thank you, waiting for the refund.",
        "other_subject": "Delivery question",
        "other": "When will my second order arrive?",
        "asked_subject": "Card payment fails",
        "asked": "My card is declined when I pay for the order.",
        "asked_note": "Please check the payment gateway log for today.",
        "canned_title": "Greeting",
        "canned_body": "Hello, {customer_name}! My name is {agent_name}.",
    },
}


@dataclass
class Story:
    texts: dict
    agent: object
    internal: object
    ticket: Ticket  # the whole story: messages both ways, comments, hand-off and back, events
    asked: Ticket  # handed to the internal staff member with a question, not yet answered
    email: str = CUSTOMER_EMAIL


def build_story(lang: str) -> Story:
    """Scenario 1 in `lang`, built through the services as the product would."""
    t = STORY_TEXTS[lang]
    group = GroupFactory(name=t["group"])
    agent = UserFactory(full_name=t["agent"], email="vasya@desk.example", groups=[group])
    internal = UserFactory(
        full_name=t["internal"],
        email="dima@corp.example",
        role=Role.INTERNAL,
        title=t["internal_title"],
        handle="dima",
    )
    ticket = customer_writes(text=t["first"], subject=t["subject"], name=t["customer"], group=group)
    services.ticket_assign(ticket=ticket, owner=agent, by=agent)
    services.ticket_set_priority(ticket=ticket, priority="high", by=agent)
    services.ticket_set_tags(ticket=ticket, by=agent, replace=[t["tag"]])
    comment_create(ticket=ticket, by=agent, text=t["comment"])
    services.ticket_hand_off(ticket=ticket, by=agent, to_user=internal, note=t["note"])
    comment_and_hand_back(ticket=ticket, by=internal, text=t["answer"])
    services.ticket_reply(ticket=ticket, by=agent, text=t["reply"], status="pending")
    customer_writes(text=t["second"], name=t["customer"], number=ticket.number)
    services.identity_add(
        customer=ticket.customer, kind=IdentityKind.TELEGRAM, value="5550001", by=agent
    )
    customer_writes(
        text=t["other"],
        subject=t["other_subject"],
        name=t["customer"],
        channel=Channel.TELEGRAM,
        kind=IdentityKind.TELEGRAM,
        sender="5550001",
        group=group,
    )
    asked = customer_writes(
        text=t["asked"], subject=t["asked_subject"], name=t["customer"], group=group
    )
    services.ticket_assign(ticket=asked, owner=agent, by=agent)
    services.ticket_hand_off(ticket=asked, by=agent, to_user=internal, note=t["asked_note"])
    canned_save(by=agent, title=t["canned_title"], body=t["canned_body"], personal=False)
    return Story(t, agent, internal, Ticket.objects.get(pk=ticket.pk), asked)


# Runs in another process, as the Celery worker that turns inbound mail into tickets would:
# its own Django, its own database connection, the same Redis channel layer.
INGEST_SCRIPT = """
import json, sys
import django
django.setup()
from helpdesk import realtime
from tickets.services import ticket_ingest
from tickets.types import NormalizedMessage, ThreadHints
args = json.loads(sys.argv[1])
result = ticket_ingest(message=NormalizedMessage(
    channel="email", sender_kind="email", sender_value=args["sender"],
    sender_name=args["name"], subject=args["subject"], text=args["text"],
    external_id=args["external_id"], hints=ThreadHints(ticket_number=args["number"]),
))
assert realtime.flush(10), "the real-time events were not sent"
print(result.ticket.number)
"""


def ingest_in_another_process(
    *, text: str, subject: str = "", number: int | None = None, sender: str = CUSTOMER_EMAIL
) -> int:
    """`ticket_ingest` in a separate Python process on the test database; the ticket's number."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "PYTEST_XDIST_WORKER", "TEST_DATABASE_NAME")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        DEBUG="1",
        SECRET_KEY="x",
        DATABASE_URL=f"postgres://{user}{password}@{host}:{port}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        DATABASE_POOL_SIZE="0",
        # The acknowledgement e-mail runs in-process (to the console) instead of waiting
        # in the test Redis for a worker that never comes.
        CELERY_TASK_ALWAYS_EAGER="true",
        LOG_LEVEL="WARNING",
    )
    args = {
        "text": text,
        "subject": subject,
        "number": number,
        "sender": sender,
        "name": "Марина Соколова",
        "external_id": f"e2e-other-process-{uuid.uuid4().hex}",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", INGEST_SCRIPT, json.dumps(args)],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"ingest in another process failed:\n{done.stderr[-3000:]}"
    return int(done.stdout.strip().splitlines()[-1])
