"""Header values: RFC 2047 words, raw 8-bit bytes, addresses, ids, dates, MIME parameters.

Values come from a message parsed with `policy.compat32`, so they are the raw strings of the
source, with 8-bit bytes kept as surrogate escapes: every decision about them is made here,
with the message's other charsets as hints.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_to_bytes

from channels_inbound.email.charsets import decode_text

_WORD = re.compile(r"=\?([^?\s]*)\?([QqBb])\?([^?]*)\?=")
_ID = re.compile(r"<[^<>]*>")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"?', re.S)
_PARAM = re.compile(r';\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)', re.S)

_SPECIAL = re.compile(r'["(\\:;]')
_SIMPLE_MAILBOX = re.compile(
    r'\s*(?:"((?:[^"\\]|\\.)*)"|([^"<>()\\@]*?))\s*<([^<>()"]*)>\s*$|\s*([^\s"<>()\\]+)\s*$'
)

Hints = Iterable[str | None]


def raw_headers(message: Message) -> dict[str, list[str]]:
    """Every header of `message` by lower-case name, values as written (unfolded)."""
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), []).append(_unfold(value))
    return headers


def first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def raw_header(message: Message, name: str) -> str | None:
    """One Content-* header of a MIME part, as written, without building header objects."""
    mime = message.__dict__.get("_content_headers")
    if mime is None:
        mime = {}
        for key, value in message.raw_items():
            key = key.lower()
            if key.startswith("content-") and key not in mime:
                mime[key] = _unfold(value)
        message.__dict__["_content_headers"] = mime
    return mime.get(name)


def _unfold(value: str) -> str:
    if "\n" in value or "\r" in value:
        value = value.replace("\r", "").replace("\n", "")
    return value


def decode_header(value: str | None, hints: Hints = ()) -> str:
    """RFC 2047 words decoded (adjacent words joined), raw 8-bit bytes decoded by guess."""
    if not value:
        return ""
    if "=?" not in value:
        return _decode_raw(value, hints)
    out: list[str] = []
    pending = bytearray()
    pending_charset = ""
    position = 0
    after_word = False

    def flush() -> None:
        if pending:
            out.append(decode_text(bytes(pending), pending_charset, hints))
            pending.clear()

    for match in _WORD.finditer(value):
        gap = value[position : match.start()]
        if gap and not (after_word and gap.isspace()):
            flush()
            out.append(_decode_raw(gap, hints))
        position = match.end()
        charset, encoding, text = match.groups()
        data = _word_bytes(encoding, text)
        if data is None:
            flush()
            out.append(match.group(0))
            after_word = False
            continue
        charset = charset.lower()
        if charset != pending_charset:
            flush()
            pending_charset = charset
        pending += data
        after_word = True
    flush()
    out.append(_decode_raw(value[position:], hints))
    return "".join(out)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    data = text.encode("utf-8", "surrogateescape")
    try:
        if encoding in "Qq":
            return binascii.a2b_qp(data, header=True)
        data = b"".join(data.split())
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def _decode_raw(text: str, hints: Hints) -> str:
    if text.isascii():
        return text
    return decode_text(text.encode("utf-8", "surrogateescape"), None, hints)


def collapse(text: str) -> str:
    return " ".join(text.split())


def clean(text: str) -> str:
    """Text fit for a database column: no NUL characters, no lone surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def header_charsets(*values: str | None) -> list[str]:
    """Charsets named by the RFC 2047 words of some headers: hints for their raw bytes."""
    return [m.group(1) for value in values if value for m in _WORD.finditer(value)]


# Addresses ---------------------------------------------------------------------------------


def parse_addresses(value: str | None, hints: Hints = ()) -> list[tuple[str | None, str | None]]:
    """(display name, lower-case addr-spec) for each mailbox of an address header."""
    if not value:
        return []
    mailboxes = []
    for chunk in _split_mailboxes(value):
        mailbox = _mailbox(chunk, hints)
        if mailbox != (None, None):
            mailboxes.append(mailbox)
    return mailboxes


def first_mailbox(value: str | None, hints: Hints = ()) -> tuple[str | None, str | None]:
    """The first mailbox with an address (a broken `Name <>, Other <a@b>` yields a@b)."""
    mailboxes = parse_addresses(value, hints)
    for name, address in mailboxes:
        if address:
            return name, address
    return (mailboxes[0][0], None) if mailboxes else (None, None)


def address_list(values: Iterable[str] | None, hints: Hints = ()) -> list[str]:
    found = []
    for value in values or ():
        found.extend(clean(address) for _, address in parse_addresses(value, hints) if address)
    return list(dict.fromkeys(found))


def _split_mailboxes(value: str) -> list[str]:
    """Split at top-level commas; group names (`Group: a, b;`) are dropped."""
    if not _SPECIAL.search(value):
        return [chunk for chunk in value.split(",") if chunk.strip()]
    chunks, current = [], []
    depth, quoted, angle, escaped = 0, False, False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"' and not depth:
            quoted = True
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth:
            pass
        elif char == "<":
            angle = True
        elif char == ">":
            angle = False
        elif not angle and char in ",;":
            chunks.append("".join(current))
            current = []
            continue
        elif not angle and char == ":" and "@" not in "".join(current):
            current = []  # a group name
            continue
        current.append(char)
    chunks.append("".join(current))
    return [chunk for chunk in chunks if chunk.strip()]


