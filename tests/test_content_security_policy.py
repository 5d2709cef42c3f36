"""Every page carries a Content-Security-Policy (scripts and images from us only), no page
has an inline script or event handler that it would block, and a customer's remote images
are left out until the agent asks for one message's images."""

import re
from urllib.parse import urlsplit

import pytest

from channels_inbound.status_links import status_url
from tests.conftest import inbound
from tests.factories import MessageFactory
from tickets import services
from tickets.models import Message

TRACKED = (
    "<p>Hello</p>"
    '<p><img src="https://track.example/open.gif?id=7" alt="tracker"></p>'
    '<p><img src="//cdn.example:8443/logo.png" alt="cdn logo"></p>'
    '<p><img src="cid:missing@x" alt="lost inline"></p>'
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.fixture
def tracked_ticket(support, agent):
    ticket = services.ticket_ingest(
        message=inbound(html=TRACKED, text="Hello", external_id="tracked-1"), group=support
    ).ticket
    plain = MessageFactory(ticket=ticket, html='<p><img src="https://other.example/x.png"></p>')
    return ticket, Message.objects.get(ticket=ticket, external_id="tracked-1"), plain


def test_every_page_has_a_policy_with_no_inline_script(client, admin_user, tracked_ticket):
    ticket, _, _ = tracked_ticket
    public = [
        "/login/",
        "/support/",
        urlsplit(status_url(ticket.number, "marina@mail.example")).path,
    ]
    staff = [
        "/tickets/",
        f"/tickets/{ticket.number}/",
        f"/customers/{ticket.customer_id}/",
        "/preferences/",
        "/admin/",
        "/admin/tickets/ticket/",
        "/api/docs/",
    ]
    for path in public:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert not INLINE_SCRIPT.search(page) and not HANDLER.search(page), path
        policy = directives(response)
        assert policy["script-src"] == ["'self'"] and policy["img-src"] == ["'self'", "data:"]
    client.force_login(admin_user)
    for path in staff:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert not INLINE_SCRIPT.search(page), (path, INLINE_SCRIPT.search(page))
        assert not HANDLER.search(page), (path, HANDLER.search(page))
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], path
        assert policy["img-src"] == ["'self'", "data:"], path
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    api = client.get("/api/v1/me/")
    assert directives(api)["default-src"] == ["'self'"]


def test_remote_images_are_left_out_and_offered(client, agent, tracked_ticket):
    ticket, tracked, _ = tracked_ticket
    client.force_login(agent)

    page = client.get(f"/tickets/{ticket.number}/").content.decode()

    assert "track.example" not in page and "cdn.example" not in page
    assert "other.example" not in page
    assert "[tracker]" in page and "[lost inline]" in page
    assert f'href="?images={tracked.pk}#message-{tracked.pk}"' in page
    assert "Show images" in page


def test_show_images_allows_that_messages_images_only_on_that_response(
    client, agent, tracked_ticket
):
    ticket, tracked, plain = tracked_ticket
    client.force_login(agent)

    shown = client.get(f"/tickets/{ticket.number}/?images={tracked.pk}")

    page = shown.content.decode()
    assert 'src="https://track.example/open.gif?id=7"' in page
    assert 'src="//cdn.example:8443/logo.png"' in page
    assert "other.example" not in page  # another message's images stay out
    assert directives(shown)["img-src"] == [
        "'self'",
        "data:",
        "https://cdn.example:8443",
        "https://track.example",
    ]
    assert f"partial=live&amp;images={tracked.pk}" in page
    again = client.get(f"/tickets/{ticket.number}/")
    assert directives(again)["img-src"] == ["'self'", "data:"]
    assert "track.example" not in again.content.decode()
    for wrong in ("abc", "999999", str(plain.pk + 1000)):
        response = client.get(f"/tickets/{ticket.number}/?images={wrong}")
        assert response.status_code == 200
        assert directives(response)["img-src"] == ["'self'", "data:"]


def test_the_status_page_shows_no_remote_image(client, tracked_ticket):
    ticket, _, _ = tracked_ticket

    page = client.get(urlsplit(status_url(ticket.number, "marina@mail.example")).path)

    text = page.content.decode()
    assert page.status_code == 200 and "Hello" in text
    assert "track.example" not in text and "cid:" not in text


def test_a_separate_websocket_port_is_allowed_for_connections(client, agent, settings):
    settings.REALTIME_PORT = 8001
    client.force_login(agent)

    response = client.get("/tickets/", HTTP_HOST="localhost:8000")

    assert directives(response)["connect-src"] == [
        "'self'",
        "ws://localhost:8001",
        "wss://localhost:8001",
    ]
