from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts import services

COMMON_ZONES = ["UTC", "Europe/Moscow", "Europe/Kaliningrad", "Europe/Samara", "Asia/Yekaterinburg",
                "Asia/Novosibirsk", "Asia/Vladivostok", "Europe/London", "Europe/Berlin",
                "America/New_York", "America/Los_Angeles", "Asia/Almaty"]  # fmt: skip


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    zones = sorted(set(COMMON_ZONES) | ({request.user.time_zone} - {""}))
    return render(request, "workspace/preferences.html", {"zones": zones})


@login_required
@require_POST
def preferences_save(request: HttpRequest) -> HttpResponse:
    zone = request.POST.get("time_zone", "")
    if zone and zone not in zoneinfo.available_timezones():
        messages.error(request, _("Unknown time zone."))
        return redirect("preferences")
    services.preferences_save(
        user=request.user, language=request.POST.get("language", ""), time_zone=zone
    )
    messages.success(request, _("Saved."))
    return redirect("preferences")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The header's language switch. A signed-in person's saved language wins over the
    cookie, so the switch changes the saved one; then Django's own view sets the cookie and
    goes back to the page."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in ("en", "ru"):
        services.preferences_save(
            user=request.user, language=language, time_zone=request.user.time_zone
        )
    return set_language(request)
