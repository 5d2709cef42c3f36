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

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connection
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from accounts.services import preferences_save

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
    """The page's websocket is open (queue pages), and has joined the ticket (ticket pages).
    Functions, not expressions: Playwright polls an expression with eval, which the pages'
    Content-Security-Policy forbids."""
    if ticket:
        page.wait_for_function("() => window.__ws && window.__ws.types.includes('watching')")
    else:
        page.wait_for_function("() => window.__ws && window.__ws.open > 0")


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
