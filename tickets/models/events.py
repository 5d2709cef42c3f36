from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    CREATED = "created", _("created")
    ASSIGNED = "assigned", _("assigned")
    HANDED_OFF = "handed_off", _("handed off")
    HANDED_BACK = "handed_back", _("handed back")
    STATUS_CHANGED = "status", _("status changed")
    PRIORITY_CHANGED = "priority", _("priority changed")
    GROUP_CHANGED = "group", _("group changed")
    TAGS_CHANGED = "tags", _("tags changed")
    SUBJECT_CHANGED = "subject", _("subject changed")
    MERGED_INTO = "merged_into", _("merged into another ticket")
    MERGED_FROM = "merged_from", _("another ticket merged in")
    CUSTOMER_CHANGED = "customer", _("customer changed")
    REPLIED = "replied", _("replied")
    CUSTOMER_REPLIED = "customer_replied", _("customer replied")
    COMMENTED = "commented", _("commented")
    MENTIONED = "mentioned", _("mentioned")
    REOPENED = "reopened", _("reopened")
    FOLLOW_UP = "follow_up", _("follow-up opened")
    DELIVERY_FAILED = "delivery_failed", _("delivery failed")
    ACKNOWLEDGED = "acknowledged", _("acknowledged to the customer")


class AppendOnlyError(RuntimeError):
    pass


class TicketEvent(models.Model):
    """The append-only log of everything that happened to a ticket: the audit trail, the
    history an agent reads, and the one source for reports."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("ticket"),
        db_index=False,  # event_ticket_idx leads with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_events",
        verbose_name=_("by"),
        db_index=False,  # event_actor_idx leads with it
    )
    actor_customer = models.ForeignKey(
        "tickets.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by customer"),
    )
    old = models.JSONField(_("from"), null=True, blank=True)
    new = models.JSONField(_("to"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_idx"),
            models.Index(fields=["kind", "created_at"], name="event_kind_idx"),
            models.Index(fields=["actor", "kind", "created_at"], name="event_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ticket events are append-only.")
