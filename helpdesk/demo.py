"""Demo data that tells the scenarios of shared/SCENARIOS.md, built through the services so
every event, participant and notification is the real thing. Only time is faked: each
story is shifted into the past after it is written."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, User
from tickets import events, services
from tickets.models import (
    Channel,
    DeliveryStatus,
    Direction,
    EventKind,
    Group,
    Message,
    Ticket,
)
from tickets.types import NormalizedMessage, ThreadHints

DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105 - printed on purpose: these are demo logins

PEOPLE = [
    # email, name, role, title, language, groups
    ("admin@demo.helpdesk", "Alexandra Admin", Role.ADMIN, "Head of support", "en", []),
    ("vasya@demo.helpdesk", "Vasya Petrov", Role.AGENT, "Support agent", "ru", ["tier1"]),
    ("anna@demo.helpdesk", "Anna Smirnova", Role.AGENT, "Support agent", "ru", ["tier1"]),
    ("kate@demo.helpdesk", "Kate Miller", Role.AGENT, "Support agent", "en", ["tier1"]),
    ("sergey@demo.helpdesk", "Sergey Ivanov", Role.AGENT, "Tier 2 lead", "ru", ["tier2"]),
    ("irina@demo.helpdesk", "Irina Volkova", Role.AGENT, "Billing specialist", "ru", ["billing"]),
    ("dima@demo.helpdesk", "Dima Kuznetsov", Role.INTERNAL, "Developer", "ru", []),
    ("olga@demo.helpdesk", "Olga Fedorova", Role.INTERNAL, "Accountant", "ru", []),
    ("maria@demo.helpdesk", "Maria Lebedeva", Role.INTERNAL, "Marketing manager", "ru", []),
]
GROUPS = {
    "tier1": ("Support — tier 1", 1, "First line: every new conversation lands here."),
    "tier2": ("Escalations — tier 2", 2, "Hard cases climbing the ladder."),
    "billing": ("Billing", 2, "Payments, refunds, invoices."),
}
HANDLES = {"dima": "dima", "olga": "olga", "maria": "maria"}


def is_loaded() -> bool:
    return User.objects.filter(email="vasya@demo.helpdesk").exists()


def logins() -> list[tuple[str, str, str]]:
    return [(email, str(Role(role).label), title) for email, _, role, title, _, _ in PEOPLE]


class Desk:
    """The demo team, by first name."""

    def __init__(self) -> None:
        self.groups = {
            key: Group.objects.get_or_create(
                name=name, defaults={"tier": tier, "description": description}
            )[0]
            for key, (name, tier, description) in GROUPS.items()
        }
        self.people: dict[str, User] = {}
        for email, name, role, title, language, groups in PEOPLE:
            first = email.split("@")[0]
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email,
                    DEMO_PASSWORD,
                    full_name=name,
                    role=role,
                    title=title,
                    language=language,
                    handle=HANDLES.get(first, first),
                )
            user.support_groups.add(*(self.groups[g] for g in groups))
            self.people[first] = user

    def __getattr__(self, name: str) -> User:
        return self.people[name]


def _say(channel, kind, value, name, text, *, subject="", language="", display="", **hints):
    """A customer writes in, through the same ingest every channel uses, with the language
    guessed from the text as the channels guess it when the story names none."""
    from channels_inbound.autoreply import guess_language

    language = language or guess_language(text)
    return services.ticket_ingest(
        message=NormalizedMessage(
            channel=channel,
            sender_kind=kind,
            sender_value=value,
            sender_name=name,
            sender_display=display,
            subject=subject,
            text=text,
            language=language,
            hints=ThreadHints(conversation=channel in (Channel.TELEGRAM, Channel.VIBER), **hints),
        ),
        group=Group.objects.get(name=GROUPS["tier1"][0]),
    ).ticket


def _messenger_reply(ticket: Ticket, by: User, text: str) -> None:
    """A reply the agent wrote in the messenger's own app (replies from the desk to
    Telegram and Viber are not connected yet): kept on the ticket with its event, marked as
    written outside the helpdesk (status "received": the desk delivered nothing), never as
    delivered."""
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.OUT,
        channel=ticket.channel,
        author_user=by,
        text=text,
        delivery_status=DeliveryStatus.RECEIVED,
        created_at=now,
    )
    events.record(
        ticket,
        kind=EventKind.REPLIED,
        by=by,
        new={"message_id": message.pk, "channel": ticket.channel},
    )
    Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
        first_response_at=now
    )
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    if ticket.assignee_id is None:
        services.ticket_assign(ticket=ticket, owner=by, by=by)


AGED = [
    ("tickets_ticket", "id", ["created_at", "updated_at", "first_response_at",
                              "last_customer_message_at", "solved_at", "closed_at"]),
    ("tickets_message", "ticket_id", ["created_at"]),
    ("tickets_ticketevent", "ticket_id", ["created_at"]),
    ("comments_internalcomment", "ticket_id", ["created_at"]),
    ("comments_notification", "ticket_id", ["created_at"]),
]  # fmt: skip


def _age(ticket: Ticket, **delta) -> None:
    """Move everything of a ticket written so far back in time. A story calls this between
    its steps (so they are minutes or days apart) and once at the end."""
    interval = timedelta(**delta)
    with connection.cursor() as cursor:
        for table, key, columns in AGED:
            sets = ", ".join(f"{c} = {c} - %s" for c in columns)
            cursor.execute(
                f"UPDATE {table} SET {sets} WHERE {key} = %s",  # noqa: S608 - names are ours
                [*([interval] * len(columns)), ticket.pk],
            )


@transaction.atomic
def load() -> None:
    desk = Desk()
    from helpdesk.demo_stories import tell_all

    tell_all(desk, say=_say, messenger_reply=_messenger_reply, age=_age)
