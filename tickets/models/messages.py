from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.customers import Channel
from tickets.sanitize import show_bidi


class Direction(models.TextChoices):
    IN = "in", _("From the customer")
    OUT = "out", _("To the customer")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # inbound: nothing to deliver
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    SEEN = "seen", _("Seen")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One public message of a ticket's conversation, from or to the customer.

    Internal comments are not messages: they live in `comments` so that code building
    customer-facing output cannot even reach them through this model.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("ticket"),
        db_index=False,  # message_ticket_idx leads with it
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    author_customer = models.ForeignKey(
        "tickets.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("customer author"),
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("agent author"),
    )
    # The address it came from when that is not the customer's own (a colleague in Cc).
    sender_address = models.CharField(_("sender address"), max_length=320, blank=True)
    text = models.TextField(_("text"), blank=True)
    # The earlier conversation an email quoted, and its signature: folded away in the view,
    # kept in the record.
    quoted_text = models.TextField(_("quoted text"), blank=True)
    html = models.TextField(_("sanitized HTML"), blank=True)
    external_id = models.CharField(_("external id"), max_length=500, blank=True)
    delivery_status = models.CharField(
        _("delivery status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.RECEIVED,
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    is_auto_generated = models.BooleanField(_("auto-generated"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The ticket it was written on, once a merge moved it to another: whose conversation it
    # is, so that a customer sees only their own messages of a merged thread. It goes with
    # that ticket (erasing a customer erases what they wrote, wherever a merge put it).
    origin_ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("written on ticket"),
        db_index=False,  # message_origin_idx, partial: almost every message has none
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            # The same email, Telegram update or Viber token delivered twice makes one message.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_channel_external_id_unique",
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_idx"),
            models.Index(
                fields=["origin_ticket"],
                condition=Q(origin_ticket__isnull=False),
                name="message_origin_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.ticket_id}: {self.text[:40]}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The content hash makes the path unguessable and keeps names from colliding.
    safe = PurePath(filename).name.replace("\x00", "")[:150] or "file"
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}/{safe}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=150)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    content_id = models.CharField(_("content id"), max_length=255, blank=True)
    is_inline = models.BooleanField(_("inline"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return show_bidi(self.name)
