from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile, File

from helpdesk.errors import PayloadTooLarge
from tickets.models import Attachment, Message


@dataclass(frozen=True)
class NewAttachment:
    name: str
    content_type: str
    content: bytes | File
    content_id: str = ""
    is_inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content) if isinstance(self.content, bytes) else self.content.size


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{size} bytes"


def check_sizes(attachments: Iterable[NewAttachment]) -> None:
    """Refuse before anything is written, with the limit in the message."""
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    for attachment in attachments:
        if attachment.size > limit:
            raise PayloadTooLarge(
                f'"{attachment.name}" is {human_size(attachment.size)}; attachments may be '
                f"at most {human_size(limit)}. Share a link to the file instead.",
                extra={"name": attachment.name, "size": attachment.size, "limit": limit},
            )


def _sha256(content: bytes | File) -> str:
    digest = hashlib.sha256()
    if isinstance(content, bytes):
        digest.update(content)
    else:
        content.seek(0)
        for chunk in content.chunks():
            digest.update(chunk)
        content.seek(0)
    return digest.hexdigest()


def store(*, message: Message, attachments: Iterable[NewAttachment]) -> list[Attachment]:
    """Store files through Django's storage API (local disk or S3) and their rows.

    Files are content-addressed, so a rolled-back transaction leaves at worst an unreferenced
    file, never a row pointing at nothing.
    """
    stored = []
    for new in attachments:
        attachment = Attachment(
            message=message,
            name=(new.name or "attachment")[:255],
            content_type=(new.content_type or "application/octet-stream")[:150],
            size=new.size,
            sha256=_sha256(new.content),
            content_id=new.content_id[:255],
            is_inline=new.is_inline,
        )
        content = ContentFile(new.content) if isinstance(new.content, bytes) else new.content
        attachment.file.save(attachment.name, content, save=False)
        attachment.save()
        stored.append(attachment)
    return stored
