"""What the login throttle (django-axes) counts and what a locked-out person sees.

Failures are counted per account (the email as typed, case and spaces aside) and, apart,
per client address; either reaching `HELPDESK_LOGIN_FAILURE_LIMIT` locks logins for it for
`HELPDESK_LOGIN_LOCKOUT_MINUTES`, counted from the last attempt (an attempt during the lock
starts the wait again, the right password included)."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def attempted_account(request: HttpRequest, credentials: dict | None) -> str:
    return str((credentials or {}).get("username") or "").strip().lower()


def client_address(request: HttpRequest) -> str | None:
    """The address the web server names (it trusts X-Forwarded-For only from
    `FORWARDED_ALLOW_IPS`), as the web form's rate limit counts it; None for a request made
    in code (a test client's `force_login`)."""
    return request.META.get("REMOTE_ADDR") or None


def wait_words(window) -> str:
    seconds = max(1, math.ceil(window.total_seconds()))
    if seconds < 120:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def lockout_message() -> str:
    return _(
        "Too many failed attempts to log in. Try again in %(wait)s, or ask an admin to "
        "unlock the account."
    ) % {"wait": wait_words(settings.AXES_COOLOFF_TIME)}


def locked_out_page(request: HttpRequest, response, credentials: dict | None) -> HttpResponse:
    """The login page again, with the lockout message, answered 429 (AXES_LOCKOUT_CALLABLE)."""
    context = {
        "form": AuthenticationForm(request),
        "locked_out": lockout_message(),
        "locked_account": attempted_account(request, credentials),
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
