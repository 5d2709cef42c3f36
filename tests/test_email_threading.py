"""Threading email: never split a conversation, never merge strangers into one."""

import pytest

from channels_inbound.models import Mailbox
from tests.email_helpers import deliver, raw_email
from tickets import services
from tickets.models import DeliveryStatus, Direction, Message, Status, Ticket


@pytest.fixture
def mailbox(support):
    return Mailbox.objects.create(name="Support", address="support@desk.example", group=support)


def first_ticket(mailbox) -> Ticket:
    event = deliver(raw_email(message_id="<first@mail.example>"), mailbox)
    return event.message.ticket


def test_a_new_email_opens_a_ticket_in_the_mailboxs_group(mailbox, support):
    event = deliver(raw_email(), mailbox)

    ticket = event.message.ticket
    assert event.status == "done" and ticket.group == support and ticket.channel == "email"
    assert ticket.subject == "Backpack discount" and ticket.customer.name == "Marina Sokolova"


def test_a_reply_with_headers_and_an_edited_subject_joins(mailbox):
    ticket = first_ticket(mailbox)

    event = deliver(raw_email(subject="totally different", in_reply_to="<first@mail.example>",
                              references="<first@mail.example>"), mailbox)  # fmt: skip

    assert event.message.ticket == ticket


def test_a_reply_to_our_reply_joins_by_its_message_id(
    mailbox, agent, django_capture_on_commit_callbacks
):
    ticket = first_ticket(mailbox)
    with django_capture_on_commit_callbacks(execute=True):
        ours = services.ticket_reply(ticket=ticket, by=agent, text="We refund it.")
    ours.refresh_from_db()

    event = deliver(raw_email(subject="RE: AW: whatever", in_reply_to=ours.external_id), mailbox)

    assert event.message.ticket == ticket


def test_the_customer_joins_by_the_number_when_headers_were_stripped(mailbox):
    ticket = first_ticket(mailbox)

    event = deliver(raw_email(subject=f"Ответ: Re: [#{ticket.number}] Backpack discount"), mailbox)

    assert event.message.ticket == ticket


def test_a_stranger_quoting_the_number_gets_a_new_linked_ticket(mailbox):
    ticket = first_ticket(mailbox)

    subject = f"Re: [#{ticket.number}] let me in"
    event = deliver(
        raw_email(sender="mallory@evil.example", name="Mallory", subject=subject, text="Hi"),
        mailbox,
    )

    stranger = event.message.ticket
    assert stranger != ticket and stranger.follow_up_of == ticket
    assert not ticket.messages.filter(text="Hi").exists()


def test_a_colleague_in_cc_continues_the_conversation(mailbox):
    ticket = deliver(raw_email(message_id="<cc1@mail.example>", cc="boss@mail.example"),
                     mailbox).message.ticket  # fmt: skip

    event = deliver(raw_email(sender="boss@mail.example", name="The Boss", subject="Re: x",
                              in_reply_to="<cc1@mail.example>"), mailbox)  # fmt: skip

    assert event.message.ticket == ticket
    assert event.message.sender_address == "boss@mail.example"


def test_a_mass_mailing_never_merges_its_recipients_replies(mailbox):
    mass = deliver(raw_email(sender="shop@news.example", name="Shop News",
                             to="a@x.example, b@x.example, support@desk.example",
                             message_id="<news1@news.example>",
                             headers={"Precedence": "bulk"}), mailbox).message.ticket  # fmt: skip

    a = deliver(raw_email(sender="a@x.example", name="A", subject="Re: news",
                          in_reply_to="<news1@news.example>"), mailbox).message.ticket  # fmt: skip
    b = deliver(raw_email(sender="b@x.example", name="B", subject="Re: news",
                          in_reply_to="<news1@news.example>"), mailbox).message.ticket  # fmt: skip

    assert len({mass.pk, a.pk, b.pk}) == 3


