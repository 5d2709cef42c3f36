"""Language and time zone follow the signed-in user's own setting, then the browser."""

from __future__ import annotations

from django.utils import timezone, translation

from helpdesk.times import ZONE_COOKIE, viewer_zone


class UserPreferencesMiddleware:
    """Sits after AuthenticationMiddleware (and LocaleMiddleware, which picked the browser's
    language): a user's chosen language and time zone win over what the browser says. Anyone
    else (a customer on their status page) sees times in the browser's zone once a page has
    told us it, and until then in the one their language suggests (helpdesk/times.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        page = not request.path.startswith("/api/")  # the API answers in ISO, zone as saved
        if user.is_authenticated:
            apply_preferences(request, user, guess_zone=page)
        elif page:
            activate_zone(request, saved="")
        response = self.get_response(request)
        timezone.deactivate()
        return response


def activate_zone(request, *, saved: str, guess: bool = True) -> None:
    zone = viewer_zone(
        saved=saved,
        cookie=request.COOKIES.get(ZONE_COOKIE, "") if guess else "",
        language=(translation.get_language() or "") if guess else "",
    )
    if zone is None:
        timezone.deactivate()
    else:
        timezone.activate(zone)


def apply_preferences(request, user, *, guess_zone: bool = False) -> None:
    """Answer this request in the user's language and time zone, where they chose them; pages
    (`guess_zone`) otherwise in the browser's zone. Also called once an API token has named
    the user (that happens in the view, after the middleware ran): the API's times stay in
    the saved zone or the server's."""
    if user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
    activate_zone(request, saved=user.time_zone, guess=guess_zone)
