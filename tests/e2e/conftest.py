"""The end-to-end harness: the real ASGI application under uvicorn, Debian's Chromium through
Playwright, the test database and the per-worker Redis shared by both.

* `server`: uvicorn in a background thread serving `helpdesk.asgi.application` (HTTP through
  Django, websockets through Channels) on a free port of 127.0.0.1. Static files come from
  the finders (the test settings run with DEBUG off and an empty STATIC_ROOT, so WhiteNoise
  would answer 404 for the CSS and htmx). One server per test session: every e2e test is
  transactional (`django_db(transaction=True)`), commits for real and is flushed afterwards,
  so the server's own connections always see exactly the rows of the running test.
* `browser`: Chromium, headless, one per test module. Playwright's sync API keeps an asyncio
  loop "running" in the main thread for as long as it is started; Django then refuses ORM
  calls there (and `async_to_sync` refuses to run at all). While a module of e2e tests runs,
  `DJANGO_ALLOW_ASYNC_UNSAFE` is set so the tests may use the ORM; the browser stops (and the
  loop with it) when the module ends, so other tests in the same xdist worker never meet it.
* `page_for(user, lang)`: a fresh browser context in the user's language (the user's own
  `language` and the browser's locale / Accept-Language), logged in through /login/.
* `screenshot(page, lang, name)`: a PNG under tests/artifacts/screenshots/<lang>/.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connection
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from accounts.models import Role
from accounts.services import preferences_save
from comments.services import comment_and_hand_back, comment_create
from tests.conftest import inbound
from tests.factories import GroupFactory, UserFactory
from tickets import services
from tickets.models import Channel, IdentityKind, Ticket
from tickets.services.workspace import canned_save
from tickets.types import ThreadHints

BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "tests" / "artifacts" / "screenshots"
PASSWORD = "pass-word-123"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCALES = {"en": "en-US", "ru": "ru-RU"}
CUSTOMER_EMAIL = "marina@mail.example"

# Test-only instrumentation, injected before any page script: counts the page's websockets
# that opened and remembers the type of every frame received, so a test can wait until the
# page is really listening (the server answers "watching" once a ticket page has joined the
# ticket's group) instead of sleeping.
SOCKET_PROBE = """
(() => {
  const Native = window.WebSocket;
  window.__ws = { open: 0, types: [], frames: [] };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => { window.__ws.open += 1; });
      this.addEventListener("message", (e) => {
        try {
          const type = JSON.parse(e.data).type;
          window.__ws.types.push(type);
          window.__ws.frames.push({ type: type, at: Date.now() });
        } catch (err) { /* not JSON */ }
      });
    }
  };
})();
"""


# --- The live server ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker) -> str:
    """The whole product (HTTP + websockets) on a free port; its base URL."""
    import helpdesk.asgi

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app=ASGIStaticFilesHandler(helpdesk.asgi.application),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
    )
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(
        target=uvicorn_server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while True:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped while starting; see the log above")
        if uvicorn_server.started:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not answer on 127.0.0.1:{port} within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    # The server's worker threads keep their database connections; end them, or the test
    # database cannot be dropped at the end of a run without --reuse-db.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _live_settings(settings, server):
    """Links the product builds (the status-page link on the web form's answer) point at the
    live server, as SITE_URL does in a deployment; the web form's rate limit per address
    would otherwise stop the suite (every request comes from 127.0.0.1)."""
    settings.SITE_URL = server
    settings.HELPDESK_WEBFORM_RATE_LIMIT = "1000/minute"


# --- The browser -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page_for(browser, server, transactional_db):
    """`page_for(user, lang="en", viewport=DESKTOP)`: a logged-in page (user None: a visitor).

    Each call is its own browser context (cookies, storage), closed when the test ends and
    before its tables are flushed. Uncaught script errors are kept on `page.js_errors`.
    """
    contexts = []

    def open_page(user=None, lang: str = "en", *, viewport: dict | None = None) -> Page:
        if user is not None:
            preferences_save(user=user, language=lang, time_zone=user.time_zone)
        context = browser.new_context(
            base_url=server, locale=LOCALES[lang], viewport=viewport or DESKTOP
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        context.add_init_script(SOCKET_PROBE)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        if user is not None:
            log_in(page, user)
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page: Page, user) -> None:
    page.goto("/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/login/" not in page.url, f"{user.email} could not log in: {page.inner_text('main')}"


def wait_until_listening(page: Page, *, ticket: bool) -> None:
    """The page's websocket is open (queue pages), and has joined the ticket (ticket pages)."""
    if ticket:
        page.wait_for_function("window.__ws && window.__ws.types.includes('watching')")
    else:
        page.wait_for_function("window.__ws && window.__ws.open > 0")


def appears_within(page: Page, locator, seconds: float, *, since: float) -> float:
    """Wait until `locator` is visible, at most `seconds` after the monotonic time `since`;
    how long it took. A miss says which websocket frames the page had received."""
    left = max(0.05, seconds - (time.monotonic() - since))
    try:
        locator.wait_for(timeout=left * 1000)
    except PlaywrightTimeout:
        frames = page.evaluate("window.__ws ? window.__ws.frames : []")
        now = time.time() * 1000
        heard = [(f["type"], f"{(f['at'] - now) / 1000:+.2f}s") for f in frames]
        raise AssertionError(
            f"{locator} did not appear within {seconds} s; the page's websocket frames "
            f"(relative to now): {heard}"
        ) from None
    return time.monotonic() - since


def screenshot(page: Page, lang: str, name: str, *, full_page: bool = True) -> Path:
    path = SCREENSHOTS / lang / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


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