def _mailbox(chunk: str, hints: Hints) -> tuple[str | None, str | None]:
    simple = _SIMPLE_MAILBOX.match(chunk)
    if simple:
        quoted, plain, address, bare = simple.groups()
        if bare is not None:
            return None, _normalise_address(bare, hints)
        name = _unquote_match(simple) if quoted is not None else plain
        name = collapse(decode_header(name, hints)) if name else ""
        return (name or None), _normalise_address(address, hints)
    phrase: list[str] = []
    comments: list[str] = []
    angle: str | None = None
    i, n = 0, len(chunk)
    while i < n:
        char = chunk[i]
        if char == '"':
            end = i + 1
            while end < n and chunk[end] != '"':
                end += 2 if chunk[end] == "\\" else 1
            phrase.append(chunk[i : end + 1])
            i = end + 1
        elif char == "(":
            depth, end = 1, i + 1
            while end < n and depth:
                depth += {"(": 1, ")": -1}.get(chunk[end], 0)
                end += 2 if chunk[end] == "\\" else 1
            comments.append(chunk[i + 1 : end - 1] if depth == 0 else chunk[i + 1 :])
            i = end
        elif char == "<" and angle is None:
            end = chunk.find(">", i)
            end = n if end < 0 else end
            angle = chunk[i + 1 : end]
            i = end + 1
        else:
            phrase.append(char)
            i += 1
    text = "".join(phrase).strip()
    comment = " ".join(c.strip() for c in comments if c.strip())
    if angle is not None:
        address, name = angle, _QUOTED.sub(_unquote_match, text)
    elif "@" not in text and len(text.split()) > 1:
        address, name = "", _QUOTED.sub(_unquote_match, text)  # a name without an address
    else:
        address, name = text, ""
    if "@" not in address and "@" in comment and not name:
        address, comment = comment, address
    name = collapse(decode_header(name or comment, hints))
    return (name or None), _normalise_address(address, hints)


def _unquote_match(match: re.Match[str]) -> str:
    return match.group(1).replace("\\\\", "\x00").replace("\\", "").replace("\x00", "\\")


def _normalise_address(address: str, hints: Hints) -> str | None:
    address = _decode_raw(address.strip(), hints).strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    if address.startswith("@") and ":" in address:
        address = address.rsplit(":", 1)[1]  # an obsolete source route
    if not address:
        return None
    local, at, domain = address.rpartition("@")
    if not at:
        return "".join(address.split()).lower()
    local = local.strip()
    if not (len(local) > 1 and local[0] == local[-1] == '"') and len(local.split()) > 1:
        local = f'"{collapse(local)}"'
    elif local[:1] != '"':
        local = "".join(local.split())
    return f"{local}@{''.join(domain.split())}".lower()


# Ids and dates -----------------------------------------------------------------------------


def message_id(value: str | None) -> str | None:
    """A Message-ID / In-Reply-To as written (brackets kept), or None when empty."""
    if value is None:
        return None
    return value.strip() or None


def references(value: str | None) -> list[str]:
    return _ID.findall(value) if value else []


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        date = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return date if date.tzinfo else date.replace(tzinfo=UTC)


# MIME parameters ---------------------------------------------------------------------------


def params(value: str | None) -> list[tuple[str, str]]:
    """(lower-case name, value as written) for each `; name=value` of a MIME header."""
    if not value or ";" not in value:
        return []
    return [(name.lower(), raw.strip()) for name, raw in _PARAM.findall(value)]


def param(items: list[tuple[str, str]], name: str, hints: Hints = ()) -> str | None:
    """A parameter's decoded value: RFC 2231 (continuations, charset), RFC 2047, raw 8-bit."""
    segments: dict[int, tuple[bool, str]] = {}
    simple = None
    prefix = name + "*"
    for key, raw in items:
        if key == name:
            simple = raw if simple is None else simple
        elif key.startswith(prefix):
            rest = key[len(prefix) :]
            index = rest.rstrip("*") or "0"
            if index.isdigit():
                segments.setdefault(int(index), (rest.endswith("*") or not rest, raw))
    if segments:
        return _rfc2231(segments, hints)
    if simple is None:
        return None
    return decode_header(unquote(simple), hints)


def _rfc2231(segments: dict[int, tuple[bool, str]], hints: Hints) -> str:
    charset = None
    data = bytearray()
    for position, index in enumerate(sorted(segments)):
        extended, raw = segments[index]
        value = unquote(raw).encode("utf-8", "surrogateescape")
        if extended:
            if position == 0 and value.count(b"'") >= 2:
                label, _, value = value.split(b"'", 2)
                charset = label.decode("ascii", "replace")
            data += unquote_to_bytes(value)
        else:
            data += value
    return decode_text(bytes(data), charset, hints)


def unquote(value: str) -> str:
    if len(value) >= 1 and value[0] == '"':
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        if "\\" in value:
            value = value.replace("\\\\", "\x00").replace('\\"', '"').replace("\x00", "\\")
    return value
