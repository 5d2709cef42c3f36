from __future__ import annotations

from typing import TYPE_CHECKING

from comments.models import Notification

if TYPE_CHECKING:
    from accounts.models import User

NOTIFICATION_PAGE = 50


def notifications_for(*, user: User, unread_only: bool = False) -> list[Notification]:
    notifications = (
        Notification.objects.filter(user=user)
        .select_related("ticket", "actor")
        .defer("ticket__search_vector")
    )
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return list(notifications.order_by("-created_at", "-id")[:NOTIFICATION_PAGE])


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
