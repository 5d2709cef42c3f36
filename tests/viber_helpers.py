"""The Viber corpus and a signed post to the webhook, for the Viber tests."""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import cache
from pathlib import Path

from django.conf import settings

TOKEN = "test-token-123"


def corpus_dir() -> Path:
    return settings.BASE_DIR.parent / "shared" / "corpus" / "viber"


@cache
def expected() -> dict[str, dict]:
    records = json.loads((corpus_dir() / "expected.json").read_text())
    return {record["file"]: record for record in records}


def corpus_bytes(name: str) -> bytes:
    raw = (corpus_dir() / name).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == expected()[name]["sha256"], name
    return raw


def sign(body: bytes, token: str = TOKEN) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def post(client, bot, body: bytes, signature: str | None = None, **extra):
    headers = {} if signature == "" else {"X-Viber-Content-Signature": signature or sign(body)}
    return client.generic(
        "POST",
        f"/api/v1/inbound/viber/{bot.pk}/",
        body,
        content_type="application/json",
        headers=headers,
        **extra,
    )
