"""Email the way it really travels: into a Dovecot mailbox, polled, turned into a ticket,
answered through a real SMTP server, and the customer's answer back into the same ticket.
Also every real-world message of the corpus through the mailbox, and a message that stalls
the server."""

from __future__ import annotations

import json
import re
import socket
import threading
import unicodedata
from pathlib import Path

import pytest
from django.utils import timezone

from channels_inbound import inbox, mailboxes, outbox
from channels_inbound.adapters.email_in import message_id_of
from channels_inbound.models import InboundEvent, Mailbox, OutboundDelivery
from tests.email_helpers import raw_email
from tickets import services
from tickets.models import Direction, IdentityKind, Message, Status, Ticket
from tickets.services.attachments import NewAttachment

SUPPORT = "support@desk.example"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "email"
RECORDS = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def make_mailbox(group, host: str, port: int, password: str) -> Mailbox:
    box = Mailbox(name="Support", address=SUPPORT, group=group, imap_host=host, imap_port=port,
                  imap_security=Mailbox.Security.NONE, imap_login=SUPPORT)  # fmt: skip
    box.imap_password = password
    box.save()
    return box


@pytest.fixture
def mailbox(dovecot, support):
    return make_mailbox(support, *dovecot.address, dovecot.users[SUPPORT])


def poll_and_process(mailbox: Mailbox) -> mailboxes.PollResult:
    """What beat and the worker do: poll the mailbox, then drain the inbox."""
    result = mailboxes.poll(mailbox_id=mailbox.pk)
    inbox.drain(seconds=60)
    return result


def send_outbox(message: Message):
    delivery = OutboundDelivery.objects.get(message=message)
    assert outbox.deliver(delivery_id=delivery.pk, now=timezone.now()) == "sent"


def test_a_conversation_goes_from_the_mailbox_to_the_agent_and_back(
    dovecot, mailbox, smtp, support, agent
):
    dovecot.deliver(SUPPORT, raw_email(message_id="<q1@mail.example>", subject="Backpack discount",
                                       text="I was charged 5% off instead of 10%."))  # fmt: skip

    assert poll_and_process(mailbox).fetched == 1
    ticket = Ticket.objects.get()
    assert (ticket.group, ticket.channel, ticket.subject) == (support, "email", "Backpack discount")
    assert ticket.customer.identities.get(kind=IdentityKind.EMAIL).value == "marina@mail.example"

    # The acknowledgement: the number, the status link, threaded under the customer's mail.
    send_outbox(ticket.messages.get(direction=Direction.OUT, is_auto_generated=True))
    ack = smtp.parsed(0)
    assert f"[#{ticket.number}]" in ack["Subject"] and ack["In-Reply-To"] == "<q1@mail.example>"
    assert "/status/" in ack.get_body(("plain",)).get_content()

    receipt = NewAttachment("возврат-refund.pdf", "application/pdf", b"%PDF-1.4 refund receipt")
    reply = services.ticket_reply(ticket=ticket, by=agent, text="The other 5% are refunded.",
                                  attachments=[receipt])  # fmt: skip
    send_outbox(reply)
    answer = smtp.parsed(1)
    reply.refresh_from_db()
    assert smtp.received[1].rcpt_tos == ["marina@mail.example"]
    assert SUPPORT in answer["From"]
    assert answer["Subject"] == f"Re: [#{ticket.number}] Backpack discount"
    assert answer["Message-ID"] == reply.external_id
    assert re.fullmatch(
        rf"<t{ticket.number}\.m{reply.pk}\.[0-9a-f]{{20}}@[^>]+>", reply.external_id
    )
    assert answer["In-Reply-To"] == "<q1@mail.example>"
    assert "<q1@mail.example>" in answer["References"].split()
    assert "The other 5% are refunded." in answer.get_body(("plain",)).get_content()
    assert "The other 5% are refunded." in answer.get_body(("html",)).get_content()
    [attached] = answer.iter_attachments()
    assert attached.get_filename() == "возврат-refund.pdf"
    assert attached.get_content() == b"%PDF-1.4 refund receipt"

    # The customer's mail client answers with its own subject; the headers carry the thread.
    dovecot.deliver(SUPPORT, raw_email(
        subject="thanks!!", text="Got it, thank you.", in_reply_to=answer["Message-ID"],
        references=f"{answer['References']} {answer['Message-ID']}"))  # fmt: skip
    services.ticket_set_status(ticket=ticket, status=Status.SOLVED, by=agent)

    assert poll_and_process(mailbox).fetched == 1
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # the answer reopened the solved ticket
    assert list(ticket.messages.filter(direction=Direction.IN).values_list("text", flat=True)
                .order_by("id")) == ["I was charged 5% off instead of 10%.",
                                     "Got it, thank you."]  # fmt: skip


