"""The Telegram webhook against the corpus: every payload stored raw once and processed into
what its expected.json record says; a wrong secret stores nothing; files come by getFile from
the fake Bot API."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.conf import settings

from channels_inbound import inbox
from channels_inbound.models import InboundEvent, TelegramBot
from tests.factories import CustomerFactory, IdentityFactory
from tickets.models import Channel, CustomerIdentity, Direction, IdentityKind, Message, Ticket

CORPUS = settings.BASE_DIR.parent / "shared" / "corpus" / "telegram"
SECRET = "hd_Xk3-9qPzL2vW7_tN"
RECORDS = {r["file"]: r for r in json.loads((CORPUS / "expected.json").read_text())}


def corpus_file(name: str) -> bytes:
    raw = (CORPUS / name).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == RECORDS[name]["sha256"]
    return raw


@pytest.fixture
def bot(support, fake_telegram):
    bot = TelegramBot(name="ACME", username="acme_helpdesk_bot", group=support,
                      webhook_secret=SECRET)  # fmt: skip
    bot.token = fake_telegram.token
    bot.save()
    return bot


def post(client, bot, body: bytes, secret: str | None = SECRET):
    headers = {} if secret is None else {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret}
    return client.post(f"/api/v1/inbound/telegram/{bot.pk}/", body,
                       content_type="application/json", **headers)  # fmt: skip


def file_ids(value) -> list[str]:
    """Every file_id anywhere in a payload (thumbnails too): what getFile must know."""
    if isinstance(value, dict):
        found = [value["file_id"]] if isinstance(value.get("file_id"), str) else []
        return found + [i for v in value.values() for i in file_ids(v)]
    if isinstance(value, list):
        return [i for v in value for i in file_ids(v)]
    return []


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_corpus_update_is_stored_once_and_becomes_what_expected_says(
    client,
    bot,
    fake_telegram,
    name,
):
    record, raw = RECORDS[name], corpus_file(name)
    for file_id in file_ids(json.loads(raw)):
        fake_telegram.add_file(file_id, f"bytes of {file_id}".encode())
    if record["expected_action"] == "mark_customer_unreachable":
        customer = CustomerFactory(name=record["from_display_name"])
        IdentityFactory(customer=customer, kind=IdentityKind.TELEGRAM, value=str(record["from_id"]))

    first, again = post(client, bot, raw), post(client, bot, raw)

    assert first.status_code == again.status_code == 200
    event = InboundEvent.objects.get()
    assert event.channel == Channel.TELEGRAM
    assert event.external_key == f"{bot.pk}:{record['update_id']}"
    assert event.payload == {"bot": bot.pk, "update": json.loads(raw)}
    status = inbox.process(event_id=event.pk)
    if not record["should_create_or_append_message"]:
        assert status == "ignored"
        assert not Message.objects.exists() and not Ticket.objects.exists()
        if record["expected_action"] == "mark_customer_unreachable":
            identity = CustomerIdentity.objects.get(kind=IdentityKind.TELEGRAM)
            assert identity.is_reachable is False
        return
    assert status == "done"
    message = Message.objects.select_related("ticket__customer").get(direction=Direction.IN)
    assert message.direction == Direction.IN and message.channel == Channel.TELEGRAM
    key = f"album:{record['media_group_id']}" if record["media_group_id"] else record["message_id"]
    assert message.external_id == f"tg:{bot.pk}:{record['chat_id']}:{key}"
    assert message.ticket.group == bot.group and message.ticket.channel == Channel.TELEGRAM
    identity = CustomerIdentity.objects.get()
    assert identity.kind == IdentityKind.TELEGRAM and identity.value == str(record["from_id"])
    assert identity.customer.name == record["from_display_name"]
    username = record["from_username"]
    assert identity.display == (f"@{username}" if username else record["from_display_name"])
    if record["text_or_caption"]:
        assert record["text_or_caption"] in message.text
    attachments = list(message.attachments.order_by("id"))
    kinds = record["attachment_kinds"]
    files = [k for k in kinds if k not in ("contact", "location")]
    assert len(attachments) == len(files)
    if record.get("document_file_name"):
        assert [a.name for a in attachments] == [record["document_file_name"]]
    if record.get("largest_photo_file_id"):
        content = attachments[0].file.open("rb").read()
        assert content == f"bytes of {record['largest_photo_file_id']}".encode()
    if "contact" in kinds:
        assert "Contact: Ирина Смирнова +7" in message.text
    if "location" in kinds:
        assert "Location: " in message.text and "openstreetmap.org" in message.text
    assert InboundEvent.objects.get().message_id == message.pk


def test_a_forward_says_where_it_came_from(client, bot):
    post(client, bot, corpus_file("forwarded-hidden-user.json"))
    inbox.process(event_id=InboundEvent.objects.get().pk)

    assert Message.objects.get(direction=Direction.IN).text.startswith("[Forwarded from ")


@pytest.mark.parametrize(
    "secret", [None, "", "hd_Xk3-9qPzL2vW7_tn", "hd_Xk3-9qPzL2vW7_tN ", "guessed"]
)
def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(client, bot, secret, caplog):
    response = post(client, bot, corpus_file("private-text-emoji-entities.json"), secret=secret)

    assert response.status_code == 403
    assert response.json()["message"] == "Unknown bot or wrong secret."
    assert not InboundEvent.objects.exists()
    assert "Telegram webhook refused" in caplog.text and SECRET not in caplog.text


def test_an_inactive_or_unknown_bot_takes_nothing(client, bot):
    TelegramBot.objects.filter(pk=bot.pk).update(is_active=False)
    body = corpus_file("private-text-emoji-entities.json")

    assert post(client, bot, body).status_code == 403
    assert client.post("/api/v1/inbound/telegram/999999/", body, content_type="application/json",
                       HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET).status_code == 403  # fmt: skip
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "not a JSON object"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"message": {"text": "no update id"}}', "no update_id"),
        (b'{"update_id": 5, "message": {"text": "nul \\u0000 inside"}}', "not a JSON object"),
    ],
)
def test_an_update_that_cannot_be_read_is_answered_200_and_kept_with_its_error(
    client, bot, body, error
):
    response = post(client, bot, body)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert inbox.process(event_id=event.pk) == "failed"
    event.refresh_from_db()
    assert error in event.error and event.payload["bot"] == bot.pk
    assert not Message.objects.exists()
    # The next update is not blocked by it.
    post(client, bot, corpus_file("voice.json"))
    later = InboundEvent.objects.exclude(pk=event.pk).get()
    assert inbox.process(event_id=later.pk) == "done"


def test_a_file_over_the_getfile_limit_is_recorded_with_name_and_size(client, bot, fake_telegram):
    update = json.loads(corpus_file("document-cyrillic-filename.json"))
    update["message"]["document"]["file_size"] = 25 * 1024 * 1024
    post(client, bot, json.dumps(update).encode())

    assert inbox.process(event_id=InboundEvent.objects.get().pk) == "done"

    message = Message.objects.get(direction=Direction.IN)
    assert not message.attachments.exists()
    assert "[Счёт №15 от 03.06.2024.pdf (25.0 MB) is too large to fetch" in message.text
    assert fake_telegram.sent("getFile") == []


def test_a_file_getfile_refuses_as_too_big_is_recorded(client, bot, fake_telegram):
    update = json.loads(corpus_file("voice.json"))
    file_id = update["message"]["voice"]["file_id"]
    fake_telegram.add_file(file_id, b"ogg", size=21 * 1024 * 1024)
    post(client, bot, json.dumps(update).encode())

    assert inbox.process(event_id=InboundEvent.objects.get().pk) == "done"

    assert "is too large to fetch" in Message.objects.get(direction=Direction.IN).text


def test_telegram_down_while_fetching_a_file_leaves_the_update_to_try_again(
    client,
    bot,
    fake_telegram,
):
    raw = corpus_file("voice.json")
    fake_telegram.add_file(json.loads(raw)["message"]["voice"]["file_id"], b"OggS voice")
    fake_telegram.fail("getFile", 502, "Bad Gateway")
    post(client, bot, raw)
    event = InboundEvent.objects.get()

    assert inbox.process(event_id=event.pk) == "pending"
    assert not Message.objects.exists()
    InboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=event.received_at)
    assert inbox.process(event_id=event.pk) == "done"
    attachment = Message.objects.get(direction=Direction.IN).attachments.get()
    assert attachment.file.open("rb").read() == b"OggS voice"


def test_a_group_message_not_addressed_to_the_bot_makes_no_ticket(client, bot):
    update = json.loads(corpus_file("group-mention-bot.json"))
    update["message"]["text"] = "обычное сообщение в группе"
    update["message"]["entities"] = []
    post(client, bot, json.dumps(update).encode())

    assert inbox.process(event_id=InboundEvent.objects.get().pk) == "ignored"
    assert not Ticket.objects.exists()


def test_updates_are_processed_by_the_inbox_drainers_after_commit(
    client, bot, fake_telegram, django_capture_on_commit_callbacks
):
    """No call to `process` by hand: the webhook's commit wakes the drainers (eager Celery in
    the tests), which take a mixed batch of updates in order."""
    raw = corpus_file("voice.json")
    fake_telegram.add_file(json.loads(raw)["message"]["voice"]["file_id"], b"OggS")
    names = ["private-text-emoji-entities.json", "channel-post.json", "voice.json"]

    with django_capture_on_commit_callbacks(execute=True):
        for name in names:
            assert post(client, bot, corpus_file(name)).status_code == 200

    statuses = list(InboundEvent.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["done", "ignored", "done"]
    ticket = Ticket.objects.get()
    assert ticket.messages.filter(direction=Direction.IN).count() == 2  # the voice note joined


def test_an_edited_message_updates_the_stored_text_marked_and_keeps_its_file(
    client, bot, fake_telegram
):
    document = corpus_file("doc-document.json")
    fake_telegram.add_file(json.loads(document)["message"]["document"]["file_id"], b"%PDF")
    post(client, bot, document)
    inbox.process(event_id=InboundEvent.objects.get().pk)
    # The official samples all carry update_id 10000: the edit gets an id of its own here.
    edit = json.loads(corpus_file("doc-edited-message.json"))
    edit["update_id"] = 10001

    post(client, bot, json.dumps(edit).encode())
    event = InboundEvent.objects.get(external_key=f"{bot.pk}:10001")

    assert inbox.process(event_id=event.pk) == "ignored"
    message = Message.objects.get(direction=Direction.IN)
    assert message.text == "Edited text\n[edited]"
    assert message.attachments.get().name == "Testfile.pdf"
    edit["update_id"], edit["edited_message"]["text"] = 10002, "Edited again"
    post(client, bot, json.dumps(edit).encode())
    inbox.process(event_id=InboundEvent.objects.get(external_key=f"{bot.pk}:10002").pk)
    assert Message.objects.get(direction=Direction.IN).text == "Edited again\n[edited]"


def test_an_edit_keeps_the_note_of_a_file_that_could_not_be_fetched(client, bot):
    update = json.loads(corpus_file("document-cyrillic-filename.json"))
    update["message"]["document"]["file_size"] = 25 * 1024 * 1024
    post(client, bot, json.dumps(update).encode())
    inbox.process(event_id=InboundEvent.objects.get().pk)
    changed = {**update["message"], "caption": "Акт сверки, исправленный", "edit_date": 1718006999}
    edit = {"update_id": update["update_id"] + 1, "edited_message": changed}

    post(client, bot, json.dumps(edit).encode())
    inbox.process(event_id=InboundEvent.objects.order_by("-id").first().pk)

    lines = Message.objects.get(direction=Direction.IN).text.splitlines()
    assert lines[0] == "Акт сверки, исправленный" and lines[-1] == "[edited]"
    assert "is too large to fetch" in lines[1]


def test_an_edit_of_a_message_we_never_got_changes_nothing(client, bot):
    post(client, bot, corpus_file("doc-edited-message.json"))

    assert inbox.process(event_id=InboundEvent.objects.get().pk) == "ignored"
    assert not Message.objects.exists()


def test_a_reply_shows_what_it_answers(client, bot):
    post(client, bot, corpus_file("reply-to-bot-message.json"))
    inbox.process(event_id=InboundEvent.objects.get().pk)

    text = Message.objects.get(direction=Direction.IN).text
    assert text.startswith("[In reply to: ") and text.splitlines()[1] == RECORDS[
        "reply-to-bot-message.json"]["text_or_caption"]  # fmt: skip


def test_an_album_is_one_message_with_all_its_photos(client, bot, fake_telegram):
    second = json.loads(corpus_file("media-group-2of2.json"))
    # Part 1 of the album (kept back from the corpus), as Telegram sends it: the update
    # before, the message before, its own photo sizes, the caption on it.
    first = json.loads(json.dumps(second))
    first["update_id"] -= 1
    first["message"]["message_id"] -= 1
    first["message"]["caption"] = "Повреждённая упаковка, два фото"
    for size in first["message"]["photo"]:
        size["file_id"] = "part1-" + size["file_id"]
    for update in (first, second):
        for file_id in file_ids(update):
            fake_telegram.add_file(file_id, f"bytes of {file_id}".encode())

    for update in (first, second):
        post(client, bot, json.dumps(update, ensure_ascii=False).encode())
    for event in InboundEvent.objects.order_by("id"):
        assert inbox.process(event_id=event.pk) == "done"

    message = Message.objects.get(direction=Direction.IN)
    assert message.text == "Повреждённая упаковка, два фото"
    contents = [a.file.open("rb").read() for a in message.attachments.order_by("id")]
    largest = RECORDS["media-group-2of2.json"]["largest_photo_file_id"]
    assert contents == [f"bytes of part1-{largest}".encode(), f"bytes of {largest}".encode()]
    assert Message.objects.filter(direction=Direction.OUT).count() == 1  # one acknowledgement


def test_entities_become_html_at_their_utf16_offsets(client, bot):
    post(client, bot, corpus_file("private-text-emoji-entities.json"))
    inbox.process(event_id=InboundEvent.objects.get().pk)

    message = Message.objects.get(direction=Direction.IN)
    # Two emoji before the link count two UTF-16 units each: the link is the whole URL.
    assert 'href="https://example.com/orders/4821"' in message.html
    assert ">https://example.com/orders/4821</a>" in message.html
    assert "#доставка" in message.html and message.text == RECORDS[
        "private-text-emoji-entities.json"]["text_or_caption"]  # fmt: skip


def test_formatting_is_kept_escaped_and_follows_an_edit(client, bot):
    update = json.loads(corpus_file("teloxide-msg-private-text-ru-emoji.json"))
    message = update["message"]
    message["text"] = "😂 <script>x</script> жирно"
    message["entities"] = [{"type": "bold", "offset": 22, "length": 5}]  # 😂 is two units
    post(client, bot, json.dumps(update).encode())
    inbox.process(event_id=InboundEvent.objects.get().pk)
    stored = Message.objects.get(direction=Direction.IN)
    assert "<strong>жирно</strong>" in stored.html and "<script>" not in stored.html
    assert "&lt;script&gt;" in stored.html

    edit = {"update_id": update["update_id"] + 1, "edited_message": {**message, "text": "просто",
                                                                      "entities": []}}  # fmt: skip
    post(client, bot, json.dumps(edit).encode())
    inbox.process(event_id=InboundEvent.objects.order_by("-id").first().pk)

    stored.refresh_from_db()
    assert stored.text == "просто\n[edited]" and stored.html == ""


def test_plain_text_has_no_html(client, bot):
    post(client, bot, corpus_file("user-no-username-no-lastname.json"))
    inbox.process(event_id=InboundEvent.objects.get().pk)

    assert Message.objects.get(direction=Direction.IN).html == ""
