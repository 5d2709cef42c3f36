"""The media of a customer's Viber message, fetched from its link while it works: stored on
the message, or - over the size limit, or when the link has expired - a clear note with the
name, size and link instead, and the message is kept all the same."""

import json

import pytest

from channels_inbound.models import InboundEvent
from tests.viber_helpers import corpus_bytes
from tickets.models import Direction, Message

LINK = "https://media.example/dl/7f3a/scan.pdf"


def sends_file(name="скан договора.pdf", size=None, media=LINK, text=None) -> bytes:
    data = json.loads(corpus_bytes("message-picture.json"))
    message = {"type": "file", "media": media, "file_name": name}
    if size is not None:
        message["size"] = size
    if text is not None:
        message["text"] = text
    data["message"] = message
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.fixture
def link(fake_viber):
    """The file at LINK, on the fake's own address (https cannot go through the test proxy)."""
    url = fake_viber.url.removesuffix("/pa") + "/dl/7f3a/scan.pdf"
    fake_viber.media[url] = (200, "application/pdf", b"%PDF-1.7 contract")
    return url


def customer_message() -> Message:
    return Message.objects.get(direction=Direction.IN)


def test_a_file_with_a_cyrillic_name_is_fetched_and_stored_on_the_message(
    bot, deliver, link, fake_viber
):
    deliver(sends_file(media=link, size=17))

    message = customer_message()
    [stored] = message.attachments.all()
    assert (stored.name, stored.content_type, stored.size) == (
        "скан договора.pdf", "application/pdf", 17,
    )  # fmt: skip
    assert stored.file.read() == b"%PDF-1.7 contract"
    assert message.text == "" and fake_viber.fetched == [link]


def test_a_file_viber_says_is_too_large_is_not_fetched_and_the_message_says_so(
    bot, deliver, link, fake_viber, settings
):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

    deliver(sends_file(media=link, size=30 * 1024 * 1024, text="the contract"))

    message = customer_message()
    assert not message.attachments.exists() and fake_viber.fetched == []
    assert message.text == (
        "the contract\n\n[File скан договора.pdf (31457280 bytes) is larger than the 10 MB "
        f"limit and was not stored: {link}]"
    )


def test_a_file_larger_than_the_limit_on_the_wire_is_not_stored(
    bot, deliver, link, fake_viber, settings
):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 10  # the file is 17 bytes; Viber gave no size

    deliver(sends_file(media=link))

    message = customer_message()
    assert not message.attachments.exists()
    assert "(17 bytes) is larger than the 10 bytes limit and was not stored" in message.text


def test_an_expired_link_leaves_a_note_and_the_message_is_kept(bot, deliver, fake_viber):
    gone = fake_viber.url.removesuffix("/pa") + "/dl/expired.jpg"

    deliver(sends_file(name="", media=gone, text="see the photo"))

    message = customer_message()
    assert message.text == (
        "see the photo\n\n[File could not be fetched from Viber (the link may have "
        f"expired): HTTP 404. {gone}]"
    )
    assert InboundEvent.objects.get().status == "done"
