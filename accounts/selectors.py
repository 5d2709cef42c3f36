from __future__ import annotations

from django.db.models import Q, QuerySet

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


def user_list(*, role: str | None = None, q: str = "") -> QuerySet[User]:
    users = User.objects.filter(is_active=True).prefetch_related("support_groups")
    if role:
        users = users.filter(role=role)
    if q:
        users = users.filter(
            Q(full_name__icontains=q) | Q(email__icontains=q) | Q(handle__istartswith=q)
        )
    return users.order_by("full_name", "id")


def users_by_handles(handles: set[str]) -> list[User]:
    if not handles:
        return []
    return list(User.objects.filter(is_active=True, handle__in={h.lower() for h in handles}))


def internal_staff() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role=Role.INTERNAL)
