from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import PAID_ROLES, Role, User


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
