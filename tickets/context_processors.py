from django.conf import settings
from django.utils.functional import SimpleLazyObject

from tickets import queues


def workspace(request):
    """The left rail for every workspace page, computed only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "realtime_port": settings.REALTIME_PORT or "",
        "queues": SimpleLazyObject(lambda: queues.queues_for(user)),
        "saved_filters": SimpleLazyObject(
            lambda: queues.saved_filters_for(user) if user.is_agent else []
        ),
    }
