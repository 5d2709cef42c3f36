from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _

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
    units = (
        (_("%(size)s GB"), 1024**3),
        (_("%(size)s MB"), 1024**2),
        (_("%(size)s KB"), 1024),
    )
    for unit, scale in units:
        if size >= scale:
            return unit % {"size": f"{size / scale:.1f}".rstrip("0").rstrip(".")}
    return _("%(size)s bytes") % {"size": size}


def check_sizes(attachments: Iterable[NewAttachment]) -> None:
    """Refuse before anything is written, with the limit in the message."""
    limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES
    for attachment in attachments:
        if attachment.size > limit:
            raise PayloadTooLarge(
                _(
                    '"%(name)s" is %(size)s; attachments may be at most %(limit)s. '
                    "Share a link to the file instead."
                )
                % {
                    "name": attachment.name,
                    "size": human_size(attachment.size),
                    "limit": human_size(limit),
                },
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
    stored = stored_files(message=message, attachments=attachments)
    for attachment in stored:
        attachment.save()
    return stored


def stored_files(*, message: Message, attachments: Iterable[NewAttachment]) -> list[Attachment]:
    """Write the files, and return their rows for the caller to save (`store`, or a batch in
    one statement)."""
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
        path = attachment.file.field.generate_filename(attachment, attachment.name)
        storage = attachment.file.storage
        if storage.exists(path) and storage.size(path) == attachment.size:
            # The path holds the content's hash: the same bytes are stored there already.
            attachment.file.name = path
        else:
            content = ContentFile(new.content) if isinstance(new.content, bytes) else new.content
            attachment.file.save(attachment.name, content, save=False)
        stored.append(attachment)
    return stored
