"""Images in a customer's HTML, as the ticket page shows them.

An image on the sender's server (a "tracking pixel") tells the sender when, and from which
address, the message was read. So, as mail clients do, remote images are not shown until the
agent asks for them on that message ("Show images"); inline images (`cid:`) are the
message's own attachments and are shown at once, from our storage. The HTML was sanitized by
nh3 when it was stored (tickets/sanitize.py: `src` is the only attribute that loads anything,
no `style`), so rewriting `<img>` tags is all it takes.

"Show images" reloads the page for that one message (`?images=<message id>`) and the page's
Content-Security-Policy then allows exactly the origins of that message's images
(helpdesk/csp.py), on that response only: no other message's images, and no later page.
We chose this over fetching the images through our server: a proxy would hide the agent's
address but make our server fetch any address a stranger writes into an email (a request
forgery risk inside our network) and carry the images' traffic; the agent's click is the
consent, as in a mail client.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

# nh3 writes every attribute as name="value", with " escaped inside: a quote-aware match
# reads a whole tag even when a value holds ">".
_IMG = re.compile(r"<img\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.IGNORECASE)
_ATTR = re.compile(r"""\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)\"""")
_HOST = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])$")


def _attributes(tag: str) -> dict[str, str]:
    return {name.lower(): html_lib.unescape(value) for name, value in _ATTR.findall(tag)}


def _remote_origin(src: str) -> str | None:
    """`scheme://host[:port]` of a remote image, or None if it is not one we can allow."""
    if src.startswith("//"):
        src = "https:" + src
    try:
        parts = urlsplit(src)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _placeholder(attrs: dict[str, str], *, remote: bool) -> str:
    label = attrs.get("alt") or (_("remote image") if remote else _("image"))
    return format_html('<span class="image-placeholder">[{}]</span>', label)


def _inline_url(src: str, inline: dict[str, str]) -> str | None:
    return inline.get(unquote(src[4:]).strip().strip("<>").lower())


def render_images(html: str, *, inline: dict[str, str], show_remote: bool) -> tuple[str, bool]:
    """The HTML with inline images pointing at their stored attachments and remote ones
    left out (or kept, when `show_remote`); and whether it has remote images at all."""
    found_remote = False

    def rewrite(match: re.Match) -> str:
        nonlocal found_remote
        tag = match.group(0)
        attrs = _attributes(tag)
        src = attrs.get("src", "").strip()
        if src.lower().startswith("cid:"):
            url = _inline_url(src, inline)
            if url is None:
                return _placeholder(attrs, remote=False)
            return format_html(
                '<img src="{}" alt="{}"{}>',
                url,
                attrs.get("alt", ""),
                _size(attrs),
            )
        if _remote_origin(src) is not None:
            found_remote = True
            return tag if show_remote else _placeholder(attrs, remote=True)
        return _placeholder(attrs, remote=False)

    return _IMG.sub(rewrite, html), found_remote


def _size(attrs: dict[str, str]) -> str:
    return "".join(
        format_html(' {}="{}"', name, attrs[name])
        for name in ("width", "height", "title")
        if name in attrs
    )


def remote_image_origins(html: str) -> set[str]:
    """The origins the remote images of this HTML are loaded from (for the CSP)."""
    origins = set()
    for tag in _IMG.findall(html or ""):
        origin = _remote_origin(_attributes(tag).get("src", "").strip())
        if origin:
            origins.add(origin)
    return origins


def inline_urls(attachments: Iterable) -> dict[str, str]:
    """content id (lowercased, without <>) -> the URL of the stored attachment."""
    return {
        a.content_id.strip().strip("<>").lower(): reverse("api:attachment-download", args=[a.pk])
        for a in attachments
        if a.content_id
    }
