from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import ApplicationError


@transaction.atomic
def preferences_save(*, user: User, language: str, time_zone: str) -> User:
    """A person's own language (empty: follow the browser) and time zone."""
    if language not in ("", "en", "ru"):
        raise ApplicationError(_("Language must be English, Russian or the browser's."))
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])
    return user
