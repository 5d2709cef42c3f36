"""The MIME tree walked once: the text and HTML bodies, the attachments, the report parts.

Rules (the corpus guide's): of a multipart/alternative the text/plain part gives the text
unless it is empty, then the HTML does; other alternatives (text/calendar, text/watch-html)
are not attachments. Inline text parts of a multipart/mixed are all body, in order. Parts
referenced from the HTML by `cid:` are inline images; every other leaf is an attachment,
except S/MIME and PGP signatures, the PGP/MIME control part and the machine parts of
reports (they are returned apart for bounce handling). A multipart whose boundary never
occurs is read as the text it is.
"""

from __future__ import annotations

import binascii
import re
import unicodedata
from collections.abc import Iterable, Iterator
from email.message import Message
from typing import NamedTuple
from urllib.parse import unquote

from channels_inbound.email.charsets import decode_text
from channels_inbound.email.headers import clean, param, params, raw_header
from channels_inbound.email.htmltext import html_to_text, meta_charset

MACHINE_PARTS = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
        "text/rfc822-headers",
        "message/global-headers",
    }
)
_SKIPPED = frozenset(
    {
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-signature",
        "application/pgp-encrypted",  # PGP/MIME's "Version: 1" control part
    }
)
_CID = re.compile(r"""cid:([^"'\s>)]+)""", re.I)
_FLOWED = re.compile(r"(?m)^(?!>|-- $)([^\n]*[^\n ]) \n(?=[^>\n])")


class Leaf(NamedTuple):
    name: str | None
    content_type: str
    content: bytes
    content_id: str
    is_inline: bool


class Bodies(NamedTuple):
    text: str
    html: str
    leaves: list[Leaf]
    # (content type, part) of message/rfc822 and the machine parts of reports
    reports: list[tuple[str, Message]]


def extract(message: Message, hints: Iterable[str | None]) -> Bodies:
    walk = _Walk(hints)
    walk.visit(message)
    texts, htmls = [], []
    for kind, content in walk.pieces:
        if kind == "plain":
            texts.append(content)
        else:
            htmls.append(content)
            if kind == "html":
                texts.append(html_to_text(content))
    html = "\n".join(htmls)
    cids = {unquote(cid).strip("<>").lower() for cid in _CID.findall(html)} if html else set()
    leaves = []
    for part, content_type, name, content in walk.leaves:
        content_id = (raw_header(part, "content-id") or "").strip().strip("<>").strip()
        inline = bool(content_id) and content_id.lower() in cids
        leaves.append(Leaf(name, clean(content_type), content, clean(content_id), inline))
    text = "\n\n".join(t for t in (t.strip() for t in texts) if t)
    return Bodies(clean(text), clean(html), leaves, walk.reports)


class _Walk:
    def __init__(self, hints: Iterable[str | None]) -> None:
        self.hints = hints
        self.pieces: list[tuple[str, str]] = []  # ("plain" | "html" | "html-only", content)
        self.leaves: list[tuple[Message, str, str | None, bytes]] = []
        self.reports: list[tuple[str, Message]] = []

    def visit(self, part: Message) -> None:
        content_type = part.get_content_type()
        if content_type in MACHINE_PARTS:
            self.reports.append((content_type, part))
            return
        if content_type == "message/rfc822":
            self.reports.append((content_type, part))
        if content_type.startswith("multipart/"):
            children = part.get_payload()
            if isinstance(children, list):
                self._multipart(part, content_type[10:], children)
            else:  # the boundary never occurs: the body is all there is
                self._text(part, "text/plain")
            return
        if content_type in _SKIPPED:
            return
        if content_type in ("text/plain", "text/html") and _is_body(part):
            self._text(part, content_type)
            return
        self._leaf(part, content_type)

    def _multipart(self, part: Message, subtype: str, children: list[Message]) -> None:
        if subtype == "alternative":
            self._alternative(children)
        elif subtype == "related" and children:
            start = _param(part, "content-type", "start")
            root = next((c for c in children if start and _cid(c) == start.strip("<>")), None)
            root = root or children[0]
            self.visit(root)
            for child in children:
                if child is root:
                    continue
                content_type = child.get_content_type()
                if content_type.startswith("multipart/") or content_type in MACHINE_PARTS:
                    self.visit(child)
                elif content_type not in _SKIPPED:
                    self._leaf(child, content_type)
        else:
            for child in children:
                self.visit(child)

    def _alternative(self, children: list[Message]) -> None:
        plain = rich = None
        for child in children:
            content_type = child.get_content_type()
            if content_type == "text/plain" and plain is None and _is_body(child):
                plain = child
            elif content_type.startswith("multipart/") or (
                content_type == "text/html" and _is_body(child)
            ):
                rich = child
        if plain is None and rich is None:
            for child in children:
                self.visit(child)
            return
        start = len(self.pieces)
        if rich is not None:
            self.visit(rich)
        text = _decoded_text(plain, "text/plain", self.hints) if plain is not None else ""
        if text.strip():
            rich_pieces = self.pieces[start:]
            del self.pieces[start:]
            self.pieces.append(("plain", text))
            self.pieces.extend(("html-only", c) for kind, c in rich_pieces if kind != "plain")

    def _text(self, part: Message, content_type: str) -> None:
        text = _decoded_text(part, content_type, self.hints)
        self.pieces.append(("html" if content_type == "text/html" else "plain", text))

    def _leaf(self, part: Message, content_type: str) -> None:
        hints = _Hints(_param(part, "content-type", "charset"), self.hints)
        name = param(params(raw_header(part, "content-disposition")), "filename", hints)
        if name is None:
            name = param(params(raw_header(part, "content-type")), "name", hints)
        if name is not None:
            name = clean(unicodedata.normalize("NFC", name.strip()))
        content = embedded_bytes(part) if content_type == "message/rfc822" else payload_bytes(part)
        if content or name:
            self.leaves.append((part, content_type, name, content))


