"""Files of our replies as Viber fetches them: Viber's `send_message` takes a public URL, so
each file of a reply gets a signed, expiring link that opens that one file and nothing else
(only files of our own outgoing messages, never an inbound or inline one)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from tickets.models import Attachment, Direction

SALT = "channels_inbound.viber.media"
# Viber fetches the file when the message is sent; a week covers every retry.
LINK_SECONDS = 7 * 24 * 3600


def media_url(attachment: Attachment) -> str:
    token = signing.dumps(attachment.pk, salt=SALT)
    return settings.SITE_URL + reverse("viber-media", args=[token])


def attachment_for(token: str) -> Attachment | None:
    try:
        pk = signing.loads(token, salt=SALT, max_age=LINK_SECONDS)
    except signing.BadSignature:
        return None
    return Attachment.objects.filter(
        pk=pk, is_inline=False, message__direction=Direction.OUT
    ).first()
