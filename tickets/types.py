"""The normalized inbound message every channel adapter produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class InboundAttachment:
    name: str
    content_type: str
    content: bytes
    content_id: str = ""
    is_inline: bool = False


@dataclass(frozen=True)
class ThreadHints:
    """What a channel knows about which conversation a message continues.

    * `external_ids`: ids of earlier messages it replies to (email In-Reply-To/References).
    * `ticket_number`: a number the customer quoted (`[#1234]` in a subject); honoured only
      when the sender already takes part in that ticket.
    * `conversation`: messengers have one running conversation per chat: append to the
      customer's latest ticket on that channel unless it is closed.
    * `reopen_within`: a solved ticket found by the hints is reopened only if it was solved
      less than this long ago; later the message opens a new ticket linked to it (a closed
      one always does). None: always reopened.
    """

    external_ids: tuple[str, ...] = ()
    ticket_number: int | None = None
    conversation: bool = False
    reopen_within: timedelta | None = None


@dataclass(frozen=True)
class NormalizedMessage:
    channel: str
    sender_kind: str
    sender_value: str
    sender_name: str = ""
    sender_display: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    # What the message quoted of the earlier conversation (and its signature), kept apart
    # from `text` so the view can fold it away.
    quoted_text: str = ""
    external_id: str = ""
    attachments: tuple[InboundAttachment, ...] = ()
    hints: ThreadHints = field(default_factory=ThreadHints)
    is_auto_generated: bool = False
    language: str = ""
    received_at: datetime | None = None
    # Addresses also on the message (email Cc): they may continue this thread.
    other_participants: tuple[str, ...] = ()
    # External ids of messages WE sent that this message reports as undeliverable (an email
    # bounce, a messenger's "failed" callback): those deliveries are marked failed, and no
    # ticket is opened for the report itself.
    reports_failure_of: tuple[str, ...] = ()
    failure_reason: str = ""
    # A ticket number already promised to the customer (the web form answers at once, before
    # the ticket exists): a new ticket takes this number.
    reserved_number: int | None = None
