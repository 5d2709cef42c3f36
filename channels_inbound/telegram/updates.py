"""Reading a Bot API Update: who wrote, in which chat, what it says and which files it carries.

Pure functions over the JSON; nothing here touches the database or the network. Entity
offsets are in UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

# Marks in a stored message's text: an edit, and files that are not on it.
EDITED_MARK = "[edited]"
NOT_FETCHED = "could not be fetched"
TOO_LARGE = "is too large to fetch"


def is_file_note(line: str) -> bool:
    return (
        line.startswith("[") and line.endswith("]") and (NOT_FETCHED in line or TOO_LARGE in line)
    )


@dataclass(frozen=True)
class FileRef:
    kind: str
    file_id: str
    name: str
    content_type: str
    size: int | None


@dataclass(frozen=True)
class Sender:
    id: str
    name: str
    username: str
    language: str

    @property
    def display(self) -> str:
        return f"@{self.username}" if self.username else self.name


def utf16_slice(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def sender_of(user: dict[str, Any] | None) -> Sender | None:
    if not isinstance(user, dict) or user.get("id") is None:
        return None
    name = " ".join(filter(None, [user.get("first_name"), user.get("last_name")])).strip()
    return Sender(
        id=str(user["id"]),
        name=name or str(user.get("username") or user["id"]),
        username=str(user.get("username") or ""),
        language=str(user.get("language_code") or "")[:2],
    )


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def entities_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    entities = message.get("entities") or message.get("caption_entities") or []
    return [e for e in entities if isinstance(e, dict)]


def command_of(message: dict[str, Any], bot_username: str) -> tuple[str, str] | None:
    """("/start", "payload") for a command the customer typed to the bot; not for a forward
    or a reply that happens to begin with one. Official samples send no bot_command entity,
    so the text decides."""
    if message.get("forward_origin") or message.get("forward_from") or message.get("forward_date"):
        return None
    if message.get("reply_to_message"):
        return None
    text = str(message.get("text") or "").strip()
    if not text.startswith("/"):
        return None
    word, _, payload = text.partition(" ")
    command, _, addressed_to = word.partition("@")
    if addressed_to and bot_username and addressed_to.lower() != bot_username.lower():
        return None
    return command.lower(), payload.strip()


def mentions(message: dict[str, Any], bot_username: str) -> bool:
    """Whether a group message is addressed to the bot: it mentions it or answers it."""
    reply = message.get("reply_to_message") or {}
    if (reply.get("from") or {}).get("is_bot") and (
        not bot_username
        or str((reply.get("from") or {}).get("username", "")).lower() == bot_username.lower()
    ):
        return True
    text = text_of(message)
    for entity in entities_of(message):
        if entity.get("type") != "mention":
            continue
        word = utf16_slice(text, int(entity.get("offset", 0)), int(entity.get("length", 0)))
        if bot_username and word.lstrip("@").lower() == bot_username.lower():
            return True
    return False


def forwarded_from(message: dict[str, Any]) -> str:
    """Where a forwarded message came from, as a person would name it; "" if not forwarded."""
    origin = message.get("forward_origin")
    if isinstance(origin, dict):
        kind = origin.get("type")
        if kind == "user":
            sender = sender_of(origin.get("sender_user"))
            return sender.name if sender else "?"
        if kind == "hidden_user":
            return str(origin.get("sender_user_name") or "?")
        chat = origin.get("chat") or origin.get("sender_chat") or {}
        return str(chat.get("title") or chat.get("username") or "?")
    if message.get("forward_from"):
        sender = sender_of(message["forward_from"])
        return sender.name if sender else "?"
    if message.get("forward_sender_name"):
        return str(message["forward_sender_name"])
    if message.get("forward_from_chat"):
        chat = message["forward_from_chat"]
        return str(chat.get("title") or chat.get("username") or "?")
    return ""


def body_lines(message: dict[str, Any]) -> list[str]:
    """The message as the agent reads it, without its files: where a forward came from, what
    it answers, the text or caption, a contact or a location."""
    lines = []
    origin = forwarded_from(message)
    if origin:
        lines.append(f"[Forwarded from {origin}]")
    reply = message.get("reply_to_message")
    if isinstance(reply, dict) and text_of(reply):
        quoted = " ".join(text_of(reply).split())
        lines.append(f"[In reply to: {quoted[:97] + '…' if len(quoted) > 100 else quoted}]")
    text = text_of(message)
    if text:
        lines.append(text)
    return lines + described(message)


def described(message: dict[str, Any]) -> list[str]:
    """Lines for what is not text nor a file: a shared contact, a location, a venue."""
    lines = []
    contact = message.get("contact")
    if isinstance(contact, dict):
        name = " ".join(filter(None, [contact.get("first_name"), contact.get("last_name")]))
        phone = str(contact.get("phone_number") or "")
        if phone and not phone.startswith("+"):
            phone = "+" + phone
        lines.append(f"Contact: {name} {phone}".strip())
    venue = message.get("venue")
    location = message.get("location") or (venue or {}).get("location")
    if isinstance(venue, dict):
        lines.append(f"Venue: {venue.get('title', '')}, {venue.get('address', '')}".strip(", "))
    if isinstance(location, dict) and "latitude" in location and "longitude" in location:
        lat, lon = location["latitude"], location["longitude"]
        lines.append(f"Location: {lat}, {lon}")
        lines.append(f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}")
    return lines


def files_of(message: dict[str, Any]) -> list[FileRef]:
    """The files a message carries: the largest size of a photo, the others as they are."""
    number = message.get("message_id", "")
    files = []
    photos = [p for p in message.get("photo") or [] if isinstance(p, dict) and p.get("file_id")]
    if photos:
        largest = max(
            enumerate(photos),
            key=lambda item: (item[1].get("width", 0) * item[1].get("height", 0), item[0]),
        )[1]
        files.append(FileRef("photo", largest["file_id"], f"photo_{number}.jpg", "image/jpeg",
                             largest.get("file_size")))  # fmt: skip
    defaults = {
        "document": ("bin", "application/octet-stream"),
        "voice": ("ogg", "audio/ogg"),
        "audio": ("mp3", "audio/mpeg"),
        "video": ("mp4", "video/mp4"),
        "video_note": ("mp4", "video/mp4"),
        "animation": ("mp4", "video/mp4"),
        "sticker": ("webp", "image/webp"),
    }
    for kind, (extension, default_type) in defaults.items():
        item = message.get(kind)
        if not isinstance(item, dict) or not item.get("file_id"):
            continue
        if kind == "sticker" and item.get("is_animated"):
            extension = "tgs"
        elif kind == "sticker" and item.get("is_video"):
            extension = "webm"
        name = str(item.get("file_name") or f"{kind}_{number}.{extension}")
        content_type = str(item.get("mime_type") or default_type)
        files.append(FileRef(kind, item["file_id"], name, content_type, item.get("file_size")))
    return files


# Entities that change how text looks, as HTML; the rest (hashtags, mentions) stay plain.
TAGS = {"bold": "strong", "italic": "em", "underline": "u", "strikethrough": "s",
        "code": "code", "pre": "pre", "blockquote": "blockquote", "spoiler": "span"}  # fmt: skip


def entities_html(text: str, entities: list[dict[str, Any]]) -> str:
    """The text as HTML with its formatting entities (offsets in UTF-16 units), escaped, or ""
    when it has none worth HTML. The result still goes through the sanitizer."""
    units = text.encode("utf-16-le")
    marks: dict[int, list[tuple[int, str]]] = {}
    formatted = False
    for entity in entities:
        kind = entity.get("type")
        start, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
        if length <= 0 or start < 0 or (start + length) * 2 > len(units):
            continue
        if kind in TAGS:
            opening, closing = f"<{TAGS[kind]}>", f"</{TAGS[kind]}>"
        elif kind in ("url", "text_link"):
            url = entity.get("url") or utf16_slice(text, start, length)
            if not str(url).startswith(("http://", "https://")):
                continue
            opening, closing = f'<a href="{html.escape(str(url))}">', "</a>"
        else:
            continue
        formatted = True
        marks.setdefault(start, []).append((0, opening))
        marks.setdefault(start + length, []).insert(0, (1, closing))
    if not formatted:
        return ""
    out, position = [], 0
    for at in sorted(marks):
        out.append(html.escape(units[position * 2 : at * 2].decode("utf-16-le", "replace")))
        out += [tag for order, tag in sorted(marks[at], key=lambda m: -m[0])]
        position = at
    out.append(html.escape(units[position * 2 :].decode("utf-16-le", "replace")))
    return "".join(out).replace("\n", "<br>")
