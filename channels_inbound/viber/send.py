"""Viber out: a reply (or the acknowledgement) sent with `send_message` by the bot the
customer wrote to, with the bot's sender name and avatar.

Viber's statuses are mapped to what the outbox does: 0 sent (its message token kept, so the
delivered / seen / failed callbacks find the reply); 12 (too many requests) and no answer at
all (network, 5xx) retried with backoff; a customer who is not subscribed (5, 6) marks the
delivery failed and the identity unreachable; any other status fails the delivery with
Viber's own words."""

from __future__ import annotations

from channels_inbound import customer_output
from channels_inbound.adapters.base import (
    PermanentDeliveryError,
    ProviderResult,
    TemporaryDeliveryError,
)
from channels_inbound.models import InboundEvent, OutboundDelivery
from channels_inbound.viber import api
from channels_inbound.viber.media import media_url
from channels_inbound.viber.models import TEXT_MAX, ViberBot
from tickets.models import Channel, CustomerIdentity, IdentityKind, Message

TEMPORARY = {12}  # tooManyRequests
UNSUBSCRIBED = {5, 6}  # receiverNotRegistered, receiverNotSubscribed


def bot_for(ticket_id: int, customer_id: int) -> ViberBot | None:
    """The bot this ticket's customer wrote to (on this ticket, else their latest Viber
    message), else the first active bot: Viber user ids are per bot."""
    events = InboundEvent.objects.filter(channel=Channel.VIBER).order_by("-id")
    bot_id = (
        events.filter(message__ticket_id=ticket_id).values_list("payload__bot", flat=True).first()
        or events.filter(message__ticket__customer_id=customer_id)
        .values_list("payload__bot", flat=True)
        .first()
    )
    if bot_id is not None:
        return ViberBot.objects.filter(pk=bot_id).first()
    return ViberBot.objects.filter(is_active=True).order_by("pk").first()


def parts(text: str, limit: int = TEXT_MAX) -> list[str]:
    """The text in pieces Viber takes, cut at a line break or a space where there is one."""
    pieces, text = [], text.strip()
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def contents(message: Message) -> list[dict]:
    """The Viber messages a reply is sent as: its text (in pieces of at most 7000 characters),
    then each file it carries, by a signed link Viber fetches it from. The receipts of the
    last one are the reply's; an attempt that fails half-way is taken up where it stopped."""
    files = customer_output.public_attachments([message])[message.pk]
    return [{"type": "text", "text": part} for part in parts(message.text)] + [
        {"type": "file", "media": media_url(file), "size": file.size, "file_name": file.name[:256]}
        for file in files
    ]


# What a delivery of several pieces keeps between attempts: "sent:<pieces sent>:<last token>".
PROGRESS = "sent:"


def sent_before(delivery: OutboundDelivery) -> tuple[int, str]:
    """How many pieces of this reply an earlier attempt sent, and the last one's token."""
    if not delivery.provider_message_id.startswith(PROGRESS):
        return 0, ""
    count, _, token = delivery.provider_message_id.removeprefix(PROGRESS).partition(":")
    return int(count), token


def sender_of(bot: ViberBot) -> dict[str, str]:
    return {"name": bot.name, **({"avatar": bot.avatar} if bot.avatar else {})}


class ViberSender:
    kind = Channel.VIBER
    identity_kind = IdentityKind.VIBER

    def prepare(self, delivery: OutboundDelivery) -> None:
        """Nothing to fix before sending: Viber gives the message its token."""

    def prepare_many(self, deliveries) -> None:
        """Nothing to fix before sending."""

    def send(self, delivery: OutboundDelivery) -> ProviderResult:
        message = delivery.message
        bot = bot_for(message.ticket_id, message.ticket.customer_id)
        if bot is None or not bot.is_active:
            raise PermanentDeliveryError("No active Viber bot is connected to send it with.")
        pieces = contents(message)
        done, token = sent_before(delivery)
        for index, content in enumerate(pieces[done:], start=done):
            payload = {"receiver": delivery.address, "min_api_version": 1,
                       "sender": sender_of(bot), "tracking_data": f"ticket:{message.ticket.number}",
                       **content}  # fmt: skip
            token = self._check(api_call(bot, payload), delivery)
            if index + 1 < len(pieces):
                # Remembered at once: a retry after a later piece failed sends only the rest.
                OutboundDelivery.objects.filter(pk=delivery.pk).update(
                    provider_message_id=f"{PROGRESS}{index + 1}:{token}"
                )
        return ProviderResult(provider_message_id=token)

    def _check(self, answer: dict, delivery: OutboundDelivery) -> str:
        status = answer["status"]
        words = f"{answer.get('status_message') or 'error'} ({status})"
        if status == 0:
            return str(answer.get("message_token", ""))
        if status in TEMPORARY:
            raise TemporaryDeliveryError(f"Viber asked to try later: {words}")
        if status in UNSUBSCRIBED:
            CustomerIdentity.objects.filter(kind=IdentityKind.VIBER, value=delivery.address).update(
                is_reachable=False
            )
            raise PermanentDeliveryError(
                f"The customer is not subscribed to the bot, Viber refused it: {words}"
            )
        raise PermanentDeliveryError(f"Viber refused the message: {words}")


def api_call(bot: ViberBot, payload: dict) -> dict:
    try:
        return api.call(bot.token, "send_message", payload)
    except api.ViberUnavailable as error:
        raise TemporaryDeliveryError(str(error)) from None
