from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundDelivery(models.Model):
    """The outbox: one row per reply to deliver, written in the reply's own transaction."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRY = "retry", _("Waiting to retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=16)
    address = models.CharField(_("address"), max_length=320)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound delivery")
        verbose_name_plural = _("outbound deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["queued", "retry", "sending"]),
                name="delivery_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address} ({self.status})"


class InboundEvent(models.Model):
    """The raw inbox: every payload a channel hands us, stored before anything parses it.

    Unique per channel and external key (email Message-ID, Telegram update id, Viber message
    token, web-form submission key): the same delivery twice is one row, hence one message.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be processed")
        DONE = "done", _("Processed")
        IGNORED = "ignored", _("Nothing to do")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=16)
    external_key = models.CharField(_("external key"), max_length=500)
    payload = models.JSONField(_("payload"), null=True, blank=True)
    raw = models.BinaryField(_("raw bytes"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The ticket number promised to the customer before the ticket exists (web form).
    reserved_number = models.BigIntegerField(_("reserved ticket number"), null=True, blank=True)
    message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("message"),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_key"], name="inbound_channel_key_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="inbound_pending_idx",
            ),
            models.Index(fields=["status", "-received_at"], name="inbound_status_idx"),
            models.Index(
                fields=["reserved_number"],
                condition=models.Q(reserved_number__isnull=False),
                name="inbound_reserved_number_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_key} ({self.status})"
