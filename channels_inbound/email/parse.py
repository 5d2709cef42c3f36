"""Raw RFC 5322 bytes in, one `ParsedEmail` out: never an exception for mail, however broken.

The MIME structure is read by the standard library's parser with `policy.compat32`: it keeps
every header as written (8-bit bytes as surrogate escapes) and costs a seventh of
`policy.default`, whose header objects also decode the corpus's hard cases wrongly (comment
names, adjacent RFC 2047 words, raw 8-bit names, unknown charsets). Header values, charsets
and file names are decoded by this package (headers.py, charsets.py), bodies and attachments
chosen by bodies.py, machine mail recognised by noise.py, quotes folded by quoting.py.

Only input that is not an email at all (no header lines) raises `ParseError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser
from email.policy import compat32
from mimetypes import guess_extension
from pathlib import PurePosixPath

from channels_inbound.adapters.base import ParseError
from channels_inbound.email.bodies import MessageHints, extract
from channels_inbound.email.headers import (
    address_list,
    clean,
    collapse,
    decode_header,
    first,
    first_mailbox,
    header_charsets,
    message_id,
    parse_date,
    raw_headers,
    references,
)
from channels_inbound.email.noise import detect
from channels_inbound.email.quoting import split_quoted


@dataclass(frozen=True)
class ParsedAttachment:
    name: str | None  # decoded, NFC; for display. Store under `safe_name`.
    content_type: str
    content: bytes = field(repr=False)
    content_id: str = ""
    is_inline: bool = False  # an image the HTML shows in place (`cid:` reference)

    @property
    def safe_name(self) -> str:
        return safe_filename(self.name, self.content_type)


@dataclass(frozen=True)
class ParsedEmail:
    from_address: str | None
    from_name: str | None
    subject: str | None
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    to: list[str]
    cc: list[str]
    date: datetime | None
    text: str  # the whole readable text, quotes and signature included
    html: str  # the HTML body as sent: sanitize before showing it
    attachments: list[ParsedAttachment]
    is_auto_generated: bool
    auto_reason: str
    # Message-IDs of our messages that this bounce reports undeliverable (final failures only:
    # a delay warning, a read receipt or a complaint leaves it empty), and the server's words.
    bounce_of: list[str]
    failure_reason: str
    visible_text: str  # `text` without the quoted conversation and the signature
    quoted_text: str  # what `visible_text` leaves out

    @property
    def thread_ids(self) -> list[str]:
        """The `<...>` ids this message continues: References, then In-Reply-To."""
        return list(dict.fromkeys([*self.references, *references(self.in_reply_to)]))

    @property
    def user_attachments(self) -> list[ParsedAttachment]:
        return [a for a in self.attachments if not a.is_inline]

    @property
    def inline_images(self) -> list[ParsedAttachment]:
        return [a for a in self.attachments if a.is_inline]


_PARSER = BytesParser(policy=compat32)


def parse_email(raw: bytes, *, own_addresses: Collection[str] = ()) -> ParsedEmail:
    """Parse one message as fetched (IMAP `BODY[]`). `own_addresses` (lower case) mark mail
    from the helpdesk's own mailboxes as auto-generated, so it is never acknowledged."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"An email must be bytes, not {type(raw).__name__}.")
    raw = _repair(bytes(raw))
    try:
        return _parse(raw, own_addresses)
    except Exception as error:  # a safety net (a pathological nesting depth, a bug): the
        # message stays raw with this error, and the queue goes on.
        name = type(error).__name__
        raise ParseError(f"The message could not be parsed ({name}: {error})") from error


