"""Fetching the media of a customer's Viber message (picture, video, file) from the URL Viber
gives, while it still works (Viber's media links expire). A file over the size limit is not
fetched, and a link that no longer works is not retried: the message keeps a clear note
instead, with the name, size and link, so the agent knows what the customer sent."""

from __future__ import annotations

import mimetypes
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from tickets.types import InboundAttachment

TIMEOUT_SECONDS = 20
CHUNK = 1024 * 1024
DEFAULT_NAMES = {"picture": "picture", "video": "video", "file": "file"}
LABELS = {"picture": "Picture", "video": "Video", "file": "File"}


@dataclass(frozen=True)
class Fetched:
    attachment: InboundAttachment | None = None
    note: str = ""


def _name(kind: str, file_name: str, content_type: str) -> str:
    if file_name:
        return file_name
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    return DEFAULT_NAMES[kind] + extension


def fetch(*, kind: str, url: str, file_name: str = "", size: int | None = None) -> Fetched:
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    label = LABELS[kind] + (f" {file_name}" if file_name else "")
    limit_text = f"{limit // 1048576} MB" if limit >= 1048576 else f"{limit} bytes"

    def too_large(bytes_: int | str) -> Fetched:
        return Fetched(note=f"[{label} ({bytes_} bytes) is larger than the {limit_text} limit "
                            f"and was not stored: {url}]")  # fmt: skip

    if size and size > limit:
        return too_large(size)
    if not url.startswith(("http://", "https://")):
        return Fetched(note=f"[{label} came without a link to fetch it from.]")
    try:
        # An opener of its own: it honours the proxy of the environment as it is now.
        opener = urllib.request.build_opener()
        with opener.open(url, timeout=TIMEOUT_SECONDS) as response:
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                return too_large(declared)
            content, read = [], 0
            while chunk := response.read(CHUNK):
                read += len(chunk)
                if read > limit:
                    return too_large(f"more than {limit}")
                content.append(chunk)
            content_type = response.headers.get_content_type() or "application/octet-stream"
    except urllib.error.HTTPError as error:
        why = f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        why = str(error) or type(error).__name__
    else:
        name = _name(kind, file_name, content_type)
        return Fetched(attachment=InboundAttachment(name, content_type, b"".join(content)))
    return Fetched(note=f"[{label} could not be fetched from Viber (the link may have "
                        f"expired): {why}. {url}]")  # fmt: skip
