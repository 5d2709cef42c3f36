"""Remote images in a customer's HTML email are not loaded when an agent opens the ticket
(a tracking pixel would tell the sender when and from where it was read) until the agent
clicks "Show images" on that message; inline (cid:) images show at once, from our storage;
and no page breaks its own Content-Security-Policy."""

from __future__ import annotations

import base64
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels_inbound.mailboxes import receive_raw
from channels_inbound.models import Mailbox
from tests.factories import GroupFactory, UserFactory
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def image_host():
    """A sender's image server on its own port (another origin), recording every fetch."""
    fetched: list[str] = []

    class Pixel(BaseHTTPRequestHandler):
        def do_GET(self):
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PIXEL)))
            self.end_headers()
            self.wfile.write(PIXEL)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pixel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", fetched
    server.shutdown()
    server.server_close()


def html_email(remote: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Marina Sokolova <marina@mail.example>"
    mail["To"] = "support@desk.example"
    mail["Subject"] = "Our new price list"
    mail["Message-ID"] = "<price-list-1@mail.example>"
    mail.set_content("The price list is attached below.")
    mail.add_alternative(
        "<p>The price list is below.</p>"
        f'<p><img src="{remote}/open.png?who=agent" alt="tracker" width="1" height="1"></p>'
        '<p><img src="cid:logo@mail.example" alt="Our logo"></p>',
        subtype="html",
    )
    mail.get_payload()[1].add_related(
        PIXEL, maintype="image", subtype="png", cid="<logo@mail.example>", filename="logo.png"
    )
    return mail.as_bytes()


def test_remote_images_wait_for_show_images_and_inline_ones_show_at_once(page_for, image_host):
    # Given: a customer's HTML email with a remote image (a tracking pixel on the sender's
    # server) and an inline cid: image, on a ticket; an agent of the desk.
    remote, fetched = image_host
    support = GroupFactory(name="Support")
    mailbox = Mailbox.objects.create(name="Support", address="support@desk.example", group=support)
    receive_raw(mailbox=mailbox, raw=html_email(remote))
    message = Message.objects.get(ticket__subject="Our new price list", direction="in")
    agent = UserFactory(full_name="Vasya Pupkin", groups=[support])
    page = page_for(agent)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    # When: they open the ticket.
    page.goto(f"/tickets/{message.ticket.number}/")
    body = page.locator(f"#message-{message.pk} .body")

    # Then: the inline image shows (loaded from our storage), the remote one is not fetched,
    # and the message offers to show its images.
    logo = body.locator('img[alt="Our logo"]')
    logo.wait_for()
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "/api/v1/attachments/" in logo.get_attribute("src")
    page.wait_for_load_state("networkidle")
    assert fetched == []
    assert body.locator('img[alt="tracker"]').count() == 0

    # When: they click "Show images" on that message.
    with page.expect_navigation():
        page.locator(f"#message-{message.pk}").get_by_role("link", name="Show images").click()

    # Then: the remote image is fetched and shown, the inline one still shows, and neither
    # page broke its Content-Security-Policy.
    tracker = page.locator(f"#message-{message.pk} .body img[alt='tracker']")
    tracker.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=tracker.element_handle()
    )
    assert fetched == ["/open.png?who=agent"]
    assert page.locator(f"#message-{message.pk} .body img[alt='Our logo']").count() == 1
    assert violations == [] and page.js_errors == []


def test_the_main_pages_break_no_content_security_policy(page_for):
    # Given: an admin (who sees the workspace, the Django admin and the API docs), a ticket.
    support = GroupFactory(name="Support")
    mailbox = Mailbox.objects.create(name="Support", address="support@desk.example", group=support)
    receive_raw(mailbox=mailbox, raw=html_email("https://images.example"))
    ticket = Message.objects.get(direction="in").ticket
    admin = UserFactory(full_name="Ada Admin", role="admin", groups=[support])
    visitor = page_for()
    page = page_for(admin)
    violations: list[str] = []
    for each in (visitor, page):
        each.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )

    # When: they open each page (and the visitor the support form and the login page).
    policies = []
    for path in ("/support/", "/login/"):
        policies.append(visitor.goto(path).headers.get("content-security-policy", ""))
        visitor.wait_for_load_state("networkidle")
    for path in (
        "/tickets/",
        f"/tickets/{ticket.number}/",
        f"/customers/{ticket.customer_id}/",
        "/preferences/",
        "/admin/",
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        "/api/docs/",
    ):
        policies.append(page.goto(path).headers.get("content-security-policy", ""))
        page.wait_for_load_state("networkidle")
    page.locator(".swagger-ui .opblock").first.wait_for()

    # Then: each page came with its policy, nothing was refused, and the language switcher
    # (a static script now) still works.
    with visitor.expect_navigation():
        visitor.select_option("#lang-switch", "ru")
    assert visitor.locator("html").get_attribute("lang") == "ru"
    assert all("script-src 'self';" in p and "img-src 'self' data:;" in p for p in policies)
    assert violations == [] and page.js_errors == [] and visitor.js_errors == []
