from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.sanitize import show_bidi


class Channel(models.TextChoices):
    """Where a message came from or goes to."""

    EMAIL = "email", _("Email")
    TELEGRAM = "telegram", _("Telegram")
    VIBER = "viber", _("Viber")
    WEB = "web", _("Web form")
    PHONE = "phone", _("Phone")


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    TELEGRAM = "telegram", _("Telegram")
    VIBER = "viber", _("Viber")
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web")


class Customer(models.Model):
    """A person who asks for help. One customer, any number of identities on any channel."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("en", "English"), ("ru", "Русский")]
    )
    notes = models.TextField(_("notes"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="customer_name_trgm"),
            models.Index(fields=["-created_at"], name="customer_created_idx"),
        ]

    def __str__(self) -> str:
        return show_bidi(self.name) or f"Customer {self.pk}"


class CustomerIdentity(models.Model):
    """An address a customer is reachable at: unique per kind across all customers."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    # What a human recognises (a Telegram @username, a formatted phone) when `value` is an id.
    display = models.CharField(_("display"), max_length=200, blank=True)
    is_reachable = models.BooleanField(_("reachable"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_kind_value_unique")
        ]
        indexes = [
            GinIndex(fields=["value"], opclasses=["gin_trgm_ops"], name="identity_value_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {show_bidi(self.display or self.value)}"
