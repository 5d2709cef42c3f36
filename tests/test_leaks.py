"""Internal stays internal: nothing of a ticket's internal life reaches any output a customer
can receive: the reply emails (every text and HTML part, subject and header) built by
`channels_inbound.customer_output`, the status page, and every Bot API call to Telegram."""

import pytest

from channels_inbound import customer_output
from comments.services import comment_and_hand_back, comment_create
from tests.conftest import inbound
from tests.factories import UserFactory
from tickets import services
from tickets.models import Message, Ticket

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


# Two customers' web-form tickets; an agent merges Alice's into Bob's. Nothing of Bob's (his
# name, address, subject, messages, files) may reach Alice, and nothing of Alice's reach Bob.
BOB_SECRETS = ["Bob Bobrov", "bob@", "Bob's invoice 9931", "BOB-TEXT-9931", "BOB-ANSWER-9931",
               "bob-file-9931.txt"]  # fmt: skip
ALICE_SECRETS = ["Alice Alisova", "alice@", "ALICE-TEXT-5517", "ALICE-ANSWER-5517",
                 "alice-file-5517.txt", "alice-corp"]  # fmt: skip


def web_ticket(client, *, name, email, subject, text, filename):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/support/",
        {"name": name, "email": email, "subject": subject, "text": text,
         "key": f"key-{filename[:5]}",
         "attachments": SimpleUploadedFile(filename, b"secret file", "text/plain")},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.context["submission"].number


@pytest.fixture
def merged_pair(client, support, agent, django_capture_on_commit_callbacks, mailoutbox, settings):
    """Alice's and Bob's tickets, each answered, then Alice's merged into Bob's (confirmed)."""
    from django.core.cache import cache

    from channels_inbound.status_links import make_token

    cache.clear()
    settings.HELPDESK_WEBFORM_RATE_LIMIT = "100/minute"
    with django_capture_on_commit_callbacks(execute=True):
        alice = web_ticket(client, name="Alice Alisova", email="alice@alice-corp.example",
                           subject="Alice's parcel", text="ALICE-TEXT-5517",
                           filename="alice-file-5517.txt")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        bob = web_ticket(client, name="Bob Bobrov", email="bob@mail.example",
                         subject="Bob's invoice 9931", text="BOB-TEXT-9931",
                         filename="bob-file-9931.txt")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        alice, bob = (Ticket.objects.get(number=number) for number in (alice, bob))
        services.ticket_reply(ticket=alice, by=agent, text="ALICE-ANSWER-5517")
        services.ticket_reply(ticket=bob, by=agent, text="BOB-ANSWER-9931")
        services.ticket_merge(source=alice, into=bob, by=agent, confirm_different_customer=True)
    mailoutbox.clear()
    alice_link = f"/status/{make_token(alice.number, 'alice@alice-corp.example')}/"
    bob_link = f"/status/{make_token(bob.number, 'bob@mail.example')}/"
    return alice, bob, alice_link, bob_link