def _is_body(part: Message) -> bool:
    """A text part without a file name that is not marked as an attachment."""
    disposition = raw_header(part, "content-disposition")
    if disposition:
        if disposition.split(";", 1)[0].strip().lower() == "attachment":
            return False
        if any(key.startswith("filename") for key, _ in params(disposition)):
            return False
    content_type = raw_header(part, "content-type") or ""
    return not any(key.startswith("name") for key, _ in params(content_type))


def _decoded_text(part: Message, content_type: str, hints: Iterable[str | None]) -> str:
    data = payload_bytes(part)
    charset = _param(part, "content-type", "charset")
    if not charset and content_type == "text/html":
        charset = meta_charset(data)
    text = decode_text(data, charset, hints)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if content_type == "text/plain" and "flowed" in (_param(part, "content-type", "format") or ""):
        delsp = (_param(part, "content-type", "delsp") or "").lower() == "yes"
        text = _FLOWED.sub(r"\1" if delsp else r"\1 ", text)
    return text


def payload_bytes(part: Message) -> bytes:
    """The decoded bytes of a leaf part, whatever its Content-Transfer-Encoding says."""
    # The payload as parsed: `get_payload()` would decode its 8-bit bytes by the label.
    payload = part._payload
    if isinstance(payload, list) or payload is None:
        return b""
    data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else payload
    encoding = (raw_header(part, "content-transfer-encoding") or "").strip().lower()
    if encoding == "base64":
        return _base64(data)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if encoding in ("x-uuencode", "uuencode", "uue", "x-uue"):
        return _uudecode(data)
    return data


def _uudecode(data: bytes) -> bytes:
    """uuencoded lines, with or without their "begin" and "end" lines."""
    out = []
    for line in data.splitlines():
        if line.startswith(b"begin ") or not line.strip():
            continue
        if line.strip() in (b"end", b"`"):
            break
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            length = (((line[0] - 32) & 63) * 4 + 5) // 3  # a line with trailing junk
            try:
                out.append(binascii.a2b_uu(line[:length]))
            except binascii.Error:
                return data
    return b"".join(out)


_NOT_BASE64 = bytes(
    set(range(256)) - set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
)


def _base64(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:  # padding lost or garbage inside: decode what is there
        data = data.translate(None, _NOT_BASE64)
        data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
        try:
            return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
        except binascii.Error:
            return b""


def embedded_bytes(part: Message) -> bytes:
    """An attached message as bytes (base64-encoded ones, which RFC 2046 forbids, decoded)."""
    payload = part._payload
    if not isinstance(payload, list) or not payload:
        return payload_bytes(part)
    data = _source(payload[0])
    encoding = (raw_header(part, "content-transfer-encoding") or "").strip().lower()
    if encoding == "base64":
        return _base64(data)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


def _source(message: Message) -> bytes:
    """A parsed message written back as it came (much cheaper than email.generator)."""
    out = [f"{name}: {value}\n" for name, value in message.raw_items()]
    out.append("\n")
    payload = message._payload
    head = "".join(out).encode("utf-8", "surrogateescape")
    if not isinstance(payload, list):
        body = payload if isinstance(payload, str | bytes) else ""
        return head + (body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body)
    boundary = message.get_boundary()
    if boundary is None:  # message/rfc822 inside: its one message
        return head + b"".join(_source(inner) for inner in payload)
    parts = [message.preamble + "\n" if message.preamble else ""]
    delimiter = f"--{boundary}\n"
    chunks = [head, "".join(parts).encode("utf-8", "surrogateescape")]
    for inner in payload:
        chunks += [delimiter.encode("utf-8", "surrogateescape"), _source(inner), b"\n"]
    chunks.append(f"--{boundary}--\n{message.epilogue or ''}".encode("utf-8", "surrogateescape"))
    return b"".join(chunks)


def _param(part: Message, header: str, name: str) -> str | None:
    value = raw_header(part, header)
    if not value or name not in value.lower():
        return None
    return param(params(value), name)


def _cid(part: Message) -> str:
    return (raw_header(part, "content-id") or "").strip().strip("<>")


class _Hints:
    """A part's own charset, then the message's: re-iterable, and only read when needed."""

    __slots__ = ("first", "rest")

    def __init__(self, first: str | None, rest: Iterable[str | None]) -> None:
        self.first, self.rest = first, rest

    def __iter__(self) -> Iterator[str | None]:
        yield self.first
        yield from self.rest


class MessageHints:
    """The charsets a message declares anywhere (MIME parameters, RFC 2047 words): what its
    unlabelled 8-bit bytes most likely are. Collected on first use only."""

    __slots__ = ("_found", "_header_charsets", "_message")

    def __init__(self, message: Message, header_charsets: list[str]) -> None:
        self._message, self._header_charsets = message, header_charsets
        self._found: list[str] | None = None

    def __iter__(self) -> Iterator[str | None]:
        if self._found is None:
            found = []
            for part in self._message.walk():
                charset = _param(part, "content-type", "charset")
                if charset:
                    found.append(charset)
            self._found = list(dict.fromkeys(found + self._header_charsets))
        return iter(self._found)
