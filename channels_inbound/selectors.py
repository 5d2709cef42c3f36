"""Reads the channels need on every inbound message, cheap enough for thousands a second.

The mailboxes change a few times a year and every email needs them (its group, our own
addresses to ignore, the address a reply goes out from): they are read at most every 30 s
per process, and at once again in the process that changed one (post_save below). Another
process sees a change within 30 s.
"""

from __future__ import annotations

import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from channels_inbound.models import Mailbox

MAILBOXES_SECONDS = 30.0
_mailboxes_cache: tuple[float, dict[int, Mailbox]] = (0.0, {})


def mailboxes() -> dict[int, Mailbox]:
    """Every mailbox by id, active or not (a reply goes from the address the customer wrote
    to even while its polling is switched off)."""
    global _mailboxes_cache
    read_at, by_id = _mailboxes_cache
    if time.monotonic() - read_at > MAILBOXES_SECONDS:
        by_id = {m.pk: m for m in Mailbox.objects.select_related("group").order_by("id")}
        _mailboxes_cache = (time.monotonic(), by_id)
    return by_id


def our_addresses() -> set[str]:
    """Every address of ours: mail from them is our own coming back."""
    return {m.address.lower() for m in mailboxes().values()}


def forget_mailboxes() -> None:
    global _mailboxes_cache
    _mailboxes_cache = (0.0, {})


@receiver(post_save, sender=Mailbox)
@receiver(post_delete, sender=Mailbox)
def _mailbox_changed(**kwargs) -> None:
    forget_mailboxes()
