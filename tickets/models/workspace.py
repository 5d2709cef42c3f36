"""What agents keep for their own work: canned responses and saved queue filters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CannedResponse(models.Model):
    """A reply agents reuse. Shared when it has no owner, personal otherwise.

    The body may hold placeholders, filled in for the ticket at hand:
    {customer_name}, {ticket_number}, {agent_name}.
    """

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        verbose_name=_("personal to"),
        help_text=_("Empty: shared with every agent."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title"]
        indexes = [models.Index(fields=["owner", "title"], name="canned_owner_idx")]

    def __str__(self) -> str:
        return self.title


class SavedFilter(models.Model):
    """A queue an agent made for themselves: a name and the list's query string."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_filters",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=500)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_filter_user_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
