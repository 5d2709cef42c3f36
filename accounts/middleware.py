"""Language and time zone follow the signed-in user's own setting, then the browser."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """Sits after AuthenticationMiddleware (and LocaleMiddleware, which picked the browser's
    language): a user's chosen language and time zone win over what the browser says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            apply_preferences(request, user)
        response = self.get_response(request)
        timezone.deactivate()
        return response


def apply_preferences(request, user) -> None:
    """Answer this request in the user's language and time zone, where they chose them. Also
    called once an API token has named the user (that happens in the view, after the
    middleware ran)."""
    if user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
    if user.time_zone:
        try:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
