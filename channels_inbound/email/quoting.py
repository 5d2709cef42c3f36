"""The new part of a reply, apart from the quoted conversation and the signature below it.

`split_quoted(text)` returns `(visible, quoted)` with `visible + quoted` covering the whole
text: the view shows `visible` and folds `quoted` away; the record keeps both. The fold starts
at the first of: an attribution line ("On ... wrote:", "Am ... schrieb ...:", "... написал(а):",
Gmail's Russian "... 2020 г. в 15:04, Имя <a@b>:"), Outlook's "-----Original Message-----" or
"From: ... Sent: ..." block, a signature separator "-- ", a "Sent from my iPhone" line, or the
block of ">"-quoted lines that ends the message. Quotes between new paragraphs (an inline
answer) stay visible: without them the answers lose their questions. Nothing is folded when
the fold would leave nothing to show (a bare forward).
"""

from __future__ import annotations

import re

_WROTE = re.compile(
    r"^(?:on\b.{1,250}\bwrote|am\b.{1,250}\bschrieb.{0,100}|le\b.{1,250}\ba écrit\s?"
    r"|el\b.{1,250}\bescribió|il\b.{1,250}\bha scritto|op\b.{1,250}\bschreef.{0,60}"
    r"|.{1,250}\b(?:wrote|schrieb|написал|написала|написал\(а\)|пишет|писал\(а\)|писал))\s*:$",
    re.I,
)
_DATED = re.compile(
    r"^(?:.{0,120}\d{4}\s*г\.\s*в\s*\d{1,2}:\d{2}.{0,200}"  # Gmail in Russian
    r"|.{0,80}\d{1,2}:\d{2}.{0,60}\bот\b.{1,200}"  # Mail.ru: "..., 15:04 +03:00 от Имя <a@b>:"
    r"|.{0,80}\d{1,2}:\d{2}.{0,200}[<@].{0,200})"  # any "<date> <time> ... <a@b>:"
    r":$",
    re.I,
)
_SEPARATOR = re.compile(
    r"^(?:-{2,}\s*(?:original message|ursprüngliche nachricht|original ?nachricht"
    r"|исходное сообщение|message d'origine|mensaje original|messaggio originale"
    r"|oorspronkelijk bericht|wiadomość oryginalna)\s*-{2,}|_{20,}|--)$",
    re.I,
)
_MOBILE = re.compile(
    r"^(?:sent from my \w+|sent from (?:mail|outlook) for \w+|get outlook for \w+"
    r"|von meinem \w+ gesendet|envoyé de mon \w+|отправлено с (?:моего )?\w+)",
    re.I,
)
_HEADER_FROM = re.compile(r"^\*?(?:from|von|от|de|da|van|od|från)\s*:\*?\s*\S", re.I)
_HEADER_SENT = re.compile(
    r"^\*?(?:sent|date|gesendet|datum|отправлено|дата|envoyé|enviado|inviato|verzonden"
    r"|wysłano|skickat)\s*:",
    re.I,
)
_FORWARD = re.compile(r"^-{2,}.*(?:forward|weitergeleitet|пересыла|transféré|reenviado)", re.I)
_BANNER = re.compile(r"^[-=_*~#]{2,}.*[-=_*~#]{2,}$|^[-=_*~#]+$")
# A forward's "quoted" part is what it is about: nothing is folded.
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|w\.|tr|rv|vs|doorst|пересл|fw)\s*:", re.I)


def split_quoted(text: str, subject: str | None = None) -> tuple[str, str]:
    if not text or len(text) < 4 or (subject and _FORWARD_SUBJECT.match(subject)):
        return text, ""
    lines = text.split("\n")
    cut = _marker(lines)
    if cut is None:
        cut = _trailing_quote(lines)
    if cut is None:
        return text, ""
    visible = "\n".join(lines[:cut]).rstrip()
    if not visible.strip():
        return text, ""
    return visible, "\n".join(lines[cut:]).strip("\n")


def _marker(lines: list[str]) -> int | None:
    seen_content = False
    previous = ""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped[0] == ">":
            continue
        if seen_content and _starts_quote(lines, i, stripped, previous):
            return i
        if not _BANNER.match(stripped):
            seen_content = True
        previous = stripped
    return None


def _starts_quote(lines: list[str], i: int, stripped: str, previous: str) -> bool:
    if _SEPARATOR.match(stripped):
        return True
    if _MOBILE.match(stripped):
        return _rest_is_short_or_quoted(lines, i)
    if stripped.endswith(":"):
        if _WROTE.match(stripped):
            return True
        if _DATED.match(stripped) and _next_is_quote(lines, i):
            return True
    elif i + 1 < len(lines) and len(stripped) < 200 and lines[i + 1].rstrip().endswith(":"):
        joined = f"{stripped} {lines[i + 1].strip()}"  # "On ..., John <\njohn@x> wrote:"
        if _WROTE.match(joined):
            return True
    if ":" not in stripped[:16] or _FORWARD.match(previous):
        return False
    # Outlook's "From: ... Sent: ...", web.de's "Gesendet: ... Von: ..."
    for this, other in ((_HEADER_FROM, _HEADER_SENT), (_HEADER_SENT, _HEADER_FROM)):
        if this.match(stripped):
            following = (lines[j].strip() for j in range(i + 1, min(i + 5, len(lines))))
            return any(other.match(line) for line in following)
    return False


def _next_is_quote(lines: list[str], i: int) -> bool:
    for line in lines[i + 1 :]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _rest_is_short_or_quoted(lines: list[str], i: int) -> bool:
    rest = [line for line in lines[i + 1 :] if line.strip()]
    return len(rest) <= 3 or rest[0].lstrip()[:1] == ">" or bool(_WROTE.match(rest[0].strip()))


def _trailing_quote(lines: list[str]) -> int | None:
    """Where the block of quoted (and blank) lines that ends the message starts."""
    end = len(lines)
    start = None
    for i in range(end - 1, -1, -1):
        stripped = lines[i].strip()
        if not stripped:
            continue
        if stripped[0] != ">":
            break
        start = i
    else:
        return None  # nothing but quotes
    if start is None:
        return None
    # An unrecognised attribution ("<date>, <name>:") right above the quote goes with it.
    above = next((j for j in range(start - 1, -1, -1) if lines[j].strip()), None)
    if (
        above is not None
        and lines[above].strip().endswith(":")
        and any(lines[j].strip() for j in range(above))
    ):
        return above
    return start
