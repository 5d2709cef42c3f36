"""The agent's reply to a Telegram ticket reaches the chat it came from, escaped and split."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_inbound.models import OutboundDelivery
from channels_inbound.telegram.sender import LIMIT, chunks
from tests.helpers_telegram import IRINA, make_bot, post, text_update
from tickets.models import DeliveryStatus, Direction, Ticket


@pytest.fixture
def bot(support, fake_telegram):
    return make_bot(fake_telegram, support)


@pytest.fixture
def ticket(client, bot, fake_telegram, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, bot, text_update("Где мой заказ?"))
    fake_telegram.calls.clear()
    return Ticket.objects.get()


def reply(api, agent, ticket, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return api(agent).post(f"/api/v1/tickets/{ticket.number}/reply/", data,
                               format="multipart")  # fmt: skip


def test_the_agents_reply_goes_to_the_chat_escaped(
    api, agent, ticket, fake_telegram, django_capture_on_commit_callbacks
):
    response = reply(api, agent, ticket, django_capture_on_commit_callbacks,
                     text="Заказ <4821> & уже в пути")  # fmt: skip

    assert response.status_code == 201, response.content
    [sent] = fake_telegram.sent()
    assert sent == {"chat_id": IRINA["id"], "parse_mode": "HTML",
                    "text": "Заказ &lt;4821&gt; &amp; уже в пути"}  # fmt: skip
    message = ticket.messages.filter(direction=Direction.OUT, is_auto_generated=False).get()
    assert message.delivery_status == DeliveryStatus.SENT


def test_a_long_reply_is_split_at_telegrams_limit(
    api, agent, ticket, fake_telegram, django_capture_on_commit_callbacks
):
    text = "\n".join(f"Строка {i} <b>&" for i in range(800))

    reply(api, agent, ticket, django_capture_on_commit_callbacks, text=text)

    pieces = [m["text"] for m in fake_telegram.sent()]
    assert len(pieces) > 1 and all(len(p) <= LIMIT for p in pieces)
    unescaped = "\n".join(pieces).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == text
    delivery = OutboundDelivery.objects.get(message__is_auto_generated=False)
    assert delivery.provider_message_id.count(",") == len(pieces) - 1


def test_a_retry_after_a_failure_mid_way_sends_only_the_rest(
    api, agent, ticket, fake_telegram, django_capture_on_commit_callbacks
):
    from channels_inbound import outbox

    text = "слово " * 1500
    pieces = chunks(text)
    assert len(pieces) == 3
    fake_telegram.fail("sendMessage", 500, "Internal Server Error", after=1)
    fake_telegram.next_message_id = 100
    reply(api, agent, ticket, django_capture_on_commit_callbacks, text=text)
    delivery = OutboundDelivery.objects.get(message__is_auto_generated=False)
    assert delivery.status == "retry" and delivery.provider_message_id == "101"

    OutboundDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    assert outbox.deliver(delivery_id=delivery.pk) == "sent"

    # The first piece once; the second failed, then went with the third.
    assert [m["text"] for m in fake_telegram.sent()] == [pieces[0], pieces[1], *pieces[1:]]
    delivery.refresh_from_db()
    assert delivery.provider_message_id == "101,102,103"


def test_chunks_cut_at_line_breaks_and_keep_every_character():
    text = ("а" * 3000 + "\n") * 3
    pieces = chunks(text)
    assert pieces == ["а" * 3000] * 3
    assert chunks("<" * 5000) == ["<" * 1024] * 4 + ["<" * 904]


def test_a_reply_with_files_sends_the_text_then_each_file(
    api, agent, ticket, fake_telegram, django_capture_on_commit_callbacks
):
    photo = SimpleUploadedFile("этикетка.png", b"\x89PNG label", content_type="image/png")
    pdf = SimpleUploadedFile("Счёт №15.pdf", b"%PDF-1.7 invoice", content_type="application/pdf")

    reply(api, agent, ticket, django_capture_on_commit_callbacks, text="См. файлы",
          attachments=[photo, pdf])  # fmt: skip

    assert [name for name, _ in fake_telegram.calls] == ["sendMessage", "sendPhoto", "sendDocument"]
    [sent_photo], [sent_pdf] = fake_telegram.sent("sendPhoto"), fake_telegram.sent("sendDocument")
    assert sent_photo["chat_id"] == sent_pdf["chat_id"] == IRINA["id"]
    assert sent_photo["photo"] == {"name": "этикетка.png", "content": b"\x89PNG label",
                                   "content_type": "image/png"}  # fmt: skip
    assert sent_pdf["document"]["name"] == "Счёт №15.pdf"
    assert sent_pdf["document"]["content"] == b"%PDF-1.7 invoice"
    message = ticket.messages.filter(direction=Direction.OUT, is_auto_generated=False).get()
    assert message.delivery_status == DeliveryStatus.SENT
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.provider_message_id == "9002,9003,9004"


def test_a_file_telegram_refuses_fails_the_delivery_with_telegrams_words(
    api, agent, ticket, fake_telegram, django_capture_on_commit_callbacks
):
    fake_telegram.fail("sendDocument", 400, "Bad Request: file must be non-empty")
    pdf = SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf")

    reply(api, agent, ticket, django_capture_on_commit_callbacks, text="Файл",
          attachments=[pdf])  # fmt: skip

    message = ticket.messages.filter(direction=Direction.OUT, is_auto_generated=False).get()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "file must be non-empty" in message.delivery_error


def test_an_agent_can_start_a_ticket_to_a_customer_who_wrote_to_the_bot(
    agent, ticket, fake_telegram, django_capture_on_commit_callbacks
):
    from tickets import services

    with django_capture_on_commit_callbacks(execute=True):
        created = services.ticket_create(
            by=agent, customer=ticket.customer, subject="Возврат", channel="telegram",
            text="Клиент просил вернуть деньги за заказ 4821",
        )  # fmt: skip
        services.ticket_reply(ticket=created.ticket, by=agent, text="Деньги вернули.")

    assert fake_telegram.sent() == [{"chat_id": IRINA["id"], "parse_mode": "HTML",
                                     "text": "Деньги вернули."}]  # fmt: skip


def test_a_reply_to_someone_who_never_wrote_to_a_bot_fails_saying_why(
    agent, support, fake_telegram, django_capture_on_commit_callbacks
):
    from tickets import services
    from tickets.services import CustomerSpec

    with django_capture_on_commit_callbacks(execute=True):
        created = services.ticket_create(
            by=agent, customer=CustomerSpec(kind="telegram", value="424242", name="Пётр"),
            subject="Звонок", channel="telegram", text="Позвонил, попросил написать в Telegram",
        )  # fmt: skip
        message = services.ticket_reply(ticket=created.ticket, by=agent, text="Здравствуйте!")

    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "never written to our Telegram bot" in message.delivery_error
    assert fake_telegram.sent() == []


def test_several_photos_go_as_one_album_and_other_files_alone(
    api, agent, ticket, fake_telegram, django_capture_on_commit_callbacks
):
    photos = [SimpleUploadedFile(f"фото{i}.jpg", f"JPEG {i}".encode(), content_type="image/jpeg")
              for i in range(3)]  # fmt: skip
    pdf = SimpleUploadedFile("act.pdf", b"%PDF", content_type="application/pdf")

    reply(api, agent, ticket, django_capture_on_commit_callbacks, text="Фото и акт",
          attachments=[*photos, pdf])  # fmt: skip

    assert [n for n, _ in fake_telegram.calls] == ["sendMessage", "sendMediaGroup", "sendDocument"]
    [album] = fake_telegram.sent("sendMediaGroup")
    media = json.loads(album["media"])
    assert [m["type"] for m in media] == ["photo"] * 3
    assert [album[m["media"].removeprefix("attach://")]["content"] for m in media] == [
        b"JPEG 0", b"JPEG 1", b"JPEG 2"]  # fmt: skip
    assert album[media[0]["media"].removeprefix("attach://")]["name"] == "фото0.jpg"
    delivery = OutboundDelivery.objects.get(message__is_auto_generated=False)
    assert delivery.status == "sent" and delivery.provider_message_id == "9002,9003,9006"
