"""Authentication backends: the login throttle comes first (settings.AUTHENTICATION_BACKENDS)."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses every login for an account or a client address that is locked out (see
    accounts/login_throttle.py); the next backend checks the password.

    Every password a person types reaches `authenticate()` with its request (the login page,
    the admin's login page, DRF's session login): those are throttled. A call without a request
    comes from our own code or a test client, not from a client address, and is let through
    rather than refused with an error."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
