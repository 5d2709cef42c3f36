"""Direction overrides (U+202A-U+202E, U+2066-U+2069) are stored as they came, but never shown
raw where they could disguise a file name or an address: "invoice\u202efdp.exe" reads as
"invoiceexe.pdf". Every page, email and download shows them as a visible marker (or, in a
file name to save, without them)."""

from __future__ import annotations

import re

import pytest

from channels_inbound.status_links import make_token
from tests.conftest import inbound
from tickets import services
from tickets.models import Attachment, Ticket
from tickets.types import InboundAttachment

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
FILE = "invoice\u202efdp.exe"


def raw_in(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in CONTROLS if c in text]


def shown_text(html: str) -> str:
    """The page without its form fields' values: a field keeps the stored value to edit."""
    html = re.sub(r'(<input[^>]*\svalue=")[^"]*"', r'\1"', html)
    return re.sub(r"(<textarea[^>]*>).*?(</textarea>)", r"\1\2", html, flags=re.S)


@pytest.fixture
def disguised(support, agent, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = inbound(
        sender="eve@mail.example",
        name="Eve \u202egro.elpmaxe@nimda",
        subject=f"Refund {CONTROLS} please",
        attachments=(InboundAttachment(FILE, "application/octet-stream", b"MZ"),),
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_ingest(message=message, group=support).ticket
        services.ticket_reply(ticket=ticket, by=agent, text="Looking")
    return Ticket.objects.get(pk=ticket.pk)


def test_agent_pages_show_a_marker_instead(client, agent, disguised):
    assert CONTROLS in disguised.subject and "\u202e" in disguised.customer.name  # as they came
    assert Attachment.objects.get().name == FILE
    client.force_login(agent)
    pages = {
        "ticket": client.get(f"/tickets/{disguised.number}/"),
        "queue": client.get("/tickets/"),
        "customer": client.get(f"/customers/{disguised.customer_id}/"),
    }

    for name, page in pages.items():
        html = page.content.decode()
        assert page.status_code == 200, name
        assert raw_in(shown_text(html)) == [], name
    ticket_page = pages["ticket"].content.decode()
    assert "invoice[U+202E]fdp.exe" in ticket_page
    assert "Eve [U+202E]gro.elpmaxe@nimda" in ticket_page


def test_the_customers_status_page_and_email_show_a_marker(client, disguised, mailoutbox):
    page = client.get(f"/status/{make_token(disguised.number, 'eve@mail.example')}/")

    html = page.content.decode()
    assert page.status_code == 200 and raw_in(html) == []
    assert "invoice[U+202E]fdp.exe" in html and "Refund [U+202A]" in html
    (reply,) = [m for m in mailoutbox if m.to == ["eve@mail.example"] and "Looking" in m.body]
    assert raw_in(reply.subject) == [] and "[U+202E]" in reply.subject


def test_downloads_save_the_file_without_the_controls(client, agent, disguised):
    attachment = Attachment.objects.get()
    client.force_login(agent)
    token = make_token(disguised.number, "eve@mail.example")

    for url in (f"/api/v1/attachments/{attachment.pk}/",
                f"/status/{token}/files/{attachment.pk}/"):  # fmt: skip
        disposition = client.get(url)["Content-Disposition"]
        assert "invoicefdp.exe" in disposition, url
        assert "%E2%80%AE" not in disposition.upper() and raw_in(disposition) == [], url


def test_the_admin_shows_a_marker_instead(client, admin_user, disguised):
    client.force_login(admin_user)

    for url in (
        "/admin/tickets/ticket/",
        f"/admin/tickets/ticket/{disguised.pk}/change/",
        "/admin/tickets/customer/",
        "/admin/tickets/customeridentity/",
        "/admin/tickets/attachment/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert raw_in(shown_text(page.content.decode())) == [], url
