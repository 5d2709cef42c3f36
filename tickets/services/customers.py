"""Customers and their identities: find or create by identity, merge two into one."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.errors import ApplicationError
from helpdesk.realtime import RealtimeEvent, publish_on_commit
from tickets import permissions, search
from tickets.models import (
    Customer,
    CustomerIdentity,
    EventKind,
    IdentityKind,
    Message,
    Ticket,
    TicketEvent,
)
from tickets.permissions import Action

if TYPE_CHECKING:
    from accounts.models import User


QUOTED_LOCAL_PART = re.compile(r'"[^"\\\r\n]{1,64}"@([^@\s]+)')
# What Django's validator refuses but real mail carries: a host without a dot (user@intranet)
# and UTF-8 addresses (RFC 6531: jdöe@mächine.example).
MAIL_ADDRESS = re.compile(
    r"[\w!#$%&'*+/=?^`{|}~.-]{1,64}@\w(?:[\w-]{0,61}\w)?(?:\.\w(?:[\w-]{0,61}\w)?)*"
)


def normalize_identity(kind: str, value: str) -> str:
    """The canonical form an identity is stored and looked up by."""
    if kind not in IdentityKind.values:
        raise ApplicationError(
            _('Unknown identity kind "%(kind)s"; use one of %(allowed)s.')
            % {"kind": kind, "allowed": ", ".join(IdentityKind.values)}
        )
    value = (value or "").strip()
    if kind == IdentityKind.EMAIL:
        value = value.lower()
        # RFC 5322 allows a quoted local part ("john smith"@example.com); real mail has them.
        quoted = QUOTED_LOCAL_PART.fullmatch(value)
        try:
            validate_email(f"quoted@{quoted[1]}" if quoted else value)
        except ValidationError:
            if not MAIL_ADDRESS.fullmatch(value):
                raise _invalid_email(value) from None
    elif kind == IdentityKind.PHONE:
        digits = re.sub(r"\D", "", value)
        if len(digits) < 5:
            raise ApplicationError(_('"%(value)s" is not a phone number.') % {"value": value})
        value = "+" + digits
    if not value:
        raise ApplicationError(_("A %(kind)s identity needs a value.") % {"kind": kind})
    return value[:320]


def _invalid_email(value: str) -> ApplicationError:
    return ApplicationError(_('"%(value)s" is not a valid email address.') % {"value": value})


def normalize_typed_email(value: str) -> str:
    """An address a person typed (the web form): also needs a dotted domain, since
    "marina@gmail" is a typo far more often than an intranet host."""
    value = normalize_identity(IdentityKind.EMAIL, value)
    if "." not in value.rpartition("@")[2]:
        raise _invalid_email(value)
    return value


def identity_texts(customer: Customer, identities: list[CustomerIdentity]) -> list[str]:
    """What of a customer goes into their tickets' search vectors. An email address is also
    split at the @, since people search for "marina" or "example.com", not the whole address."""
    texts = [customer.name]
    for identity in identities:
        texts += [identity.value, identity.display]
        if identity.kind == IdentityKind.EMAIL:
            texts.append(identity.value.replace("@", " "))
    return texts


def customer_find_or_create(
    *, kind: str, value: str, name: str = "", language: str = "", display: str = ""
) -> tuple[Customer, CustomerIdentity, bool]:
    """Find the customer behind an identity, or create both.

    Safe when two messages from a new address arrive at once: the unique (kind, value) index
    makes the second insert wait for the first and fail; it then reads the winner's row.
    """
    value = normalize_identity(kind, value)
    identity = CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=value)
    found = identity.first()
    if found is not None:
        customer = found.customer
        if not customer.name and name:
            customer.name = name[:200]
            customer.save(update_fields=["name", "updated_at"])
        return customer, found, False
    try:
        with transaction.atomic():
            customer, created = new_customer(
                kind=kind, value=value, name=name, language=language, display=display
            )
            customer.save(force_insert=True)
            created.customer = customer
            created.save(force_insert=True)
    except IntegrityError:
        created = CustomerIdentity.objects.select_related("customer").get(kind=kind, value=value)
        return created.customer, created, False
    return customer, created, True


def new_customer(
    *, kind: str, value: str, name: str = "", language: str = "", display: str = ""
) -> tuple[Customer, CustomerIdentity]:
    """A customer first seen by an identity (`value` normalized), and that identity; not
    saved yet. The name is what they gave, else the display name, else the address's local
    part."""
    customer = Customer(
        name=(name or display or (value.split("@")[0] if "@" in value else value))[:200],
        language=language if language in ("en", "ru") else "",
    )
    identity = CustomerIdentity(customer=customer, kind=kind, value=value, display=display[:200])
    return customer, identity


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    by: User,
    name: str | None = None,
    language: str | None = None,
    notes: str | None = None,
) -> Customer:
    permissions.require(by, Action.MANAGE_CUSTOMERS)
    fields = []
    if name is not None:
        customer.name = name.strip()[:200]
        fields.append("name")
    if language is not None:
        if language not in ("", "en", "ru"):
            raise ApplicationError(_('Language must be "en", "ru" or empty.'))
        customer.language = language
        fields.append("language")
    if notes is not None:
        customer.notes = notes
        fields.append("notes")
    if fields:
        customer.save(update_fields=[*fields, "updated_at"])
    return customer


@transaction.atomic
def identity_add(*, customer: Customer, kind: str, value: str, by: User) -> CustomerIdentity:
    permissions.require(by, Action.MANAGE_CUSTOMERS)
    value = normalize_identity(kind, value)
    existing = CustomerIdentity.objects.filter(kind=kind, value=value).first()
    if existing is not None:
        raise ApplicationError(
            _("%(value)s already belongs to customer %(id)s; merge the two customers instead.")
            % {"value": value, "id": existing.customer_id},
            extra={"customer_id": existing.customer_id},
        )
    identity = CustomerIdentity.objects.create(customer=customer, kind=kind, value=value)
    search.append_to_customer_tickets(customer.pk, [value])
    return identity


@transaction.atomic
def customer_merge(*, source: Customer, into: Customer, by: User) -> Customer:
    """Make two customers one: identities, tickets and messages move to `into`.

    `source` stays as a tombstone pointing at `into`, so links to it still resolve.
    """
    permissions.require(by, Action.MANAGE_CUSTOMERS)
    if source.pk == into.pk:
        raise ApplicationError(_("A customer cannot be merged into themselves."))
    first, second = sorted([source.pk, into.pk])
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[first, second])}
    source, into = locked[source.pk], locked[into.pk]
    for customer in (source, into):
        if customer.merged_into_id is not None:
            raise ApplicationError(
                _(
                    "%(customer)s was already merged into customer %(id)s; "
                    "merge with that one instead."
                )
                % {"customer": customer, "id": customer.merged_into_id}
            )

    source_identities = list(source.identities.all())
    into_identities = list(into.identities.all())
    moved_ticket_ids = list(Ticket.objects.filter(customer=source).values_list("id", flat=True))

    CustomerIdentity.objects.filter(customer=source).update(customer=into)
    Ticket.objects.filter(pk__in=moved_ticket_ids).update(customer=into)
    Message.objects.filter(author_customer=source).update(author_customer=into)

    # Every ticket of the merged customer must be findable by every identity.
    search.append_to_customer_tickets(
        into.pk, identity_texts(source, source_identities) + identity_texts(into, into_identities)
    )
    now = timezone.now()
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=ticket_id,
            kind=EventKind.CUSTOMER_CHANGED,
            actor=by,
            old={"id": source.pk, "name": source.name},
            new={"id": into.pk, "name": into.name},
            created_at=now,
        )
        for ticket_id in moved_ticket_ids
    )
    into.notes = "\n\n".join(n for n in (into.notes, source.notes) if n)
    into.name = into.name or source.name
    into.language = into.language or source.language
    into.save(update_fields=["notes", "name", "language", "updated_at"])
    source.merged_into = into
    source.save(update_fields=["merged_into", "updated_at"])
    publish_on_commit(
        RealtimeEvent(
            "customer.merged",
            payload={"source_id": source.pk, "into_id": into.pk, "ticket_ids": moved_ticket_ids},
        )
    )
    return into
