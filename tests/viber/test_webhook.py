"""The Viber webhook: every corpus callback stored raw once and processed into what the
corpus's expected.json says; bad signatures refused with nothing stored."""

import logging

import pytest

from channels_inbound.models import InboundEvent, OutboundDelivery
from channels_inbound.viber.models import ViberBot
from tests.factories import CustomerFactory, IdentityFactory, MessageFactory, TicketFactory
from tests.viber_helpers import TOKEN, corpus_bytes, expected, post, sign
from tickets.models import (
    Channel,
    CustomerIdentity,
    DeliveryStatus,
    Direction,
    IdentityKind,
    Message,
    Ticket,
)

FILES = sorted(expected())


def test_the_corpus_signatures_are_what_the_webhook_computes():
    for name, record in expected().items():
        assert (
            sign(corpus_bytes(name)) == record["x_viber_content_signature_for_token_test_token_123"]
        )


@pytest.mark.parametrize("name", FILES)
def test_each_corpus_callback_is_stored_raw_once_and_processed_as_expected(name, bot, deliver):
    record, raw = expected()[name], corpus_bytes(name)

    first, again = deliver(raw), deliver(raw)

    assert (first.status_code, again.status_code) == (200, 200)
    event = InboundEvent.objects.get()
    assert bytes(event.raw) == raw and event.channel == Channel.VIBER
    assert event.payload == {"bot": bot.pk}
    assert event.external_key == f"{bot.pk}:{record['event']}:{record['message_token']}"
    if record["should_create_or_append_message"]:
        assert event.status == "done", event.error
        message = Message.objects.get(direction=Direction.IN)
        assert event.message == message and message.external_id == record["message_token"]
        assert message.direction == Direction.IN and message.channel == Channel.VIBER
        ticket = message.ticket
        assert ticket.channel == Channel.VIBER and ticket.group == bot.group
        identity = ticket.customer.identities.get()
        assert (identity.kind, identity.value) == (IdentityKind.VIBER, record["sender_id"])
        assert ticket.customer.name == record["sender_name"]
        if record["text"]:
            assert record["text"] in message.text
        files = list(message.attachments.values_list("name", "content_type"))
        if record["message_type"] in ("picture", "video", "file"):
            # Fetched from the media link (the corpus's host is the local fake here).
            assert files == [(record["file_name"] or f"{record['message_type']}.jpg", "image/jpeg")]
        else:
            assert files == []
        if record["message_type"] == "url":
            assert record["media"] in message.text
    else:
        assert event.status == "ignored", event.error
        assert not Message.objects.exists() and not Ticket.objects.exists()


def test_the_text_of_each_message_kind_is_what_an_agent_reads(bot, deliver):
    texts = {}
    for name in ("message-contact.json", "message-sticker.json", "message-video.json",
                 "message-url.json", "message-text-doc.json", "message-picture.json"):  # fmt: skip
        Message.objects.all().delete()
        InboundEvent.objects.all().delete()
        deliver(corpus_bytes(name))
        texts[name] = Message.objects.get(direction=Direction.IN).text

    assert texts["message-contact.json"] == "Contact: idan, +97245611234"
    assert texts["message-sticker.json"] == "Sticker 5536"
    assert texts["message-video.json"] == ""  # the video itself is the message
    assert texts["message-url.json"] == "http://viber.com"
    # The type decides: the example "text" message's media and location are not content.
    assert texts["message-text-doc.json"] == "a message to the service"
    assert texts["message-picture.json"] == "hello"


@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing
        "0" * 64,
        sign(corpus_bytes("message-text-doc.json"), "another-token"),
        # The trap of SIGNATURE.md: the digest of the body re-serialised.
        "6d6ce0642b4798a6570b5c4f2ab9cd8513c04137cb4d96a4af98ef61146f6a6d",
    ],
)
def test_a_wrong_or_missing_signature_is_refused_logged_and_nothing_stored(
    signature, bot, deliver, caplog
):
    with caplog.at_level(logging.WARNING, logger="channels_inbound.viber.webhook"):
        response = deliver(corpus_bytes("message-text-doc.json"), signature=signature)

    assert response.status_code == 403
    assert response.json()["message"] == "Unknown bot or wrong signature."
    assert "wrong or missing signature" in caplog.text and TOKEN not in caplog.text
    assert not InboundEvent.objects.exists() and not Ticket.objects.exists()


