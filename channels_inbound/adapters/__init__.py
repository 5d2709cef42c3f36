"""The adapter registry: channels register by kind; the core looks them up by kind."""

from __future__ import annotations

from channels_inbound.adapters.base import Receiver, Sender

_senders: dict[str, Sender] = {}
_receivers: dict[str, Receiver] = {}


def register_sender(adapter: Sender) -> None:
    _senders[adapter.kind] = adapter


def register_receiver(adapter: Receiver) -> None:
    _receivers[adapter.kind] = adapter


def sender(kind: str) -> Sender | None:
    return _senders.get(kind)


def receiver(kind: str) -> Receiver | None:
    return _receivers.get(kind)


def register_builtin() -> None:
    from channels_inbound.adapters.email import EmailSender
    from channels_inbound.adapters.email_in import EmailReceiver
    from channels_inbound.adapters.webform import WebFormReceiver
    from channels_inbound.telegram.receiver import TelegramReceiver
    from channels_inbound.telegram.sender import TelegramSender

    register_sender(EmailSender())
    register_receiver(EmailReceiver())
    register_receiver(WebFormReceiver())
    register_receiver(TelegramReceiver())
    register_sender(TelegramSender())

    from channels_inbound.viber.receive import ViberReceiver
    from channels_inbound.viber.send import ViberSender

    register_receiver(ViberReceiver())
    register_sender(ViberSender())