def assert_none_in(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret.lower() not in text.lower(), secret


def test_merging_tickets_of_two_customers_needs_a_confirmation(api, agent, support):
    alice = services.ticket_ingest(message=inbound(sender="alice@mail.example"), group=support)
    bob = services.ticket_ingest(message=inbound(sender="bob@mail.example", external_id="<b@m>"),
                                 group=support)  # fmt: skip
    a, b = alice.ticket.number, bob.ticket.number
    client = api(agent)

    refused = client.post(f"/api/v1/tickets/{a}/merge/", {"into": b}, format="json")

    assert refused.status_code == 400
    body = refused.json()
    assert "belong to different customers" in body["message"]
    assert f'send {{"into": {b}, "confirm_different_customer": true}}' in body["message"]
    assert body["extra"] == {"field": "confirm_different_customer"}
    assert not Message.objects.filter(ticket__number=b).exclude(pk=bob.message.pk).exists()
    confirm = {"into": b, "confirm_different_customer": True}
    confirmed = client.post(f"/api/v1/tickets/{a}/merge/", confirm, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["number"] == b


def test_a_merged_away_customers_status_link_shows_only_their_own_ticket(client, merged_pair):
    alice, bob, alice_link, _ = merged_pair

    page = client.get(alice_link)

    html = page.content.decode()
    assert page.status_code == 200
    assert f"Request #{alice.number}" in html and "merged" in html.lower()
    assert "ALICE-TEXT-5517" in html and "ALICE-ANSWER-5517" in html  # her own conversation
    assert_none_in(html, [*BOB_SECRETS, f"#{bob.number}"])
    assert "<textarea" not in html  # no reply box posting into Bob's ticket


def test_a_post_to_a_merged_away_link_reaches_nobody(client, merged_pair):
    from channels_inbound.models import InboundEvent

    _alice, _bob, alice_link, _ = merged_pair
    events = InboundEvent.objects.count()

    posted = client.post(alice_link, {"text": "Hello from Alice", "key": "alice-post-1"})

    assert posted.status_code == 400 and "merged" in posted.content.decode().lower()
    assert_none_in(posted.content.decode(), BOB_SECRETS)
    assert InboundEvent.objects.count() == events
    assert not Message.objects.filter(text="Hello from Alice").exists()


def test_a_merged_away_link_opens_none_of_the_other_customers_files(client, merged_pair):
    from tickets.models import Attachment

    _alice, _bob, alice_link, bob_link = merged_pair
    alices = Attachment.objects.get(name="alice-file-5517.txt")
    bobs = Attachment.objects.get(name="bob-file-9931.txt")

    assert client.get(f"{alice_link}files/{alices.pk}/").status_code == 200
    assert client.get(f"{alice_link}files/{bobs.pk}/").status_code == 404
    assert client.get(f"{bob_link}files/{alices.pk}/").status_code == 404
    assert client.get(f"{bob_link}files/{bobs.pk}/").status_code == 200


def test_the_target_customers_page_and_emails_carry_nothing_of_the_merged_customer(
    client, merged_pair, agent, mailoutbox, django_capture_on_commit_callbacks
):
    _alice, bob, _, bob_link = merged_pair

    page = client.get(bob_link).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=bob, by=agent, text="After the merge")

    assert "BOB-TEXT-9931" in page and "BOB-ANSWER-9931" in page and "<textarea" in page
    assert_none_in(page, ALICE_SECRETS)
    emails = [m for m in mailoutbox if m.to == ["bob@mail.example"]]
    assert len(emails) == 1 and "After the merge" in emails[0].body
    assert_none_in(everything_in(emails[0]), ALICE_SECRETS)
    assert not [m for m in mailoutbox if "alice" in " ".join(m.to)]


def test_replies_after_merging_two_customers_emails_thread_only_their_own_mail(
    support, agent, mailoutbox, django_capture_on_commit_callbacks
):
    alice = services.ticket_ingest(message=inbound(sender="alice@alice-corp.example",
                                                   name="Alice Alisova",
                                                   external_id="<a1@alice-corp.example>"),
                                   group=support).ticket  # fmt: skip
    bob = services.ticket_ingest(message=inbound(sender="bob@mail.example", name="Bob Bobrov",
                                                 external_id="<b1@bob-mail.example>"),
                                 group=support).ticket  # fmt: skip
    services.ticket_merge(source=alice, into=bob, by=agent, confirm_different_customer=True)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=bob, by=agent, text="After the merge")

    (email,) = mailoutbox
    assert email.to == ["bob@mail.example"]
    assert "<b1@bob-mail.example>" in email.extra_headers["References"]
    assert_none_in(everything_in(email), ALICE_SECRETS)


