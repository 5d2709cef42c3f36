"""The one interface every channel implements, split by direction.

A channel that receives implements `verify` (for webhooks) and `parse`; a channel that
sends implements `send`. The core knows channels only by their `kind`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from django.http import HttpRequest

    from channels_inbound.models import OutboundDelivery
    from tickets.types import NormalizedMessage


class TemporaryDeliveryError(Exception):
    """The provider may accept it later (4xx SMTP, network, 429): retry with backoff."""


class PermanentDeliveryError(Exception):
    """The provider refused for good (5xx SMTP, blocked bot): mark failed, tell the agent."""


class WebhookRejected(Exception):
    """A webhook call failed authentication or is not for us."""


class ParseError(Exception):
    """A raw payload could not be turned into a message; it stays raw with this error."""


@dataclass(frozen=True)
class Handled:
    """What `parse` returns for an update that is no customer message (a receipt, a
    subscription, a provider's check): `apply` runs when the event is processed, in its
    transaction, and returns the note kept on the event for admins."""

    apply: Callable[[], str]


@dataclass(frozen=True)
class ProviderResult:
    provider_message_id: str = ""


@runtime_checkable
class Receiver(Protocol):
    kind: str

    def verify(self, request: HttpRequest) -> None: ...

    def parse(self, raw: bytes | dict[str, Any]) -> NormalizedMessage | Handled | None: ...


@runtime_checkable
class Sender(Protocol):
    kind: str
    # The identity kind a reply is addressed to ("email" for the email sender).
    identity_kind: str

    def send(self, delivery: OutboundDelivery) -> ProviderResult: ...

    # Optional: `send_many(deliveries) -> list[ProviderResult | Exception]`, each delivery's
    # answer or error, for a sender that does better with many at once (one connection).

    def prepare(self, delivery: OutboundDelivery) -> None:
        """Fix what must not change between retries (an email's Message-ID), in the reply's
        transaction."""

    def prepare_many(self, deliveries: Sequence[OutboundDelivery]) -> None:
        """`prepare` for messages about to be written in one statement: in memory only."""
