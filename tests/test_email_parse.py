"""The email parser against the corpus (every file, every expected fact) and its hard cases."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import pytest

from channels_inbound.adapters.base import ParseError
from channels_inbound.email.parse import parse_email, safe_filename

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "email"
RECORDS = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def collapsed(text: str | None) -> str:
    return " ".join((text or "").split())


def nfc(names: list[str | None]) -> list[str | None]:
    return [None if name is None else unicodedata.normalize("NFC", name) for name in names]


def corpus_file(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


@pytest.mark.parametrize("record", RECORDS, ids=[record["file"] for record in RECORDS])
def test_corpus_file_matches_its_expectation(record):
    raw = corpus_file(record["file"])
    assert hashlib.sha256(raw).hexdigest() == record["sha256"], "the corpus file was modified"

    parsed = parse_email(raw)

    expected_from = record["from_address"]
    assert (parsed.from_address or "").lower() == (expected_from or "").lower()
    assert (parsed.from_address is None) == (expected_from is None)
    assert parsed.from_name == record["from_name"]
    if "subject_startswith" in record:
        assert parsed.subject.startswith(record["subject_startswith"])
        assert len(parsed.subject) == record["subject_length"]
    elif record["subject"] is None:
        assert parsed.subject is None
    else:
        assert parsed.subject == collapsed(record["subject"])
    assert parsed.message_id == record["message_id"]
    assert parsed.in_reply_to == record["in_reply_to"]
    assert parsed.references == record["references"]
    assert parsed.is_auto_generated is record["is_auto_generated"], parsed.auto_reason
    attachments = [a.name for a in parsed.attachments if not a.is_inline]
    assert attachments == nfc(record["attachment_filenames"])
    assert [a.name for a in parsed.attachments if a.is_inline] == nfc(record["inline_filenames"])
    text = collapsed(parsed.text)
    for snippet in record["body_contains"]:
        assert collapsed(snippet) in text
    for snippet in record.get("html_contains") or []:
        assert collapsed(snippet) in collapsed(parsed.html)
    for attachment in parsed.attachments:
        assert "/" not in attachment.safe_name
        assert attachment.safe_name.strip(".")


def test_the_corpus_is_complete():
    assert len(RECORDS) == 88
    assert {record["file"] for record in RECORDS} == {p.name for p in CORPUS.glob("*.eml")}


# Quoted conversation and signatures ----------------------------------------------------------


def reply(body: str, subject: str = "Re: Order 1234", charset: str = "utf-8") -> bytes:
    head = (
        "From: Customer <customer@example.com>\r\n"
        "To: support@desk.example\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <reply-1@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + body.replace("\n", "\r\n").encode(charset)


def test_a_gmail_reply_folds_the_attribution_and_the_quote():
    parsed = parse_email(
        reply(
            "Thanks, that worked!\n\n"
            "On Mon, 6 Jan 2025 at 10:00, Support Team <support@desk.example>\nwrote:\n\n"
            "> Please restart the router.\n>\n> -- \n> Support\n"
        )
    )
    assert parsed.visible_text == "Thanks, that worked!"
    assert parsed.quoted_text.startswith("On Mon, 6 Jan 2025")
    assert "Please restart the router." in parsed.text


def test_an_outlook_reply_folds_the_original_message_and_the_signature():
    parsed = parse_email(
        reply(
            "Hello,\n\nthe invoice is attached.\n\n-- \nJohn Smith\nACME Ltd.\n\n"
            "From: Support <support@desk.example>\nSent: Monday, January 6, 2025 10:00 AM\n"
            "To: John Smith <customer@example.com>\nSubject: Order 1234\n\nPlease send the invoice."
        )
    )
    assert parsed.visible_text == "Hello,\n\nthe invoice is attached."
    assert parsed.quoted_text.startswith("-- \nJohn Smith")
    assert "Please send the invoice." in parsed.quoted_text

    parsed = parse_email(
        reply("Done.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nAnything else?")
    )
    assert parsed.visible_text == "Done."


@pytest.mark.parametrize(
    "attribution",
    [
        "12.03.2025 15:04, Иван Петров пишет:",
        "Поддержка <support@desk.example> написал(а):",
        "чт, 12 мар. 2025 г. в 15:04, Поддержка <support@desk.example>:",
    ],
)
def test_a_russian_reply_folds_the_quote(attribution):
    body = f"Спасибо, всё работает.\n\n{attribution}\n> Перезагрузите роутер, пожалуйста.\n"
    parsed = parse_email(reply(body, subject="Re: Заказ 1234", charset="koi8-r"))
    assert parsed.visible_text == "Спасибо, всё работает."
    assert "Перезагрузите роутер" in parsed.quoted_text
    assert parsed.text.startswith("Спасибо")


def test_an_html_only_reply_is_read_as_text_and_folded():
    html = (
        '<div dir="ltr">Thanks, it works now!</div><div class="gmail_quote">'
        "On Mon, 6 Jan 2025 at 10:00, Support &lt;support@desk.example&gt; wrote:<br>"
        "<blockquote><div>Please restart&nbsp;the router.</div></blockquote></div>"
    )
    raw = (
        "From: customer@example.com\r\nSubject: Re: help\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}"
    ).encode()
    parsed = parse_email(raw)
    assert parsed.html == html
    assert parsed.text.endswith("> Please restart the router.")
    assert parsed.visible_text == "Thanks, it works now!"


def test_inline_answers_keep_their_questions_and_a_forward_is_not_folded():
    inline = "> Which model?\nThe X200.\n> Since when?\nYesterday.\n"
    assert parse_email(reply(inline)).visible_text == inline.strip()
    forward = "FYI\n\n-----Original Message-----\nFrom: Boss\nSent: today\n\nFix it."
    parsed = parse_email(reply(forward, subject="Fwd: broken"))
    assert parsed.visible_text == parsed.text


def test_a_reply_with_the_quote_above_keeps_only_the_new_text():
    parsed = parse_email(corpus_file("redmine-issue_update_with_quoted_reply_above.eml"))
    assert parsed.visible_text.startswith("An update to the issue by the sender.")
    assert "Reply above. Do not" not in parsed.visible_text
    assert "Reply above. Do not" in parsed.quoted_text


# File names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("php://filter", "filter"),
        ("php://filter/read=convert.base64-encode/resource=index.php", "resource=index.php"),
        ("C:\\Windows\\System32\\evil.exe", "evil.exe"),
        ("..", "attachment"),
        (None, "attachment"),
        ("Bestellbesta\u0308tigung.pdf", "Bestellbestätigung.pdf"),
        ('a<b>:"c"|?*.txt', "a_b_c_.txt"),
        ("con.txt", "_con.txt"),
    ],
)
def test_safe_filename_strips_paths_and_unsafe_characters(name, safe):
    assert safe_filename(name) == safe


def test_safe_filename_keeps_the_extension_of_a_long_name():
    safe = safe_filename("x" * 300 + ".pdf")
    assert len(safe) <= 150
    assert safe.endswith(".pdf")
    assert safe_filename(None, "message/rfc822") == "message.eml"


def test_an_attachment_named_like_a_path_keeps_its_name_for_display():
    raw = (
        b"From: a@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\nroot\r\n'
        b"--b\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="php://filter"\r\n\r\nx\r\n'
        b"--b--\r\n"
    )
    parsed = parse_email(raw)
    assert [a.name for a in parsed.attachments] == ["../../etc/passwd", "php://filter"]
    assert [a.safe_name for a in parsed.attachments] == ["passwd", "filter"]
    assert parsed.text == "see attached"


# Bounces and other machine mail --------------------------------------------------------------


def test_a_bounce_names_the_message_we_sent():
    parsed = parse_email(corpus_file("zammad-mail033-undelivered-mail-returned-to-sender.eml"))
    assert parsed.is_auto_generated
    assert parsed.bounce_of == ["<20150830145601.30.608881@edenhofer.zammad.com>"]
    assert "User unknown" in parsed.failure_reason


def test_a_dsn_about_our_reply_names_it_and_a_delay_warning_does_not():
    ours = "<t1000.m5.0123456789abcdef0123@desk.example>"
    dsn = (
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        "To: support@desk.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.org\r\nAction: {action}\r\n"
        "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Support <support@desk.example>\r\nMessage-ID: {ours}\r\n"
        "Subject: Re: [#1000] Backpack\r\n--r--\r\n"
    )
    failed = parse_email(dsn.replace("{action}", "failed").encode())
    assert failed.bounce_of == [ours]
    assert failed.failure_reason == "gone@example.org: 550 5.1.1 No such user"
    assert failed.is_auto_generated
    assert failed.attachments == []

    delayed = parse_email(dsn.replace("{action}", "delayed").encode())
    assert delayed.is_auto_generated
    assert delayed.bounce_of == []
    assert parse_email(corpus_file("zammad-mail078.eml")).bounce_of == []


@pytest.mark.parametrize(
    "header",
    [
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "Precedence: junk",
        "List-Id: <users.lists.example.org>",
        "Return-Path: <>",
        "Auto-Submitted: auto-generated",
    ],
)
def test_machine_headers_mark_mail_auto_generated(header):
    raw = f"From: robot@example.org\r\n{header}\r\nSubject: hello\r\n\r\nhi\r\n".encode()
    parsed = parse_email(raw)
    assert parsed.is_auto_generated
    assert header.split(":")[0] in parsed.auto_reason


def test_mail_from_our_own_address_is_auto_generated_and_normal_mail_is_not():
    raw = b"From: Support <Support@Desk.Example>\r\nSubject: hello\r\n\r\nhi\r\n"
    assert parse_email(raw, own_addresses={"support@desk.example"}).is_auto_generated
    assert not parse_email(raw).is_auto_generated
    assert not parse_email(b"From: a@b.example\r\nAuto-Submitted: no\r\n\r\nhi").is_auto_generated


# What is not mail, and broken mail -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b" \r\n\r\n",
        b"\x00\xff\xfe\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"just some words, no headers at all\nand a second line\n",
        b'{"update_id": 10000, "message": {"text": "hi"}}',
    ],
)
def test_what_is_not_an_email_raises_parse_error(raw):
    with pytest.raises(ParseError):
        parse_email(raw)


@pytest.mark.parametrize(
    "name",
    [
        "zammad-mail105.eml",
        "flanker-mailformed-headers.eml",
        "zammad-mail068.eml",
        "flanker-false-multipart.eml",
        "zammad-mail071.eml",
    ],
)
def test_broken_mime_is_parsed_not_refused(name):
    parsed = parse_email(corpus_file(name))
    assert parsed.from_address


def test_mail_read_from_raw_headers_is_decoded():
    parsed = parse_email(corpus_file("zammad-mail068.eml"))  # junk line, unindented folding
    assert parsed.subject == "Contact from Server"
    assert parsed.message_id == "20180802145828.58E7387959@mail.xxxxxx.cz"
    assert "Čtvrtek" in parsed.text
    headers = parse_email(corpus_file("mikelmail-utf8_headers.eml"))
    assert (headers.from_name, headers.from_address) == ("Jöhn Doe", "jdöe@mächine.example")


def test_thread_ids_join_references_and_in_reply_to():
    parsed = parse_email(corpus_file("zammad-mail004.eml"))
    assert parsed.thread_ids == [
        "<F799DA4E63A20B4EBE9D5A412196D71D3CADBE9DF6@ECCR04PUBLIC.exchange.local>",
        "<20120507062840.265.107538@portal.example.com>",
    ]
    assert parse_email(corpus_file("zammad-mail007.eml")).thread_ids == [
        "<20120613122802.489.352153@portal.example.com>"
    ]


def test_dates_and_recipients():
    parsed = parse_email(corpus_file("imaptools-double_fields.eml"))
    assert parsed.to == ["aa@aa.ru", "bb@aa.ru"]
    assert parsed.cc == ["cc@aa.ru", "dd@aa.ru"]
    assert parsed.date is not None
    assert parsed.date.tzinfo is not None
