"""API token authentication, with the token's query compiled once (helpdesk/prepared.py):
every API request pays for this lookup."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from accounts.middleware import apply_preferences
from helpdesk.prepared import PreparedQuery

_token_of = PreparedQuery(
    lambda key: Token.objects.select_related("user").filter(key=key)[:1], key=str
)


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            # The middleware saw an anonymous request: the token names the user only now.
            apply_preferences(request._request, found[0])
        return found

    def authenticate_credentials(self, key):
        found = _token_of(key=key)
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = found[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
