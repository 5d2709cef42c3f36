from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.secrets import Encrypted


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
            ),
            # Viber's receipts (delivered, seen, failed) name our message by its token.
            models.Index(
                fields=["provider_message_id"],
                condition=models.Q(channel="viber"),
                name="delivery_viber_token_idx",
            ),
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


class Mailbox(models.Model):
    """A support address: where customers write (IMAP in) and where replies come from (SMTP
    out). Configured by admins; the poller marks it with its last error."""

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (local testing only)")

    name = models.CharField(_("name"), max_length=120, help_text=_("Shown as the sender name."))
    address = models.EmailField(_("address"), unique=True,
                                help_text=_("The address customers write to."))  # fmt: skip
    group = models.ForeignKey(
        "tickets.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("group for new tickets"),
    )
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    imap_login = models.CharField(_("IMAP login"), max_length=255, blank=True)
    imap_password_encrypted = models.TextField(_("IMAP password"), blank=True, editable=False)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_login = models.CharField(_("SMTP login"), max_length=255, blank=True)
    smtp_password_encrypted = models.TextField(_("SMTP password"), blank=True, editable=False)
    # For an MTA pipe or a mail service's inbound webhook: POST the raw message with this key.
    inbound_key = models.CharField(_("inbound key"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last fetched UID"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    imap_password = Encrypted("imap_password_encrypted")

    smtp_password = Encrypted("smtp_password_encrypted")


class AutoReplyTemplate(models.Model):
    """What a customer receives when a new ticket is opened, per language. Admins edit the
    text; {{ number }}, {{ customer_name }}, {{ status_url }} and {{ subject }} are filled in."""

    language = models.CharField(_("language"), max_length=8, unique=True,
                                choices=[("en", "English"), ("ru", "Русский")])  # fmt: skip
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("send it"), default=True)

    class Meta:
        verbose_name = _("auto-acknowledgement")
        verbose_name_plural = _("auto-acknowledgements")

    def __str__(self) -> str:
        return self.get_language_display()

    def clean(self) -> None:
        """A template that does not compile would fail every acknowledgement: refuse it here,
        where the admin sees why."""
        from django.template import Template, TemplateSyntaxError

        try:
            Template(self.body)
        except TemplateSyntaxError as error:
            raise ValidationError({"body": _("The template has an error: %(error)s")
                                   % {"error": error}}) from None  # fmt: skip


from channels_inbound.models_telegram import TelegramBot, TelegramChat  # noqa: E402, F401
from channels_inbound.viber.models import ViberBot  # noqa: E402, F401 - a model of this app
