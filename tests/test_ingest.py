"""Ingest: customer by identity, thread by hints, exactly one message per external id."""

import pytest

from tests.conftest import inbound
from tickets import services
from tickets.models import (
    Channel,
    Customer,
    CustomerIdentity,
    EventKind,
    IdentityKind,
    Message,
    Status,
    Ticket,
)
from tickets.types import InboundAttachment, ThreadHints


def test_a_first_message_creates_customer_ticket_and_created_event(support):
    result = services.ticket_ingest(message=inbound(external_id="<m1@mail>"), group=support)

    ticket = result.ticket
    assert result.ticket_created and not result.duplicate
    assert ticket.status == Status.NEW and ticket.group == support and ticket.assignee is None
    assert ticket.subject == "Backpack discount" and ticket.channel == Channel.EMAIL
    assert ticket.customer.name == "Marina Sokolova"
    assert ticket.customer.identities.get().value == "marina@mail.example"
    assert ticket.last_customer_message_at == result.message.created_at
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]
    assert result.message.direction == "in" and result.message.author_customer == ticket.customer


def test_the_same_external_id_twice_makes_one_message(db):
    first = services.ticket_ingest(message=inbound(external_id="<same@mail>"))
    second = services.ticket_ingest(message=inbound(external_id="<same@mail>"))

    assert second.duplicate and second.message.pk == first.message.pk
    assert Message.objects.count() == 1 and Ticket.objects.count() == 1


def test_identity_lookup_is_case_insensitive_for_email(db):
    first = services.ticket_ingest(message=inbound(sender="Marina@Mail.Example"))
    second = services.ticket_ingest(message=inbound(sender="marina@mail.example", subject="Other"))

    assert first.ticket.customer_id == second.ticket.customer_id
    assert CustomerIdentity.objects.get().value == "marina@mail.example"


def test_a_reply_by_message_id_joins_its_ticket(db):
    first = services.ticket_ingest(message=inbound(external_id="<q1@mail>"))
    reply = services.ticket_ingest(
        message=inbound(
            external_id="<q2@mail>",
            subject="Re: something else",
            hints=ThreadHints(external_ids=("<q1@mail>",)),
        )
    )

    assert reply.ticket.pk == first.ticket.pk and not reply.ticket_created
    kinds = list(reply.ticket.events.order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.CUSTOMER_REPLIED]


def test_a_quoted_ticket_number_joins_only_for_a_participant(db):
    own = services.ticket_ingest(message=inbound()).ticket

    again = services.ticket_ingest(
        message=inbound(text="Any news?", hints=ThreadHints(ticket_number=own.number))
    )
    stranger = services.ticket_ingest(
        message=inbound(
            sender="mallory@evil.example",
            name="Mallory",
            text="Let me in",
            hints=ThreadHints(ticket_number=own.number),
        )
    )

    assert again.ticket.pk == own.pk
    assert stranger.ticket.pk != own.pk and stranger.ticket_created
    assert stranger.ticket.follow_up_of_id == own.pk and stranger.linked_to.pk == own.pk
    assert not own.messages.filter(text="Let me in").exists()


def test_a_messenger_conversation_continues_the_latest_ticket(db):
    def telegram(text):
        return inbound(
            channel=Channel.TELEGRAM,
            kind=IdentityKind.TELEGRAM,
            sender="42",
            subject="",
            text=text,
            hints=ThreadHints(conversation=True),
        )

    first = services.ticket_ingest(message=telegram("Привет"))
    second = services.ticket_ingest(message=telegram("Вы тут?"))

    assert second.ticket.pk == first.ticket.pk
    assert first.ticket.subject == "Привет"
    assert second.ticket.messages.count() == 2


@pytest.mark.parametrize("status", [Status.SOLVED, Status.PENDING, Status.ON_HOLD])
def test_a_customer_reply_reopens_a_waiting_or_solved_ticket(agent, status):
    ticket = services.ticket_ingest(message=inbound(external_id="<r1@mail>")).ticket
    services.ticket_set_status(ticket=ticket, status=status, by=agent)

    services.ticket_ingest(
        message=inbound(external_id="<r2@mail>", hints=ThreadHints(external_ids=("<r1@mail>",)))
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    expected = EventKind.REOPENED if status == Status.SOLVED else EventKind.STATUS_CHANGED
    assert ticket.events.filter(kind=expected, old=status, new=Status.OPEN).exists()


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(agent):
    old = services.ticket_ingest(message=inbound(external_id="<c1@mail>")).ticket
    services.ticket_set_status(ticket=old, status=Status.CLOSED, by=agent)

    result = services.ticket_ingest(
        message=inbound(external_id="<c2@mail>", hints=ThreadHints(external_ids=("<c1@mail>",)))
    )

    assert result.ticket_created and result.ticket.follow_up_of_id == old.pk
    assert old.events.filter(kind=EventKind.FOLLOW_UP, new__number=result.ticket.number).exists()
    old.refresh_from_db()
    assert old.status == Status.CLOSED


def test_html_is_sanitized_and_text_derived(db):
    html = '<p onclick="x()">Hi <b>there</b><script>alert(1)</script><img src="javascript:x"></p>'

    message = services.ticket_ingest(message=inbound(text="", html=html)).message

    assert "<script" not in message.html and "onclick" not in message.html
    assert "javascript:" not in message.html and "<b>there</b>" in message.html
    assert message.text == "Hi there"


def test_an_oversized_inbound_attachment_costs_the_file_not_the_message(settings, db):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1024
    files = (
        InboundAttachment("receipt.pdf", "application/pdf", b"%PDF" + b"x" * 100),
        InboundAttachment("video.mp4", "video/mp4", b"0" * 5000),
    )

    message = services.ticket_ingest(message=inbound(attachments=files)).message

    stored = list(message.attachments.all())
    assert [a.name for a in stored] == ["receipt.pdf"]
    assert stored[0].size == 104 and len(stored[0].sha256) == 64
    assert stored[0].file.read() == b"%PDF" + b"x" * 100
    assert '"video.mp4" is 4.9 KB; attachments may be at most 1 KB' in message.text


def test_an_invalid_identity_is_refused_and_writes_nothing(db):
    from helpdesk.errors import ApplicationError

    with pytest.raises(ApplicationError, match="not a valid email"):
        services.ticket_ingest(message=inbound(sender="not-an-address"))

    assert Customer.objects.count() == 0 and Ticket.objects.count() == 0


@pytest.mark.parametrize(
    "sender",
    ['"power quadrant system"@example.com', "operator@intranet", "jdöe@mächine.example"],
)
def test_addresses_real_mail_carries_are_customers(db, sender):
    """A quoted local part, a dotless host, a UTF-8 address: all valid mail, all answerable."""
    ticket = services.ticket_ingest(message=inbound(sender=sender)).ticket

    assert ticket.customer.identities.get(kind=IdentityKind.EMAIL).value == sender
