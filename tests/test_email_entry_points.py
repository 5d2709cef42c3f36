"""Raw email handed to us instead of polled: the webhook endpoint and the MTA-pipe command."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import CommandError, call_command

from channels_inbound import inbox
from channels_inbound.models import InboundEvent, Mailbox
from tests.email_helpers import raw_email
from tickets.models import Direction, Message


@pytest.fixture
def mailbox(support):
    return Mailbox.objects.create(name="Support", address="support@desk.example", group=support,
                                  inbound_key="k3y-for-the-mail-service")  # fmt: skip


def post(client, mailbox, body: bytes, key: str = "k3y-for-the-mail-service"):
    return client.post(f"/api/v1/inbound/email/{mailbox.pk}/", body,
                       content_type="message/rfc822", HTTP_X_HELPDESK_KEY=key)  # fmt: skip


def test_the_webhook_stores_the_raw_message_once_and_it_becomes_a_ticket(client, mailbox):
    raw = raw_email(subject="Sent by the mail service")

    first, again = post(client, mailbox, raw), post(client, mailbox, raw)

    assert first.status_code == again.status_code == 202
    assert first.json()["duplicate"] is False and again.json() == {
        "event": first.json()["event"], "duplicate": True}  # fmt: skip
    event = InboundEvent.objects.get()
    assert bytes(event.raw) == raw and event.payload == {"mailbox": mailbox.pk}
    assert inbox.process(event_id=event.pk) == "done"
    message = Message.objects.get(direction=Direction.IN)
    assert message.ticket.subject == "Sent by the mail service"
    assert message.ticket.group == mailbox.group


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"key": "guessed"}, 403, "Unknown mailbox or wrong key."),
        ({"key": ""}, 403, "Unknown mailbox or wrong key."),
        ({"inactive": True}, 403, "Unknown mailbox or wrong key."),
        ({"body": b"  \r\n"}, 400, "The request body must be the raw message."),
        ({"body": b"x" * (1024 * 1024 + 1)}, 413, "larger than the mailbox accepts"),
    ],
)
def test_the_webhook_refuses_precisely_and_writes_nothing(client, mailbox, settings, change,
                                                          status, words):  # fmt: skip
    settings.HELPDESK_MAX_EMAIL_MB = 1
    if change.get("inactive"):
        Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
    body = change.get("body", raw_email())

    response = post(client, mailbox, body, key=change.get("key", mailbox.inbound_key))

    assert response.status_code == status and words in response.json()["message"]
    assert not InboundEvent.objects.exists()


def test_a_mailbox_without_a_key_takes_no_webhook_mail(client, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(inbound_key="")

    assert post(client, mailbox, raw_email(), key="").status_code == 403
    assert not InboundEvent.objects.exists()


def pipe(monkeypatch, raw: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))


def test_the_mta_pipe_command_stores_the_message_once(mailbox, monkeypatch):
    raw = raw_email(subject="Through Postfix")
    out = io.StringIO()
    pipe(monkeypatch, raw)
    call_command("ingest_email", "--mailbox", "Support@Desk.example", stdout=out)
    pipe(monkeypatch, raw)
    call_command("ingest_email", "--mailbox", str(mailbox.pk), stdout=out)

    event = InboundEvent.objects.get()
    assert f"Message stored as inbox event {event.pk}." in out.getvalue()
    assert f"Message already stored as inbox event {event.pk}." in out.getvalue()
    assert inbox.process(event_id=event.pk) == "done"
    assert Message.objects.get(direction=Direction.IN).ticket.subject == "Through Postfix"


@pytest.mark.parametrize(
    ("address", "raw", "words"),
    [
        ("nobody@desk.example", raw_email(), "There is no mailbox nobody@desk.example."),
        ("support@desk.example", b"\n", "Nothing on standard input"),
    ],
)
def test_the_mta_pipe_command_fails_loudly(mailbox, monkeypatch, address, raw, words):
    pipe(monkeypatch, raw)

    with pytest.raises(CommandError, match=words):
        call_command("ingest_email", "--mailbox", address)
    assert not InboundEvent.objects.exists()
