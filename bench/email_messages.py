"""Ten thousand varied inbound emails, as mail clients and mail servers write them.

`messages(count, seed)` returns raw RFC 5322 messages in arrival order. The mix is what a
support mailbox sees in a week:

- 45 % new questions from customers: Russian and English, in UTF-8 (quoted-printable or
  base64), KOI8-R or windows-1251, plain or multipart/alternative with HTML, some with a PDF
  or an inline screenshot;
- 33 % replies to earlier messages of the stream (In-Reply-To and References, "Re:" or
  "Ответ:" subject, the earlier text quoted below an attribution line);
- 5 % auto-replies (Auto-Submitted, X-Autoreply, Precedence: bulk);
- 2 % a colleague in Cc replying on the customer's thread;
- 15 % the real-world messages of ../shared/corpus/email (odd charsets, broken MIME, Outlook,
  Apple Mail, bounces, 300 attachments), each copy with a Message-ID of its own so that none
  is a duplicate of another.

`threaded(count, seed)` also says, for every reply, whether it must land on its parent's
ticket. The stream keeps its conversations by the desk's rule: a reply joins the parent's
conversation when its author is on it (its customer, an address in Cc of a message on it, or
someone who wrote on it before); anyone else - a colleague answering a mail they were not
copied on - starts a conversation of their own.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.charset import BASE64, QP, Charset
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from html import escape
from pathlib import Path

from bench.generator.names import CITIES, PRODUCTS, PROMO_CODES
from bench.generator.people import CustomerProfile, make_customers
from bench.generator.phrases_customer import (
    CUSTOMER_EXTRAS,
    FOLLOW_UPS,
    GREETINGS,
    PROBLEMS,
    SIGNATURES,
    SUBJECTS,
)

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "email"
SUPPORT = "support@desk.example"
HEADER_LINE = re.compile(rb"[!-9;-~]+:")
# 1x1 PNG and a small PDF stand for the screenshots and invoices customers attach.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n" + b"0123456789abcdef" * 1200 + b"\n%%EOF\n"


def _charset(name: str, encoding) -> Charset:
    charset = Charset(name)
    charset.body_encoding = encoding
    charset.header_encoding = encoding
    return charset


CHARSETS = {
    "ru": [_charset("utf-8", BASE64), _charset("utf-8", QP), _charset("koi8-r", BASE64),
           _charset("windows-1251", QP)],
    "en": [_charset("utf-8", QP), _charset("us-ascii", None), _charset("iso-8859-1", QP)],
}  # fmt: skip


def corpus_messages() -> list[bytes]:
    return [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]


def with_message_id(raw: bytes, message_id: str) -> bytes:
    """A corpus message with a fresh Message-ID: its own removed, the new one put before its
    first header line (after any mbox "From " line or junk that precedes the headers)."""
    lines = raw.splitlines(keepends=True)
    newline = b"\r\n" if raw[:2000].count(b"\r\n") > raw[:2000].count(b"\n") / 2 else b"\n"
    out, first_header, skipping = [], None, False
    for index, line in enumerate(lines):
        if not line.strip():  # the end of the headers
            out.extend(lines[index:])
            break
        if skipping and line[:1] in (b" ", b"\t"):
            continue
        skipping = line.lower().startswith(b"message-id:")
        if skipping:
            continue
        if first_header is None and HEADER_LINE.match(line):
            first_header = len(out)
        out.append(line)
    at = first_header if first_header is not None else 0
    out.insert(at, b"Message-ID: " + message_id.encode() + newline)
    return b"".join(out)


class Stream:
    def __init__(self, count: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.count = count
        self.customers = make_customers(self.rng, max(count // 4, 10))
        self.corpus = corpus_messages()
        self.sent: list[tuple[CustomerProfile, str, str, str]] = []  # (who, id, subject, text)
        self.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
        self.n = 0
        # Conversations as the desk threads them: Message-ID -> conversation, and each
        # conversation's addresses (its customer first).
        self.conversation: dict[str, int] = {}
        self.on_conversation: list[set[str]] = []
        self.replies: list[Reply] = []

    def converse(self, mid: str, author: str, parent: str | None, cc: str = "") -> None:
        """Put a message in its conversation, and remember for a reply whether that is its
        parent's."""
        author = author.lower()
        joined = parent is not None and author in self.on_conversation[self.conversation[parent]]
        if joined:
            number = self.conversation[parent]
        else:
            number = len(self.on_conversation)
            self.on_conversation.append({author})
        self.conversation[mid] = number
        self.on_conversation[number].update(a for a in (author, cc.lower()) if a)
        if parent is not None:
            self.replies.append(Reply(mid, parent, joined))

    def address(self, customer: CustomerProfile) -> str:
        for kind, value, _ in customer.identities:
            if kind == "email":
                return value
        return f"customer{customer.id}@mail.example"

    def context(self, customer: CustomerProfile) -> dict:
        r, language = self.rng.random, customer.language
        return {
            "order": 100000 + int(r() * 900000),
            "product": self.rng.choice(PRODUCTS[language]),
            "amount": int(r() * 300) * 50 + 290,
            "date": f"{1 + int(r() * 28):02d}.{1 + int(r() * 12):02d}",
            "city": self.rng.choice(CITIES[language]),
            "days": 2 + int(r() * 12),
            "code": self.rng.choice(PROMO_CODES),
            "percent": self.rng.choice((5, 10, 15, 20, 30)),
            "points": 100 + int(r() * 50) * 20,
            "invoice": f"INV-2026-{int(r() * 100000):05d}",
            "track": f"{int(r() * 10**9):09d}",
            "phone": "+7 912 345-67-89",
            "attempts": 3 + int(r() * 5),
            "n": 2 + int(r() * 4),
            "first": customer.first,
            "name": customer.name,
            "agent": "",
        }

    def next_id(self) -> str:
        self.n += 1
        return f"<bench.{self.n}.{self.rng.getrandbits(48):012x}@mail.example>"

    def headers(self, message: Message, customer: CustomerProfile, subject: str, mid: str):
        self.now += timedelta(seconds=self.rng.randint(1, 40))
        charset = self.charset(customer, customer.name)
        message["From"] = formataddr((customer.name, self.address(customer)), charset=charset)
        message["To"] = SUPPORT
        message["Subject"] = subject
        message["Date"] = format_datetime(self.now)
        message["Message-ID"] = mid

    def charset(self, customer: CustomerProfile, text: str) -> Charset:
        """The customer's client's charset, or UTF-8 when the text does not fit in it (a ₽
        in KOI8-R), as real clients fall back."""
        charset = self.rng.choice(CHARSETS[customer.language])
        try:
            text.encode(charset.input_codec or "ascii")
        except UnicodeEncodeError:
            return CHARSETS["en"][0]
        return charset

    def body(self, customer: CustomerProfile, text: str, *, attach: bool) -> Message:
        charset = self.charset(customer, text)
        plain = MIMEText(text, "plain", charset)
        if self.rng.random() < 0.4:
            html = "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line)
            inline = attach and self.rng.random() < 0.4
            if inline:
                html += '<p><img src="cid:shot@mail.example" alt="screenshot"></p>'
            alternative = MIMEMultipart("alternative")
            alternative.attach(plain)
            alternative.attach(MIMEText(f"<html><body>{html}</body></html>", "html", charset))
            if inline:
                related = MIMEMultipart("related")
                related.attach(alternative)
                image = MIMEImage(PNG, "png")
                image["Content-ID"] = "<shot@mail.example>"
                image.add_header("Content-Disposition", "inline", filename="screenshot.png")
                related.attach(image)
                return related
            body = alternative
        else:
            body = plain
        if not attach:
            return body
        mixed = MIMEMultipart("mixed")
        mixed.attach(body)
        pdf = MIMEApplication(PDF, "pdf")
        name = "счёт.pdf" if customer.language == "ru" else "invoice.pdf"
        pdf.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
        mixed.attach(pdf)
        return mixed

    def question(self) -> bytes:
        customer = self.rng.choice(self.customers)
        language, topic = customer.language, self.rng.choice(list(SUBJECTS["en"]))
        ctx = self.context(customer)
        subject = self.rng.choice(SUBJECTS[language][topic]).format(**ctx)
        problem = self.rng.choice(PROBLEMS[language].get(topic) or PROBLEMS[language]["order"])
        text = "\n\n".join([
            self.rng.choice(GREETINGS[language]),
            problem.format(**ctx) + " " + self.rng.choice(CUSTOMER_EXTRAS[language]).format(**ctx),
            self.rng.choice(SIGNATURES[language]).format(**ctx),
        ])  # fmt: skip
        mid = self.next_id()
        message = self.body(customer, text, attach=self.rng.random() < 0.12)
        self.headers(message, customer, subject, mid)
        self.sent.append((customer, mid, subject, text))
        self.converse(mid, self.address(customer), None)
        return message.as_bytes()

    def reply(self, *, colleague: bool = False) -> bytes:
        customer, parent, subject, earlier = self.rng.choice(self.sent[-400:])
        language = customer.language
        ctx = self.context(customer)
        follow = self.rng.choice(FOLLOW_UPS["ongoing"][language]).format(**ctx)
        wrote = "написал(а)" if language == "ru" else "wrote"
        quoted = "\n".join("> " + line for line in earlier.split("\n"))
        text = f"{follow}\n\n{format_datetime(self.now)}, {customer.name} {wrote}:\n{quoted}\n"
        prefix = self.rng.choice(("Re: ", "RE: ", "Ответ: ", "AW: "))
        author = customer
        if colleague:
            author = CustomerProfile(
                customer.id + 10**6, f"{customer.name} (colleague)", customer.first,
                language, [("email", f"colleague{customer.id}@corp.example", "")],
            )  # fmt: skip
        mid = self.next_id()
        message = self.body(author, text, attach=False)
        self.headers(message, author, prefix + subject, mid)
        message["In-Reply-To"] = parent
        message["References"] = parent
        if colleague:
            message["Cc"] = self.address(customer)
        self.sent.append((customer, mid, subject, follow))
        cc = self.address(customer) if colleague else ""
        self.converse(mid, self.address(author), parent, cc)
        return message.as_bytes()

    def auto_reply(self) -> bytes:
        customer = self.rng.choice(self.customers)
        message = MIMEText(
            "I am out of the office until Monday. / Я в отпуске до понедельника.", "plain", "utf-8"
        )
        self.headers(message, customer, "Out of office / Автоответ", self.next_id())
        header, value = self.rng.choice(
            (("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes"), ("Precedence", "bulk"))
        )
        message[header] = value
        return message.as_bytes()

    def real_world(self) -> bytes:
        return with_message_id(self.rng.choice(self.corpus), self.next_id())

    def __iter__(self):
        for _ in range(self.count):
            x = self.rng.random()
            if x < 0.15:
                yield self.real_world()
            elif x < 0.20:
                yield self.auto_reply()
            elif x < 0.22 and self.sent:
                yield self.reply(colleague=True)
            elif x < 0.55 and self.sent:
                yield self.reply()
            else:
                yield self.question()


@dataclass(frozen=True)
class Reply:
    message_id: str
    parent_id: str
    # Whether it belongs on the parent's ticket (else on a ticket of its own).
    joins_parent: bool


def messages(count: int = 10_000, seed: int = 6) -> list[bytes]:
    return list(Stream(count, seed))


def threaded(count: int = 10_000, seed: int = 6) -> tuple[list[bytes], list[Reply]]:
    """The messages of `messages(count, seed)`, and where each reply among them belongs."""
    stream = Stream(count, seed)
    raws = list(stream)
    return raws, stream.replies
