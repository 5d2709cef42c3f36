from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.customers import Channel
from tickets.sanitize import show_bidi

TICKET_NUMBER_SEQUENCE = "tickets_ticket_number_seq"


class NextTicketNumber(models.Func):
    """`nextval` of a PostgreSQL sequence: unique under any concurrency and never reused,
    even when the transaction that drew a number rolls back."""

    template = f"nextval('{TICKET_NUMBER_SEQUENCE}')"
    output_field = models.BigIntegerField()

    def __init__(self) -> None:
        super().__init__()


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)

# Which status may follow which. `new` is only ever a starting point; `closed` is final
# (a customer writing to a closed ticket opens a follow-up linked to it).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}
    ),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


PRIORITY_NAMES = {p.value: p.name.lower() for p in Priority}
PRIORITY_BY_NAME = {name: value for value, name in PRIORITY_NAMES.items()}


class Ticket(models.Model):
    number = models.BigIntegerField(_("number"), unique=True, db_default=NextTicketNumber())
    subject = models.CharField(_("subject"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # Foreign keys whose column leads a composite index below carry no index of their own:
    # every index is paid for on each insert.
    customer = models.ForeignKey(
        "tickets.Customer",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("customer"),
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("owner"),
        db_index=False,
    )
    group = models.ForeignKey(
        "tickets.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("group"),
        db_index=False,
    )
    # Who gets the ticket back when internal staff press "Hand back".
    hand_back_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("hand back to"),
        db_index=False,
    )
    tags = ArrayField(
        models.CharField(max_length=50), default=list, blank=True, verbose_name=_("tags")
    )
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name=_("merged into"),
        db_index=False,
    )
    # Addresses that take part in the conversation besides the customer (Cc of their mail,
    # colleagues we wrote to): they may continue it, a stranger quoting the number may not.
    participant_addresses = ArrayField(
        models.CharField(max_length=320), default=list, blank=True, editable=False
    )
    # Subject, customer names and identities and every message's text, in the `russian`
    # configuration (which also stems English: PostgreSQL maps ASCII words to english_stem).
    search_vector = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last activity"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(
        _("last customer message"), null=True, blank=True
    )
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-number"], name="ticket_status_number_idx"),
            models.Index(fields=["assignee", "status", "-number"], name="ticket_assignee_idx"),
            models.Index(fields=["group", "status", "-number"], name="ticket_group_idx"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            models.Index(fields=["-updated_at"], name="ticket_updated_idx"),
            # fastupdate off: a little more work per insert instead of a pending list that
            # some unlucky request has to merge (a latency spike of hundreds of ms).
            GinIndex(fields=["tags"], name="ticket_tags_gin", fastupdate=False),
            GinIndex(fields=["search_vector"], name="ticket_search_gin", fastupdate=False),
            # The queues: counting and listing what is not yet solved, without the history.
            models.Index(
                fields=["group", "assignee", "status"],
                condition=Q(status__in=["new", "open", "pending", "on_hold"]),
                name="ticket_open_queue_idx",
            ),
            # Rare links: index only the rows that have one.
            *(
                models.Index(
                    fields=[name],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"ticket_{name}_idx",
                )
                for name in ("hand_back_to", "follow_up_of", "merged_into")
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {show_bidi(self.subject)}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def priority_name(self) -> str:
        return PRIORITY_NAMES[self.priority]


class TicketParticipant(models.Model):
    """Staff involved in a ticket: owners now or before, mentioned, commenting, handed to.

    It is what lets internal staff see exactly the tickets they are part of, with one indexed
    lookup instead of scanning events and comments.
    """

    class Reason(models.TextChoices):
        OWNER = "owner", _("owner")
        HANDED_TO = "handed_to", _("handed to")
        MENTIONED = "mentioned", _("mentioned")
        COMMENTED = "commented", _("commented")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_participations"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "user"], name="participant_ticket_user_unique"
            )
        ]
        indexes = [models.Index(fields=["user", "ticket"], name="participant_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} on #{self.ticket_id} ({self.reason})"
