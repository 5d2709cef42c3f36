from __future__ import annotations

import time

from django.db.models import Case, Q, QuerySet, Value, When

from accounts.models import PAID_ROLES, Role, User

# What a reference to a colleague shows (a message's author, an event's actor): loading only
# these columns of a joined user keeps timelines cheap.
USER_REF_FIELDS = ("id", "full_name", "role")


def related(prefix: str, fields: tuple[str, ...]) -> tuple[str, ...]:
    """`related("actor", ("id", "name"))` -> ("actor__id", "actor__name"), for `.only()`."""
    return tuple(f"{prefix}__{name}" for name in fields)


def seats_used() -> int:
    """Seats are what a team pays for: active admins and agents. Internal staff are free."""
    return User.objects.filter(is_active=True, role__in=PAID_ROLES).count()


COLLEAGUE_FIELDS = ("id", "full_name", "role", "handle", "title")


def user_list(*, role: str | None = None, q: str = "", full: bool = True) -> QuerySet[User]:
    """Active colleagues by name; with `q`, those whose name or handle holds it (and email, for
    `full`): first the ones a name word or the handle starts with ("ol" finds Olga before
    Sokolova), then the rest, each part by name. `full`: the whole directory (emails, groups),
    for agents; otherwise only what picks someone to @mention, and `q` matches no email (an
    email a reader may not see must not be guessable by searching for it)."""
    users = User.objects.filter(is_active=True)
    users = users.prefetch_related("support_groups") if full else users.only(*COLLEAGUE_FIELDS)
    if role:
        users = users.filter(role=role)
    if not q:
        return users.order_by("full_name", "id")
    starts = Q(full_name__istartswith=q) | Q(full_name__icontains=f" {q}")
    starts |= Q(full_name__icontains=f"-{q}") | Q(handle__istartswith=q)
    matches = Q(full_name__icontains=q) | Q(handle__icontains=q)
    if full:
        matches |= Q(email__icontains=q)
    users = users.filter(matches).annotate(rank=Case(When(starts, then=Value(0)), default=Value(1)))
    return users.order_by("rank", "full_name", "id")


def users_by_handles(handles: set[str]) -> list[User]:
    if not handles:
        return []
    return list(User.objects.filter(is_active=True, handle__in={h.lower() for h in handles}))


def internal_staff() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role=Role.INTERNAL)


_colleagues_cache: tuple[float, list[User]] = (0.0, [])
COLLEAGUES_SECONDS = 30


def active_colleagues() -> list[User]:
    """Everyone who can own or be handed a ticket, read at most every 30 s per process (the
    ticket page lists them for the owner field and the hand-off dialog)."""
    global _colleagues_cache
    read_at, people = _colleagues_cache
    if time.monotonic() - read_at > COLLEAGUES_SECONDS:
        people = list(User.objects.filter(is_active=True)
                      .only("id", "full_name", "role", "title").order_by("full_name"))  # fmt: skip
        _colleagues_cache = (time.monotonic(), people)
    return people


def forget_active_colleagues() -> None:
    global _colleagues_cache
    _colleagues_cache = (0.0, [])
