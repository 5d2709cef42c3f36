"""Signed links to a customer's status page: the ticket number and the customer's address,
signed with the secret key and a timestamp. Nobody can make one up; each expires."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from helpdesk.errors import Gone, NotFound

SALT = "helpdesk.status-link"


@dataclass(frozen=True)
class StatusLink:
    number: int
    email: str


def make_token(number: int, email: str) -> str:
    return signing.dumps({"n": number, "e": email}, salt=SALT, compress=True)


def status_url(number: int, email: str) -> str:
    return f"{settings.SITE_URL}/status/{make_token(number, email)}/"


def read_token(token: str) -> StatusLink:
    max_age = settings.HELPDESK_STATUS_LINK_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise Gone(
            _(
                "This link has expired. Reply to any of our emails about your request, or send "
                "a new request, and we will answer with a fresh link."
            )
        ) from None
    except signing.BadSignature:
        raise NotFound(
            _("This link is not valid. Check that you copied it whole from our email.")
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("n"), int):
        raise NotFound(_("This link is not valid. Check that you copied it whole from our email."))
    return StatusLink(number=data["n"], email=str(data.get("e", "")))
