"""Secrets stored in the database (mailbox passwords) are encrypted with a key derived from
SECRET_KEY: a dump of the database alone does not give away a mailbox."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"helpdesk.secrets:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    """The stored secret, or "" when it cannot be read (SECRET_KEY changed): the mailbox then
    fails to log in with a clear error instead of crashing the poller."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


class Encrypted:
    """A model attribute kept encrypted in another field: `token = Encrypted("token_encrypted")`
    reads back the plain secret and stores whatever is assigned encrypted."""

    def __init__(self, field: str) -> None:
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return decrypt(getattr(instance, self.field))

    def __set__(self, instance, value: str) -> None:
        setattr(instance, self.field, encrypt(value))
