"""Agents answer a Viber customer from the ticket (page or API): the reply reaches the local
Viber API with the right chat id and the bot's sender name, files by a signed link; Viber's
statuses become retries or failures the agent sees; its receipts show delivered and seen."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from channels_inbound import outbox
from channels_inbound.models import OutboundDelivery
from channels_inbound.viber.models import ViberBot
from tests.viber_helpers import corpus_bytes
from tickets.models import CustomerIdentity, DeliveryStatus, Direction, Message, Ticket

USER = "01234567890A="


@pytest.fixture
def ticket(bot, deliver, fake_viber):
    """The corpus customer's ticket, acknowledged: what the agent answers."""
    deliver(corpus_bytes("message-text-doc.json"))
    fake_viber.calls.clear()
    return Ticket.objects.get()


@pytest.fixture
def reply(api, agent, ticket, django_capture_on_commit_callbacks):
    """The agent's reply by the API, delivered (eagerly) as it commits."""

    def reply(text="", **data):
        with django_capture_on_commit_callbacks(execute=True):
            return api(agent).post(
                f"/api/v1/tickets/{ticket.number}/reply/", {"text": text, **data},
                format="multipart",
            )  # fmt: skip

    return reply


def last_reply(ticket: Ticket) -> Message:
    return ticket.messages.filter(direction=Direction.OUT, is_auto_generated=False).latest("id")


def test_the_agents_reply_reaches_the_customers_chat_with_the_bots_name(reply, ticket, fake_viber):
    response = reply("Your parcel left the warehouse <today> & arrives tomorrow.")

    assert response.status_code == 201, response.content
    [sent] = fake_viber.sent()
    assert sent == {
        "receiver": USER,
        "min_api_version": 1,
        "sender": {"name": "Shop support"},
        "tracking_data": f"ticket:{ticket.number}",
        "type": "text",
        "text": "Your parcel left the warehouse <today> & arrives tomorrow.",
    }
    message = last_reply(ticket)
    assert message.channel == "viber" and message.delivery_status == DeliveryStatus.SENT
    assert OutboundDelivery.objects.get(message=message).status == "sent"


def test_a_reply_from_the_ticket_page_goes_out_the_same_way(
    client, agent, ticket, fake_viber, django_capture_on_commit_callbacks
):
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/tickets/{ticket.number}/reply/", {"text": "Hello from the page"})

    assert page.status_code in (200, 302)
    assert [s["text"] for s in fake_viber.sent()] == ["Hello from the page"]


def receipt(event: str, message: Message, **extra) -> bytes:
    token = OutboundDelivery.objects.get(message=message).provider_message_id
    body = {"event": event, "timestamp": 1595324677891, "message_token": int(token),
            "user_id": USER, **extra}  # fmt: skip
    return json.dumps(body).encode()


@pytest.mark.parametrize(("language", "word"), [("en", "Seen"), ("ru", "Прочитано")])
def test_the_agent_sees_that_the_customer_has_seen_the_reply(
    language, word, reply, ticket, deliver, client, agent
):
    reply("We are on it")
    message = last_reply(ticket)
    deliver(receipt("delivered", message))
    deliver(receipt("seen", message))

    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.number}/", HTTP_ACCEPT_LANGUAGE=language)

    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SEEN
    html = page.content.decode()
    assert f'<span class="delivery delivery-seen">{word}</span>' in html


def test_a_failed_callback_shows_vibers_reason_on_the_reply(reply, ticket, deliver, client, agent):
    reply("We are on it")
    message = last_reply(ticket)

    deliver(receipt("failed", message, desc="user blocked the bot"))

    client.force_login(agent)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Viber could not deliver it: user blocked the bot" in html
    assert last_reply(ticket).delivery_status == DeliveryStatus.FAILED


def test_a_customer_not_subscribed_fails_the_reply_and_is_unreachable_after(
    reply, ticket, fake_viber
):
    fake_viber.script("send_message", {"status": 6, "status_message": "receiverNotSubscribed"})

    reply("Are you there?")

    message = last_reply(ticket)
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.delivery_error == (
        "The customer is not subscribed to the bot, Viber refused it: receiverNotSubscribed (6)"
    )
    assert not CustomerIdentity.objects.get(value=USER).is_reachable
    refused = reply("Second try")
    assert refused.status_code == 400
    assert "cannot be reached on Viber now" in refused.json()["message"]
    assert ticket.messages.filter(direction=Direction.OUT).count() == 2  # the ack and the first


def test_a_customer_who_writes_again_can_be_answered_again(reply, ticket, deliver, fake_viber):
    CustomerIdentity.objects.filter(value=USER).update(is_reachable=False)
    again = json.loads(corpus_bytes("message-text-doc.json"))
    again["message_token"] += 1
    deliver(json.dumps(again).encode())

    answered = reply("Welcome back")

    assert answered.status_code == 201, answered.content
    assert CustomerIdentity.objects.get(value=USER).is_reachable
    assert fake_viber.sent()[-1]["text"] == "Welcome back"


