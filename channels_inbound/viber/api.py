"""Calling the Viber REST bot API: one JSON POST per method at `VIBER_API_BASE_URL`.

Viber answers HTTP 200 with a `status` (0: ok) and a `status_message`; anything else (a network
error, a 5xx, a body that is not Viber's) is a temporary failure. No transaction is held while
it waits."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

TIMEOUT_SECONDS = 10


class ViberUnavailable(Exception):
    """Viber could not be asked (network, 5xx, garbage): try again later."""


def call(token: str, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Viber's answer to `method`, whatever its status; ViberUnavailable when there is none."""
    request = urllib.request.Request(  # noqa: S310 - the base URL is our setting, http(s) only
        f"{settings.VIBER_API_BASE_URL.rstrip('/')}/{method}",
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"X-Viber-Auth-Token": token, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        # An opener per call, not urlopen's shared one: it takes the proxy settings of the
        # environment as they are now, not as they were at the first call.
        opener = urllib.request.build_opener()
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        raise ViberUnavailable(f"Viber answered HTTP {error.code}.") from None
    except (OSError, ValueError) as error:
        raise ViberUnavailable(f"Viber is unreachable: {error}") from None
    try:
        answer = json.loads(body)
    except ValueError:
        raise ViberUnavailable("Viber's answer is not JSON.") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("status"), int):
        raise ViberUnavailable("Viber's answer has no status.")
    return answer