def test_a_reply_to_a_solved_ticket_reopens_it_to_a_closed_one_opens_a_follow_up(mailbox, agent):
    ticket = first_ticket(mailbox)
    services.ticket_set_status(ticket=ticket, status=Status.SOLVED, by=agent)
    deliver(raw_email(subject="Re: x", in_reply_to="<first@mail.example>"), mailbox)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    services.ticket_set_status(ticket=ticket, status=Status.CLOSED, by=agent)
    event = deliver(raw_email(subject="Re: x", in_reply_to="<first@mail.example>"), mailbox)
    assert event.message.ticket.follow_up_of == ticket


def test_the_same_message_twice_is_one_message(mailbox):
    raw = raw_email(message_id="<twice@mail.example>")
    deliver(raw, mailbox)
    deliver(raw, mailbox)
    no_id = raw_email(message_id="not-an-id")
    deliver(no_id, mailbox)
    deliver(no_id, mailbox)

    assert Message.objects.filter(direction=Direction.IN).count() == 2


def test_auto_acknowledgement_in_the_customers_language_and_not_to_machines(
    mailbox, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        russian = deliver(raw_email(sender="ivan@mail.example", name="Иван",
                                    text="Здравствуйте! Где мой заказ?"), mailbox)  # fmt: skip
        deliver(raw_email(sender="robot@mail.example", name="Robot", subject="Out of office",
                          headers={"Auto-Submitted": "auto-replied"}), mailbox)  # fmt: skip

    ack = [m for m in mailoutbox if m.to == ["ivan@mail.example"]]
    assert len(ack) == 1 and f"#{russian.message.ticket.number}" in ack[0].body
    assert "Мы получили ваше обращение" in ack[0].body and "/status/" in ack[0].body
    assert ack[0].from_email == "Support <support@desk.example>"
    assert not [m for m in mailoutbox if m.to == ["robot@mail.example"]]


def test_no_more_than_a_few_acknowledgements_per_hour(
    mailbox, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.HELPDESK_AUTOACK_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            deliver(raw_email(subject=f"Question {n}"), mailbox)
    assert len([m for m in mailoutbox if m.to == ["marina@mail.example"]]) == 2
    assert Ticket.objects.count() == 4


def test_mail_from_our_own_address_is_ignored(mailbox):
    event = deliver(raw_email(sender="support@desk.example", name="Support"), mailbox)
    assert event.status == "ignored" and not Ticket.objects.exists()


def test_a_bounce_of_our_reply_marks_it_failed(mailbox, agent, django_capture_on_commit_callbacks):
    ticket = first_ticket(mailbox)
    with django_capture_on_commit_callbacks(execute=True):
        ours = services.ticket_reply(ticket=ticket, by=agent, text="Hello")
    ours.refresh_from_db()
    bounce = (
        "From: MAILER-DAEMON@mail.example\r\nTo: support@desk.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mail.example>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\n<marina@mail.example>: 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.example\r\n\r\n"
        "Final-Recipient: rfc822; marina@mail.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: support@desk.example\r\nTo: marina@mail.example\r\n"
        f"Message-ID: {ours.external_id}\r\n"
        "Subject: Re: [#1] x\r\n--B--\r\n"
    ).encode()

    event = deliver(bounce, mailbox)

    ours.refresh_from_db()
    assert event.status == "ignored" and Ticket.objects.count() == 1
    assert ours.delivery_status == DeliveryStatus.FAILED and "550 5.1.1" in ours.delivery_error


def test_admins_edit_the_acknowledgement_and_a_broken_template_is_refused(
    mailbox, admin_user, client
):
    from channels_inbound.models import AutoReplyTemplate

    english = AutoReplyTemplate.objects.get(language="en")
    url = f"/admin/channels_inbound/autoreplytemplate/{english.pk}/change/"
    client.force_login(admin_user)
    listing = client.get("/admin/channels_inbound/autoreplytemplate/").content.decode()
    assert "English" in listing and "Русский" in listing

    broken = client.post(url, {"language": "en", "body": "{% if %}", "is_active": "on"})
    assert "The template has an error" in broken.content.decode()
    body = "Ticket {{ number }} is ours now, {{ customer_name }}."
    saved = client.post(url, {"language": "en", "is_active": "on", "body": body})
    assert saved.status_code == 302

    ticket = deliver(raw_email(), mailbox).message.ticket
    ack = ticket.messages.get(direction=Direction.OUT, is_auto_generated=True)
    assert ack.text == f"Ticket {ticket.number} is ours now, Marina Sokolova."


@pytest.fixture
def answered(mailbox, agent, django_capture_on_commit_callbacks, settings):
    """Marina's ticket, with her boss in Cc, and our reply to it (whose Message-ID travels in
    every forward and every Cc'd copy)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    first = raw_email(message_id="<first@mail.example>", cc="boss@mail.example",
                      subject="Secret project Quokka")  # fmt: skip
    ticket = deliver(first, mailbox).message.ticket
    with django_capture_on_commit_callbacks(execute=True):
        ours = services.ticket_reply(ticket=ticket, by=agent, text="Your code is 4711.")
    ours.refresh_from_db()
    return ticket, ours


@pytest.mark.parametrize("header", ["in_reply_to", "references"])
def test_a_stranger_quoting_our_message_id_gets_a_new_ticket_that_reveals_nothing(
    mailbox, answered, mailoutbox, django_capture_on_commit_callbacks, header
):
    ticket, ours = answered
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        event = deliver(raw_email(sender="stranger@evil.example", name="Stranger",
                                  subject=f"Re: [#{ticket.number}] hello", text="Let me in",
                                  **{header: ours.external_id}), mailbox)  # fmt: skip

    stranger = event.message.ticket
    assert stranger != ticket and stranger.customer != ticket.customer
    assert stranger.follow_up_of == ticket  # the agents see the link, on the new ticket
    assert "stranger@evil.example" not in Ticket.objects.get(pk=ticket.pk).participant_addresses
    assert not ticket.messages.filter(text="Let me in").exists()
    acks = [m for m in mailoutbox if m.to == ["stranger@evil.example"]]
    assert len(acks) == 1
    ack = "\n".join([acks[0].subject, acks[0].body, acks[0].message().as_string()])
    assert f"#{stranger.number}" in ack
    for secret in (f"#{ticket.number}", "Quokka", "4711", "Marina", "marina@", "boss@"):
        assert secret not in ack, secret


def test_a_stranger_refused_once_does_not_join_later_by_the_number(mailbox, answered):
    ticket, ours = answered
    deliver(
        raw_email(
            sender="stranger@evil.example",
            name="Stranger",
            subject="Re: hi",
            in_reply_to=ours.external_id,
            references=ours.external_id,
        ),
        mailbox,
    )

    later = deliver(
        raw_email(
            sender="stranger@evil.example",
            name="Stranger",
            subject=f"Re: [#{ticket.number}] again",
            text="Now?",
        ),
        mailbox,
    )

    assert later.message.ticket != ticket and later.message.ticket.follow_up_of == ticket
    assert ticket.messages.filter(direction=Direction.IN).count() == 1


@pytest.mark.parametrize("sender", ["marina@mail.example", "boss@mail.example"])
def test_the_customer_and_a_colleague_in_cc_still_join_by_our_message_id(mailbox, answered, sender):
    ticket, ours = answered

    event = deliver(raw_email(sender=sender, name="Someone", subject="Re: whatever",
                              in_reply_to=ours.external_id), mailbox)  # fmt: skip

    assert event.message.ticket == ticket


def test_the_agents_see_the_strangers_ticket_as_possibly_related(mailbox, answered, agent, client):
    ticket, ours = answered
    stranger = deliver(raw_email(sender="stranger@evil.example", name="Stranger", subject="Hi",
                                 in_reply_to=ours.external_id), mailbox).message.ticket  # fmt: skip
    client.force_login(agent)

    new_page = client.get(f"/tickets/{stranger.number}/").content.decode()
    named_page = client.get(f"/tickets/{ticket.number}/").content.decode()

    assert f"possibly related to #{ticket.number}" in new_page
    assert f"#{stranger.number}, possibly related" in named_page
