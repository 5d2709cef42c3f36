"""Customer HTML is hostile until cleaned: nh3 (ammonia) keeps formatting, drops the rest."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "*": {"dir", "lang"},
}
# cid: lets inline images of an email be shown from their stored attachment.
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def sanitize_html(raw: str) -> str:
    if not raw:
        return ""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


class _TextExtractor(HTMLParser):
    BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
             "table", "pre", "hr"}  # fmt: skip
    SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n• ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(raw: str) -> str:
    """Readable plain text from HTML, for search, previews and plain-text replies."""
    if not raw:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(raw)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is a last resort for pathological input
        return html_lib.unescape(re.sub(r"<[^>]+>", " ", raw))
    text = "".join(parser.parts).replace("\xa0", " ")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def text_to_html(text: str) -> str:
    """Escape plain text into paragraphs, for the HTML part of replies."""
    paragraphs = re.split(r"\n{2,}", text.strip())
    return "".join(
        "<p>" + html_lib.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


# Embeddings, overrides and isolates: invisible, they reorder what follows, so that
# "invoice\u202efdp.exe" reads "invoiceexe.pdf" and an address can be made to read as another.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def show_bidi(text: str) -> str:
    """A name, subject or file name to show: each direction control as a visible marker
    ("[U+202E]"), so nothing is reordered and the agent or customer sees that one was there.
    The stored value stays as it came."""
    if not text or not BIDI_CONTROLS.search(text):
        return text
    return BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m[0]):04X}]", text)


def strip_bidi(text: str) -> str:
    """A file name to save (a download, an attachment we send): without direction controls,
    so the name a file is saved under shows its real extension."""
    return BIDI_CONTROLS.sub("", text) if text else text