def test_an_unknown_or_inactive_bot_is_refused(bot, client, caplog):
    raw = corpus_bytes("message-text-doc.json")
    missing = client.generic(
        "POST", f"/api/v1/inbound/viber/{bot.pk + 1}/", raw,
        headers={"X-Viber-Content-Signature": sign(raw)},
    )  # fmt: skip
    ViberBot.objects.filter(pk=bot.pk).update(is_active=False)
    inactive = post(client, bot, raw)

    assert (missing.status_code, inactive.status_code) == (403, 403)
    assert not InboundEvent.objects.exists()


def test_the_signature_may_come_as_the_sig_parameter(bot, client):
    raw = corpus_bytes("webhook.json")

    response = client.generic(
        "POST", f"/api/v1/inbound/viber/{bot.pk}/?sig={sign(raw)}", raw,
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 200 and InboundEvent.objects.count() == 1


def test_a_payload_that_cannot_be_processed_is_answered_200_and_kept_with_its_error(bot, deliver):
    broken = b'{"event":"message","message_token":1,"message":{"type":"text","text":"hi"}}'
    not_json = b"this is not json"
    odd = b'{"event":"message","message_token":2,"sender":"x","message":{"type":"text"}}'

    answers = [deliver(broken).status_code, deliver(not_json).status_code, deliver(odd).status_code]
    deliver(corpus_bytes("message-text-doc.json"))  # the next one is not blocked

    assert answers == [200, 200, 200]
    failed = InboundEvent.objects.filter(status="failed").order_by("id")
    assert [e.error for e in failed] == [
        "The Viber message callback lacks sender.",
        "The Viber callback is not JSON: Expecting value: line 1 column 1 (char 0)",
        "The Viber message callback has no sender object.",
    ]
    assert bytes(failed[1].raw) == not_json
    assert Message.objects.get(direction=Direction.IN).text == "a message to the service"


def test_subscribed_registers_the_customer_and_unsubscribed_marks_them_unreachable(bot, deliver):
    deliver(corpus_bytes("subscribed.json"))
    identity = CustomerIdentity.objects.get(kind=IdentityKind.VIBER)
    assert identity.value == "01234567890A=" and identity.is_reachable
    assert identity.customer.name == "John McClane" and identity.customer.language == "en"
    gone = IdentityFactory(
        customer=CustomerFactory(), kind=IdentityKind.VIBER, value="3SQNc4FPUQmysaM/AQEhXg=="
    )

    deliver(corpus_bytes("unsubscribed.json"))

    gone.refresh_from_db()
    assert not gone.is_reachable
    assert InboundEvent.objects.get(external_key__contains="unsubscribed").error == (
        "The customer unsubscribed: replies to them cannot be delivered."
    )


def sent_reply(token: str) -> Message:
    ticket = TicketFactory(channel=Channel.VIBER)
    message = MessageFactory(
        ticket=ticket, direction=Direction.OUT, channel=Channel.VIBER,
        delivery_status=DeliveryStatus.SENT,
    )  # fmt: skip
    OutboundDelivery.objects.create(
        message=message, channel=Channel.VIBER, address="3SQNc4FPUQmysaM/AQEhXg==",
        status=OutboundDelivery.Status.SENT, provider_message_id=token,
    )  # fmt: skip
    return message


def test_receipts_move_our_message_forward_and_never_back(bot, deliver):
    delivered_token = expected()["delivered.json"]["message_token"]
    seen_raw = corpus_bytes("seen.json").replace(
        expected()["seen.json"]["message_token"].encode(), delivered_token.encode()
    )
    ours = sent_reply(delivered_token)

    deliver(seen_raw)
    deliver(corpus_bytes("delivered.json"))  # came late: seen stays

    ours.refresh_from_db()
    assert ours.delivery_status == DeliveryStatus.SEEN
    notes = list(InboundEvent.objects.order_by("id").values_list("error", flat=True))
    assert notes == [
        f"Message {ours.pk} is seen.",
        f"Receipt 'delivered' for message {ours.pk}: already seen.",
    ]


def test_a_failed_receipt_marks_the_reply_failed_with_vibers_reason(bot, deliver):
    ours = sent_reply(expected()["failed.json"]["message_token"])

    deliver(corpus_bytes("failed.json"))

    ours.refresh_from_db()
    assert ours.delivery_status == DeliveryStatus.FAILED
    assert ours.delivery_error == "Viber could not deliver it: failure description"
    assert OutboundDelivery.objects.get().status == OutboundDelivery.Status.FAILED


def bot_form(**changes) -> dict:
    form = {"name": "Shop support", "token": "", "is_active": "on",
            "greeting_en": "Hello!", "greeting_ru": "Здравствуйте!",
            "acknowledgement_en": "Your number is #{{ number }}.",
            "acknowledgement_ru": "Ваш номер #{{ number }}."}  # fmt: skip
    return {**form, **changes}


def test_admins_connect_a_bot_whose_token_is_write_only_and_stored_encrypted(
    admin_user, client, support
):
    client.force_login(admin_user)
    url = "/admin/channels_inbound/viberbot/add/"

    no_token = client.post(url, bot_form())
    saved = client.post(url, bot_form(token="secret-viber-token", group=support.pk))

    assert "A new bot needs its token." in no_token.content.decode()
    assert saved.status_code == 302, saved.content.decode()
    bot = ViberBot.objects.get()
    assert bot.token == "secret-viber-token" and bot.group == support
    assert "secret-viber-token" not in bot.token_encrypted
    page = client.get(f"/admin/channels_inbound/viberbot/{bot.pk}/change/").content.decode()
    assert "secret-viber-token" not in page and bot.token_encrypted not in page
    assert f"/api/v1/inbound/viber/{bot.pk}/" in page
    kept = client.post(f"/admin/channels_inbound/viberbot/{bot.pk}/change/", bot_form())
    assert kept.status_code == 302
    bot.refresh_from_db()
    assert bot.token == "secret-viber-token"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("acknowledgement_en", "Thanks, we got it.", "Put {{ number }} in it"),
        ("acknowledgement_ru", "Номер {% if %}", "The text has an error"),
        ("greeting_ru", "   ", "This field is required."),
        ("greeting_en", "x" * 7001, "Viber takes at most 7000 characters."),
        ("name", "x" * 29, "at most 28 characters"),
    ],
)
def test_the_bot_texts_are_validated_where_the_admin_sees_why(
    field, value, error, admin_user, client
):
    client.force_login(admin_user)

    refused = client.post(
        "/admin/channels_inbound/viberbot/add/", bot_form(token="t", **{field: value})
    )

    assert refused.status_code == 200 and error in refused.content.decode()
    assert not ViberBot.objects.exists()


def test_the_refusal_speaks_the_callers_language(bot, client):
    raw = corpus_bytes("webhook.json")

    refused = post(client, bot, raw, signature="0" * 64, HTTP_ACCEPT_LANGUAGE="ru")

    assert refused.status_code == 403
    assert refused.json()["message"] == "Неизвестный бот или неверная подпись."


def test_accepting_a_callback_is_two_queries_whatever_it_carries(
    bot, client, django_assert_num_queries
):
    for name in ("message-picture.json", "seen.json", "conversation-started.json"):
        raw = corpus_bytes(name)
        # The bot, and the one statement that stores the event; processing comes after.
        with django_assert_num_queries(2):
            assert post(client, bot, raw).status_code == 200
    assert InboundEvent.objects.filter(status="pending").count() == 3
