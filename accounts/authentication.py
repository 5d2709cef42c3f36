"""API token authentication, with the token's query compiled once (helpdesk/prepared.py) and
its answer kept for a moment: every API request pays for this lookup.

A client that calls the API many times a second (an integration importing tickets, a load
test) would otherwise spend a tenth of each request's CPU asking the database who its token
belongs to, again. Each process keeps the answer for `HELPDESK_API_TOKEN_CACHE_SECONDS`
(2 s by default): a token deleted or a user deactivated, demoted or given another language
is seen at once in the process that made the change (saving a user or a token clears the
cache) and within those seconds in every other one. Unknown tokens are never kept.
"""

from __future__ import annotations

import copy
import time

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from accounts.middleware import apply_preferences
from helpdesk.prepared import PreparedQuery

_token_of = PreparedQuery(
    lambda key: Token.objects.select_related("user").filter(key=key)[:1], key=str
)
# At most this many tokens are kept per process; past it the cache starts again empty.
RECENT_TOKENS_MAX = 1000
# key -> (token with its user, until when it may be used without asking the database)
_recent: dict[str, tuple[Token, float]] = {}


def forget_tokens(**_signal) -> None:
    """Ask the database again for every token (connected to saves and deletes of users and
    tokens in accounts/apps.py)."""
    _recent.clear()


def _token(key: str) -> Token | None:
    now = time.monotonic()
    found = _recent.get(key)
    if found is not None and found[1] > now:
        return found[0]
    rows = _token_of(key=key)
    if not rows:
        return None
    token = rows[0]
    if settings.HELPDESK_API_TOKEN_CACHE_SECONDS > 0 and token.user.is_active:
        if len(_recent) >= RECENT_TOKENS_MAX:
            _recent.clear()
        _recent[key] = (token, now + settings.HELPDESK_API_TOKEN_CACHE_SECONDS)
    return token


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            # The middleware saw an anonymous request: the token names the user only now.
            apply_preferences(request._request, found[0])
        return found

    def authenticate_credentials(self, key):
        token = _token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # A copy per request: whatever a request caches on its user stays with that request.
        user = copy.copy(token.user)
        return (user, token)