def test_a_colleague_in_cc_is_shown_as_such_on_the_ticket_page(dovecot, mailbox, agent, client):
    dovecot.deliver(SUPPORT, raw_email(message_id="<cc@mail.example>", cc="boss@mail.example"))
    dovecot.deliver(SUPPORT, raw_email(sender="boss@mail.example", name="Olga Boss",
                                       subject="Re: Backpack discount", text="Please hurry.",
                                       in_reply_to="<cc@mail.example>"))  # fmt: skip
    poll_and_process(mailbox)

    ticket = Ticket.objects.get()
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()

    assert "Please hurry." in page
    assert "(boss@mail.example, in copy)" in page
    assert ticket.customer.name == "Marina Sokolova"  # the colleague did not take it over


# --- The corpus --------------------------------------------------------------------------------


def test_every_corpus_message_through_the_mailbox(dovecot, mailbox):
    raws = [(CORPUS / record["file"]).read_bytes() for record in RECORDS]
    uids = dovecot.deliver_many(SUPPORT, raws)

    result = poll_and_process(mailbox)

    assert (result.fetched, result.skipped, result.error) == (len(RECORDS), 0, "")
    events = {event.payload["uid"]: event for event in InboundEvent.objects.filter(
        channel="email").select_related("message__ticket__customer")}  # fmt: skip
    assert not [e for e in events.values() if e.status == InboundEvent.Status.PENDING]
    for uid, record in zip(uids, RECORDS, strict=True):
        check_corpus_record(events[uid], record)


def check_corpus_record(event: InboundEvent, record: dict) -> None:
    name = record["file"]
    if record["from_address"] is None:
        # Nobody to answer: kept raw with a clear error for an admin, never a ticket.
        assert event.status == InboundEvent.Status.FAILED, name
        assert "no sender address" in event.error, name
        assert event.message is None, name
        return
    if event.status == InboundEvent.Status.IGNORED:
        # Only a delivery report about our own mail is set aside.
        assert "Delivery report" in event.error, name
        return
    assert event.status == InboundEvent.Status.DONE, (name, event.error)
    message = event.message
    if record["message_id"]:
        # The corpus holds a few copies of one message: each copy is the same single message.
        message_id = message_id_of(record["message_id"])
        assert Message.objects.filter(external_id=message_id).count() == 1, name
        assert message.external_id == message_id, name
        if InboundEvent.objects.filter(message=message).earliest("id") != event:
            return  # a later copy: it points at the message the first copy made
    identity = message.ticket.customer.identities.filter(kind=IdentityKind.EMAIL)
    assert message.sender_address.lower() == record["from_address"].lower() or identity.filter(
        value=record["from_address"].lower()).exists(), name  # fmt: skip
    assert message.is_auto_generated is record["is_auto_generated"], name
    if record.get("subject") and message.ticket.messages.order_by("id").first() == message:
        assert " ".join(record["subject"].split())[:60] in message.ticket.subject, name
    stored = [a.name for a in message.attachments.all() if not a.is_inline]
    expected = [unicodedata.normalize("NFC", f) if f else f for f in record["attachment_filenames"]]
    assert len(stored) == len(expected), (name, stored)
    for filename in filter(None, expected):  # a nameless part is stored under a made-up name
        assert any(n == filename or n.startswith(filename[:40]) for n in stored), (name, stored)
    text = " ".join(f"{message.text} {message.quoted_text}".split())
    for snippet in record["body_contains"]:
        assert " ".join(snippet.split()) in text, (name, snippet)