@pytest.mark.parametrize(
    ("language", "warning", "box"),
    [
        ("en", "belong to different customers", "They belong to different customers: merge anyway"),
        ("ru", "принадлежат разным клиентам", "Это разные клиенты: всё равно объединить"),
    ],
)
def test_the_merge_dialog_asks_to_confirm_two_customers(
    client, agent, support, language, warning, box
):
    agent.language = language
    agent.save(update_fields=["language"])
    alice = services.ticket_ingest(message=inbound(sender="alice@mail.example"), group=support)
    bob = services.ticket_ingest(message=inbound(sender="bob@mail.example", external_id="<b@m>"),
                                 group=support)  # fmt: skip
    a, b = alice.ticket.number, bob.ticket.number
    client.force_login(agent)

    refused = client.post(f"/tickets/{a}/merge/", {"into": str(b)})

    html = refused.content.decode()
    assert refused.status_code == 400
    assert warning in html and box in html and 'name="confirm_different_customer"' in html
    assert f'value="{b}"' in html  # the number typed stays in the open dialog
    assert Ticket.objects.get(number=a).merged_into_id is None
    confirmed = client.post(f"/tickets/{a}/merge/",
                            {"into": str(b), "confirm_different_customer": "on"})  # fmt: skip
    assert confirmed.status_code == 302 and confirmed.url == f"/tickets/{b}/"
    assert Ticket.objects.get(number=a).merged_into_id == bob.ticket.pk


def test_tickets_of_one_customer_merge_without_a_question(client, agent, support):
    first = services.ticket_ingest(message=inbound(), group=support).ticket
    second = services.ticket_ingest(message=inbound(external_id="<2@m>"), group=support).ticket
    client.force_login(agent)

    merged = client.post(f"/tickets/{first.number}/merge/", {"into": str(second.number)})

    assert merged.status_code == 302
    assert Ticket.objects.get(pk=first.pk).merged_into_id == second.pk


@pytest.fixture
def viber_ticket(support, agent, settings, client, django_capture_on_commit_callbacks):
    """A Viber customer's ticket with the same internal life, answered twice (once with a
    file), all through the local Viber API; returns what Viber received."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from channels_inbound.viber.models import ViberBot
    from tests.fake_viber import fake_viber_fixture
    from tests.viber_helpers import TOKEN, corpus_bytes, post
    from tickets.models import Ticket

    fake = fake_viber_fixture(settings, {TOKEN: "Shop support"})
    viber = next(fake)
    bot = ViberBot(name="Shop support", group=support)
    bot.token = TOKEN
    bot.save()
    zeb = UserFactory(full_name="Zebediah Internalson", email="zeb@corp.example",
                      role="internal", handle="zebediah")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        greeting = post(client, bot, corpus_bytes("conversation-started.json")).content
        post(client, bot, corpus_bytes("message-text-doc.json"))
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, owner=agent, by=agent)
        services.ticket_set_tags(ticket=ticket, by=agent, add=["vip-7q"])
        services.ticket_hand_off(ticket=ticket, by=agent, to_user=zeb, note="HANDOFF-NOTE-7Q")
        comment_create(ticket=ticket, by=agent, text="@zebediah INTERNAL-COMMENT-7Q")
        comment_and_hand_back(ticket=ticket, by=zeb, text="HANDBACK-ANSWER-7Q")
        services.ticket_reply(ticket=ticket, by=agent, text="Public answer one")
        services.ticket_reply(
            ticket=ticket, by=agent, text="Public answer two", status="solved",
            attachments=[services.NewAttachment("label.pdf", "application/pdf",
                                                SimpleUploadedFile("label.pdf", b"%PDF"))],
        )  # fmt: skip
    received = [json.dumps(call.body, ensure_ascii=False) for call in viber.calls]
    yield [greeting.decode(), *received]
    next(fake, None)


def test_nothing_internal_reaches_the_viber_chat(viber_ticket):
    ack, one, two, file = viber_ticket[1:]

    assert "We received your request" in ack
    assert "Public answer one" in one and "Public answer two" in two and "label.pdf" in file
    for sent in viber_ticket:
        for secret in SECRETS:
            assert secret.lower() not in sent.lower(), (secret, sent)


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
