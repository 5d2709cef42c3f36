"""A Viber bot as an admin connects it: token (write-only, encrypted), where its new tickets go,
what it says to customers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.template import Context, Template, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from helpdesk.secrets import Encrypted

# Viber's own limits: a sender name of at most 28 characters, a text of at most 7000.
SENDER_NAME_MAX = 28
TEXT_MAX = 7000
# What the texts may use; a sample of each, to check that a text renders within the limit.
SAMPLE = {"number": 123456789012, "customer_name": "x" * 200}

DEFAULT_GREETING_EN = "Hello! Write your question here and we will answer in this chat."
DEFAULT_GREETING_RU = "Здравствуйте! Напишите свой вопрос здесь, и мы ответим в этом чате."
DEFAULT_ACK_EN = (
    "We received your request and gave it the number #{{ number }}. "
    "An agent will answer you in this chat."
)
DEFAULT_ACK_RU = (
    "Мы получили ваше обращение и присвоили ему номер #{{ number }}. "
    "Специалист ответит вам в этом чате."
)


class ViberBot(models.Model):
    name = models.CharField(
        _("sender name"), max_length=SENDER_NAME_MAX,
        help_text=_("Shown to customers as the sender of our messages (at most 28 characters)."),
    )  # fmt: skip
    avatar = models.URLField(
        _("avatar URL"), blank=True, help_text=_("Picture shown next to our messages.")
    )
    token_encrypted = models.TextField(_("token"), blank=True, editable=False)
    group = models.ForeignKey(
        "tickets.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("group for new tickets"),
    )
    greeting_en = models.TextField(_("greeting (English)"), default=DEFAULT_GREETING_EN)
    greeting_ru = models.TextField(_("greeting (Russian)"), default=DEFAULT_GREETING_RU)
    acknowledgement_en = models.TextField(_("acknowledgement (English)"), default=DEFAULT_ACK_EN)
    acknowledgement_ru = models.TextField(_("acknowledgement (Russian)"), default=DEFAULT_ACK_RU)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Viber bot")
        verbose_name_plural = _("Viber bots")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    token = Encrypted("token_encrypted")

    def greeting(self, language: str) -> str:
        return self.greeting_ru if language == "ru" else self.greeting_en

    def acknowledgement(self, language: str, **context) -> str:
        body = self.acknowledgement_ru if language == "ru" else self.acknowledgement_en
        return Template(body).render(Context(context, autoescape=False)).strip()

    def clean(self) -> None:
        """Texts customers receive must render, fit Viber's limit, and the acknowledgement
        must carry the ticket number: refuse them here, where the admin sees why."""
        errors = {}
        for field in ("greeting_en", "greeting_ru", "acknowledgement_en", "acknowledgement_ru"):
            body = (getattr(self, field) or "").strip()
            if not body:
                errors[field] = _("Write the text customers receive.")
                continue
            try:
                rendered = Template(body).render(Context(SAMPLE, autoescape=False))
            except TemplateSyntaxError as error:
                errors[field] = _("The text has an error: %(error)s") % {"error": error}
                continue
            if len(rendered) > TEXT_MAX:
                errors[field] = _("Viber takes at most %(limit)s characters.") % {"limit": TEXT_MAX}
            elif field.startswith("acknowledgement") and str(SAMPLE["number"]) not in rendered:
                errors[field] = _("Put {{ number }} in it: the customer needs the ticket number.")
        if errors:
            raise ValidationError(errors)