def _parse(raw: bytes, own_addresses: Collection[str]) -> ParsedEmail:
    message = _PARSER.parsebytes(raw)
    headers = raw_headers(message)
    subject_raw, from_raw = first(headers, "subject"), first(headers, "from")
    hints = MessageHints(message, header_charsets(subject_raw, from_raw))
    bodies = extract(message, hints)
    from_name, from_address = first_mailbox(from_raw, hints)
    subject = None if subject_raw is None else clean(collapse(decode_header(subject_raw, hints)))
    noise = detect(
        headers, message, from_address, subject, bodies.reports, bodies.text, own_addresses
    )
    visible, quoted = split_quoted(bodies.text, subject)
    return ParsedEmail(
        from_address=clean(from_address) if from_address else None,
        from_name=clean(from_name) if from_name else None,
        subject=subject,
        message_id=_clean_id(first(headers, "message-id")),
        in_reply_to=_clean_id(first(headers, "in-reply-to")),
        references=[clean(i) for i in references(" ".join(headers.get("references", ())))],
        to=address_list(headers.get("to"), hints),
        cc=address_list(headers.get("cc"), hints),
        date=parse_date(first(headers, "date")),
        text=bodies.text,
        html=bodies.html,
        attachments=[ParsedAttachment(*leaf) for leaf in bodies.leaves],
        is_auto_generated=noise.is_auto_generated,
        auto_reason=clean(noise.auto_reason),
        bounce_of=[clean(i) for i in noise.bounce_of],
        failure_reason=clean(noise.failure_reason),
        visible_text=visible,
        quoted_text=quoted,
    )


def _clean_id(value: str | None) -> str | None:
    value = message_id(value)
    return clean(value) if value else None


# Headers before the parser sees them ---------------------------------------------------------

_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")
_BAD_LINE = re.compile(rb"\n(?![ \t]|[\x21-\x39\x3b-\x7e]+[ \t]*:)")
_KNOWN = re.compile(
    rb"(?im)^(from|to|cc|subject|date|message-id|received|return-path|mime-version"
    rb"|content-type|delivered-to|reply-to|sender|x-[\w-]+)[ \t]*:"
)
_MAX_JUNK_LINES = 5


def _repair(raw: bytes) -> bytes:
    """Drop junk before the headers (a line of spaces, an mbox "From " line, a pasted
    "---- Original email message ----") and turn unindented lines inside the header block
    into continuations: the parser would otherwise take them for the start of the body."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith(b"From "):  # an mbox separator line
        raw = raw[raw.find(b"\n") + 1 :] if b"\n" in raw else b""
    if not raw or raw.isspace():
        raise ParseError("The message is empty.")
    if raw[:1] in (b"\r", b"\n"):
        raw = raw.lstrip(b"\r\n")
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
    end = min(ends) if ends else len(raw)  # the header block ends before its blank line
    head = raw[:end]
    if not (_KNOWN.match(head) or _KNOWN.search(head)):
        raise ParseError("This is not an email: it has no header lines.")
    if _HEADER_LINE.match(head) and not _BAD_LINE.search(head):
        return raw
    lines = head.split(b"\n")
    start = next((i for i, line in enumerate(lines) if _HEADER_LINE.match(line)), len(lines))
    if start > _MAX_JUNK_LINES:
        raise ParseError("This is not an email: no header lines at its start.")
    last = max(i for i, line in enumerate(lines) if _HEADER_LINE.match(line))
    fixed = []
    for i in range(start, len(lines)):
        line = lines[i]
        if i <= last and line[:1] not in (b" ", b"\t") and not _HEADER_LINE.match(line):
            line = b" " + line
        elif i > last and line[:1] not in (b" ", b"\t"):
            return b"\n".join(fixed) + b"\n\n" + b"\n".join(lines[i:]) + raw[end:]
        fixed.append(line)
    return b"\n".join(fixed) + raw[end:]


# File names for storage ----------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]+')
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}
)
MAX_NAME = 150


def safe_filename(name: str | None, content_type: str = "") -> str:
    """A storage name for an attachment: no directories (`../`, `C:\\`, `php://`), no
    control or shell-special characters, no leading dots, at most 150 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    name = PurePosixPath(name.rstrip("/")).name if "/" in name else name
    name = _UNSAFE.sub("_", name).strip(" ._")
    if not name:
        extension = guess_extension(content_type or "") or ""
        name = "message.eml" if content_type == "message/rfc822" else f"attachment{extension}"
    if name.split(".", 1)[0].lower() in _RESERVED:
        name = f"_{name}"
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        extension = "." + extension[:20] if dot and stem else ""
        name = name[: MAX_NAME - len(extension)].rstrip(" .") + extension
    return name