# --- A message that stalls the server ------------------------------------------------------------


class StallingProxy:
    """A TCP proxy in front of Dovecot that stops passing the server's words on as soon as
    they carry `marker`: what a poller sees when one message hangs the server's connection."""

    def __init__(self, upstream: tuple[str, int], marker: bytes) -> None:
        self.upstream, self.marker = upstream, marker
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()
        self.sockets: list[socket.socket] = []
        self.stalls = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, watch: bool) -> None:
        seen = b""
        try:
            while data := source.recv(65536):
                seen = (seen + data)[-len(self.marker) - 65536 :]
                if watch and self.marker in seen:
                    self.stalls += 1
                    return  # hold the connection open, say nothing more
                target.sendall(data)
        except OSError:
            return

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets:
            s.close()


def test_a_message_that_stalls_the_server_is_recorded_and_never_fetched_again(
    dovecot, support, settings
):
    settings.HELPDESK_IMAP_TIMEOUT_SECONDS = 1
    proxy = StallingProxy(dovecot.address, b"STALLS-THE-SERVER")
    try:
        box = make_mailbox(support, *proxy.address, dovecot.users[SUPPORT])
        first, stalling, last = dovecot.deliver_many(SUPPORT, [
            raw_email(subject="Before"), raw_email(subject="Hangs", text="STALLS-THE-SERVER"),
            raw_email(subject="After")])  # fmt: skip

        result = mailboxes.poll(mailbox_id=box.pk)

        assert (result.fetched, result.skipped, result.error) == (2, 1, "")
        skipped = InboundEvent.objects.get(status=InboundEvent.Status.FAILED)
        assert skipped.payload["uid"] == stalling and "timed out" in skipped.error
        stored = InboundEvent.objects.filter(status=InboundEvent.Status.PENDING)
        assert sorted(e.payload["uid"] for e in stored) == [first, last]
        box.refresh_from_db()
        assert box.last_uid == last and box.last_error == ""

        stalls = proxy.stalls
        again = mailboxes.poll(mailbox_id=box.pk)
        assert (again.fetched, again.skipped, proxy.stalls) == (0, 0, stalls)  # not again
        assert InboundEvent.objects.count() == 3
    finally:
        proxy.close()


# --- How an email reads on the ticket page -----------------------------------------------------

PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a2a5a90000000049454e44ae426082"
)


def html_mail(*, quote: bool) -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Marina Sokolova <marina@mail.example>"
    message["To"] = SUPPORT
    message["Subject"] = "Screenshot of the error"
    quoted = "\n\nOn Mon, 20 Nov 2026, Support wrote:\n> Please send a screenshot.\n"
    message.set_content("Here it is." + (quoted if quote else ""))
    html = '<p>Here it is.</p><p><img src="cid:shot@mail.example"></p>'
    if quote:
        html += "<blockquote>Please send a screenshot.</blockquote>"
    message.add_alternative(html, subtype="html")
    message.get_payload()[1].add_related(PIXEL, "image", "png", cid="<shot@mail.example>",
                                         filename="shot.png")  # fmt: skip
    return bytes(message)


@pytest.mark.parametrize("quote", [False, True], ids=["html", "html-with-a-quote"])
def test_inline_images_show_in_place_and_the_quote_is_folded(agent, client, quote):
    from tests.email_helpers import deliver

    message = deliver(html_mail(quote=quote)).message
    image = message.attachments.get()
    assert image.is_inline
    client.force_login(agent)

    page = client.get(f"/tickets/{message.ticket.number}/").content.decode()

    assert f'src="/api/v1/attachments/{image.pk}/"' in page  # the picture, not a file link
    assert "Here it is." in page
    if quote:
        folded = page.split('<details class="quoted">', 1)[1].split("</details>", 1)[0]
        assert "Please send a screenshot." in folded
        assert page.count("Please send a screenshot.") == 1
