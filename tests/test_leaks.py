"""Internal stays internal: nothing of a ticket's internal life reaches any output a customer
can receive: the reply emails (every text and HTML part, subject and header) built by
`channels_inbound.customer_output`, the status page, and every Bot API call to Telegram."""

import pytest

from channels_inbound import customer_output
from comments.services import comment_and_hand_back, comment_create
from tests.conftest import inbound
from tests.factories import UserFactory
from tickets import services
from tickets.models import Message

SECRETS = [
    "INTERNAL-COMMENT-7Q",
    "HANDOFF-NOTE-7Q",
    "HANDBACK-ANSWER-7Q",
    "Zebediah",
    "Internalson",
    "zeb@corp.example",
    "vip-7q",
]


@pytest.fixture
def busy_ticket(support, agent, django_capture_on_commit_callbacks):
    """A ticket with a full internal life, then two public replies."""
    zeb = UserFactory(
        full_name="Zebediah Internalson",
        email="zeb@corp.example",
        role="internal",
        handle="zebediah",
    )
    ticket = services.ticket_ingest(message=inbound(external_id="<c1@mail>"), group=support).ticket
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, owner=agent, by=agent)
        services.ticket_set_tags(ticket=ticket, by=agent, add=["vip-7q"])
        services.ticket_hand_off(ticket=ticket, by=agent, to_user=zeb, note="HANDOFF-NOTE-7Q")
        comment_create(ticket=ticket, by=agent, text="@zebediah INTERNAL-COMMENT-7Q")
        comment_and_hand_back(ticket=ticket, by=zeb, text="HANDBACK-ANSWER-7Q")
        services.ticket_reply(
            ticket=ticket,
            by=agent,
            text="Public answer one",
            html="<p>Public answer one</p><script>alert('x')</script>",
        )
        services.ticket_reply(ticket=ticket, by=agent, text="Public answer two", status="solved")
    return ticket


def customer_emails(mailoutbox):
    return [m for m in mailoutbox if m.to == ["marina@mail.example"]]


def everything_in(email) -> str:
    parts = [email.subject, email.body, str(email.from_email), " ".join(email.to)]
    parts += [f"{k}: {v}" for k, v in email.extra_headers.items()]
    parts += [content for content, _ in email.alternatives]
    parts += [str(a) for a in email.attachments]
    parts.append(email.message().as_string())
    return "\n".join(parts)


def test_reply_emails_carry_the_answer_and_nothing_internal(busy_ticket, mailoutbox):
    emails = customer_emails(mailoutbox)

    assert len(emails) == 2
    assert "Public answer one" in emails[0].body and "Public answer two" in emails[1].body
    for email in emails:
        text = everything_in(email)
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), (secret, email.subject)


def test_staff_notifications_never_go_to_the_customer(busy_ticket, mailoutbox):
    staff_mail = [m for m in mailoutbox if m.to != ["marina@mail.example"]]

    assert staff_mail, "the mention and hand-offs did notify colleagues"
    assert all(m.to[0].endswith(("@corp.example", "@desk.example")) for m in staff_mail)


def test_customer_output_of_every_message_is_clean(busy_ticket):
    for message in Message.objects.filter(ticket=busy_ticket, direction="out"):
        reply = customer_output.reply_content(message)
        text = "\n".join([reply.subject, reply.text, reply.html])
        assert not any(secret.lower() in text.lower() for secret in SECRETS)


def test_script_in_a_reply_stays_inert_in_the_email(busy_ticket, mailoutbox):
    html = customer_emails(mailoutbox)[0].alternatives[0][0]
    assert "<script" not in html and "alert(" not in html
    assert "<p>Public answer one</p>" in html


def test_the_status_page_shows_the_conversation_and_nothing_internal(busy_ticket, client):
    from channels_inbound.status_links import make_token

    page = client.get(f"/status/{make_token(busy_ticket.number, 'marina@mail.example')}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Public answer one" in html and "Public answer two" in html
    for secret in SECRETS:
        assert secret.lower() not in html.lower(), secret
    # A customer page opens no websocket: there is no channel to leak through.
    assert "/ws/" not in html and "WebSocket" not in html


def test_the_web_form_answer_carries_only_number_link_and_thanks(client, support):
    response = client.post(
        "/api/v1/public/tickets/",
        {"email": "x@mail.example", "text": "Hello"},
        content_type="application/json",
    )
    assert set(response.json()) == {"number", "status_url", "message"}


def test_nothing_internal_reaches_telegram(
    client, support, agent, fake_telegram, django_capture_on_commit_callbacks
):
    """Every call the helpdesk makes to the Bot API for a ticket with a full internal life
    (acknowledgement, replies, a file) carries the answers and nothing internal."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.helpers_telegram import make_bot, post, text_update
    from tickets.models import Ticket
    from tickets.services import NewAttachment

    bot = make_bot(fake_telegram, support)
    zeb = UserFactory(full_name="Zebediah Internalson", email="zeb@corp.example",
                      role="internal", handle="zebediah")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        post(client, bot, text_update("Где мой заказ?"))
    ticket = Ticket.objects.get()
    label = SimpleUploadedFile("label.png", b"\x89PNG label", content_type="image/png")
    files = [NewAttachment("label.png", "image/png", label)]
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, owner=agent, by=agent)
        services.ticket_set_tags(ticket=ticket, by=agent, add=["vip-7q"])
        services.ticket_hand_off(ticket=ticket, by=agent, to_user=zeb, note="HANDOFF-NOTE-7Q")
        comment_create(ticket=ticket, by=agent, text="@zebediah INTERNAL-COMMENT-7Q")
        comment_and_hand_back(ticket=ticket, by=zeb, text="HANDBACK-ANSWER-7Q")
        services.ticket_reply(ticket=ticket, by=agent, text="Public answer one", attachments=files)
        services.ticket_reply(ticket=ticket, by=agent, text="Public answer two", status="solved")

    calls = [(name, params) for name, params in fake_telegram.calls if name.startswith("send")]
    assert [name for name, _ in calls] == ["sendMessage", "sendMessage", "sendPhoto",
                                           "sendMessage"]  # fmt: skip
    assert "Public answer one" in calls[1][1]["text"] and "Public answer two" in calls[3][1]["text"]
    everything = repr(calls)
    for secret in SECRETS:
        assert secret.lower() not in everything.lower(), secret
