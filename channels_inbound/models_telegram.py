"""A Telegram bot customers write to: its token (write-only, encrypted), where its tickets
go, and what it says to customers."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.secrets import Encrypted

# Telegram accepts a webhook secret of 1-256 characters from this alphabet only.
SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"  # noqa: S105
TEXT_MAX = 4000


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class TelegramBot(models.Model):
    name = models.CharField(_("name"), max_length=120, help_text=_("For agents and admins."))
    username = models.CharField(
        _("bot username"), max_length=64, blank=True,
        help_text=_("Without the @. In groups the bot answers only messages that mention it."),
    )  # fmt: skip
    token_encrypted = models.TextField(_("token"), blank=True, editable=False)
    webhook_secret = models.CharField(
        _("webhook secret"), max_length=256, default=new_webhook_secret,
        help_text=_("Telegram sends it with every update; letters, digits, _ and - only."),
    )  # fmt: skip
    group = models.ForeignKey(
        "tickets.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("group for new tickets"),
    )
    greeting_en = models.TextField(
        _("greeting (English)"), max_length=TEXT_MAX,
        default="Hello! Write your question here and we will answer in this chat.",
    )  # fmt: skip
    greeting_ru = models.TextField(
        _("greeting (Russian)"), max_length=TEXT_MAX,
        default="Здравствуйте! Напишите свой вопрос, и мы ответим здесь же.",
    )  # fmt: skip
    acknowledgement_en = models.TextField(
        _("acknowledgement (English)"), max_length=TEXT_MAX,
        default="We received your request #{{ number }}. We will answer in this chat.",
        help_text=_("Sent when a message opens a new ticket; {{ number }} is its number."),
    )  # fmt: skip
    acknowledgement_ru = models.TextField(
        _("acknowledgement (Russian)"), max_length=TEXT_MAX,
        default="Ваше обращение №{{ number }} зарегистрировано. Ответим в этом чате.",
        help_text=_("Sent when a message opens a new ticket; {{ number }} is its number."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    use_polling = models.BooleanField(
        _("fetch updates by polling"), default=True,
        help_text=_("For a desk without a public HTTPS address. Setting the webhook turns it "
                    "off; deleting the webhook turns it on."),
    )  # fmt: skip
    # The next update to ask getUpdates for: everything before it is stored in the inbox.
    update_offset = models.BigIntegerField(_("next update id"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        verbose_name = _("Telegram bot")
        verbose_name_plural = _("Telegram bots")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (@{self.username})" if self.username else self.name

    token = Encrypted("token_encrypted")

    def clean(self) -> None:
        """Texts that would fail every greeting or acknowledgement are refused here, where the
        admin sees why."""
        from django.template import Context, Template, TemplateSyntaxError

        errors = {}
        if not self.webhook_secret or any(c not in SECRET_ALPHABET for c in self.webhook_secret):
            errors["webhook_secret"] = _("Use 1-256 letters, digits, _ or - only.")
        for name in ("greeting_en", "greeting_ru", "acknowledgement_en", "acknowledgement_ru"):
            text = getattr(self, name) or ""
            if not text.strip():
                errors[name] = _("Write the text the customer receives.")
                continue
            try:
                shown = Template(text).render(Context({"number": 918273645}))
            except TemplateSyntaxError as error:
                errors[name] = _("The template has an error: %(error)s") % {"error": error}
                continue
            if name.startswith("acknowledgement") and "918273645" not in shown:
                errors[name] = _("Put {{ number }} in it: the customer needs the number.")
        if errors:
            raise ValidationError(errors)


class TelegramChat(models.Model):
    """A chat with one of our bots and the ticket its messages go to: how the customer's next
    message finds their ticket, and how a reply finds the bot and chat to go out through."""

    bot = models.ForeignKey(TelegramBot, on_delete=models.CASCADE, related_name="chats")
    chat_id = models.BigIntegerField(_("chat id"))
    # The Telegram user id of the customer who last wrote in the chat (= chat_id in private).
    user_id = models.CharField(_("user id"), max_length=32)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Telegram chat")
        verbose_name_plural = _("Telegram chats")
        constraints = [
            models.UniqueConstraint(fields=["bot", "chat_id"], name="telegram_chat_unique")
        ]
        indexes = [
            models.Index(fields=["ticket"], name="telegram_chat_ticket_idx"),
            models.Index(fields=["user_id", "-updated_at"], name="telegram_chat_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bot} · {self.chat_id}"