@pytest.mark.parametrize(
    "answer",
    [{"status": 12, "status_message": "tooManyRequests"}, 503],
    ids=["too-many-requests", "http-503"],
)
def test_a_temporary_failure_is_retried_later_and_then_sent(answer, reply, ticket, fake_viber):
    fake_viber.script("send_message", answer)

    reply("Retry me")

    delivery = OutboundDelivery.objects.get(message=last_reply(ticket))
    assert delivery.status == "retry" and delivery.attempts == 1
    assert ("tooManyRequests (12)" if isinstance(answer, dict) else "HTTP 503") in (
        delivery.last_error
    )
    later = timezone.now() + timedelta(seconds=31)
    assert outbox.deliver(delivery_id=delivery.pk, now=later) == "sent"
    assert [s["text"] for s in fake_viber.sent()] == ["Retry me", "Retry me"]
    assert last_reply(ticket).delivery_status == DeliveryStatus.SENT


def test_viber_unreachable_is_retried(reply, ticket, settings):
    settings.VIBER_API_BASE_URL = "http://127.0.0.1:9/pa"

    reply("Nobody listens")

    delivery = OutboundDelivery.objects.get(message=last_reply(ticket))
    assert delivery.status == "retry" and "Viber is unreachable" in delivery.last_error


def test_a_refused_token_fails_the_reply_with_vibers_words(reply, ticket, bot):
    bot.token = "revoked-token"
    bot.save()

    reply("Hello")

    message = last_reply(ticket)
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.delivery_error == "Viber refused the message: invalidAuthToken (2)"


def test_a_switched_off_bot_fails_the_reply_and_says_why(reply, ticket, bot, fake_viber):
    ViberBot.objects.filter(pk=bot.pk).update(is_active=False)

    reply("Hello")

    assert last_reply(ticket).delivery_error == "No active Viber bot is connected to send it with."
    assert not fake_viber.sent()


def test_a_long_reply_is_sent_in_pieces_viber_takes(reply, ticket, fake_viber):
    words = ("word " * 3000).strip()  # 14,999 characters

    reply(words)

    texts = [s["text"] for s in fake_viber.sent()]
    assert len(texts) == 3 and all(len(t) <= 7000 for t in texts)
    assert " ".join(texts) == words


def test_files_of_a_reply_go_by_a_signed_link_that_opens_only_that_file(
    reply, ticket, fake_viber, client, settings
):
    upload = SimpleUploadedFile("накладная.pdf", b"%PDF-1.4 label", content_type="application/pdf")

    reply("Here is the label", attachments=[upload])

    text, file = fake_viber.sent()
    assert text["text"] == "Here is the label"
    assert file["type"] == "file" and file["file_name"] == "накладная.pdf" and file["size"] == 14
    assert file["media"].startswith(settings.SITE_URL + "/viber/files/")
    path = file["media"].removeprefix(settings.SITE_URL)
    download = client.get(path)
    assert download.status_code == 200 and b"".join(download.streaming_content) == (
        b"%PDF-1.4 label"
    )
    assert client.get(path[:-3] + "abc/").status_code == 404
    token = OutboundDelivery.objects.get(message=last_reply(ticket)).provider_message_id
    assert token == "5741311803571721089"  # the file's, the last of the three calls' tokens


def test_an_agent_can_start_a_new_ticket_to_a_customer_who_talked_to_the_bot(
    agent, ticket, fake_viber, support, django_capture_on_commit_callbacks
):
    from tickets import services

    created = services.ticket_create(
        by=agent, customer=ticket.customer, subject="Your refund", channel="viber",
        text="Called about the refund for order 4417", group=support,
    ).ticket  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=created, by=agent, text="Your refund is on its way.")

    [sent] = fake_viber.sent()
    assert sent["receiver"] == USER and sent["tracking_data"] == f"ticket:{created.number}"
    assert last_reply(created).delivery_status == DeliveryStatus.SENT


def test_a_location_is_a_message_with_a_map_link(bot, deliver):
    data = json.loads(corpus_bytes("message-contact.json"))
    data["message"] = {"type": "location", "location": {"lat": 55.7558, "lon": 37.6173}}

    deliver(json.dumps(data).encode())

    assert Message.objects.get(direction=Direction.IN).text == (
        "Location: 55.7558, 37.6173 https://www.openstreetmap.org/?mlat=55.7558&mlon=37.6173"
    )


def test_a_retry_after_a_piece_failed_sends_only_the_rest_never_a_piece_twice(
    reply, ticket, fake_viber
):
    upload = SimpleUploadedFile("label.pdf", b"%PDF-1.4 label", content_type="application/pdf")
    fake_viber.script("send_message", {"status": 0, "status_message": "ok",
                                       "message_token": 5741311803571700001}, 503)  # fmt: skip

    reply("Here is the label", attachments=[upload])
    delivery = OutboundDelivery.objects.get(message=last_reply(ticket))
    assert delivery.status == "retry"
    outbox.deliver(delivery_id=delivery.pk, now=timezone.now() + timedelta(seconds=31))

    kinds = [s["type"] for s in fake_viber.sent()]
    assert kinds == ["text", "file", "file"]  # the text once; the file failed once, then went
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.provider_message_id == "5741311803571721088"


def test_the_agent_sees_a_customer_who_unsubscribed_as_unreachable(ticket, deliver, client, agent):
    gone = {"event": "unsubscribed", "timestamp": 1595347885535, "user_id": USER,
            "message_token": 5466394919049723652}  # fmt: skip

    deliver(json.dumps(gone).encode())

    client.force_login(agent)
    html = client.get(f"/tickets/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'John McClane <span class="muted">(недоступен)</span>' in html
