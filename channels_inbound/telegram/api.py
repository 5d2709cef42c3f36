"""The Bot API client: one method call, one file download. Plain HTTPS with JSON, at the
base URL of the settings."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

# getFile serves files up to this size; larger ones cannot be downloaded by a bot.
GET_FILE_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    field: str
    name: str
    content_type: str
    content: bytes


def multipart(params: dict[str, Any], uploads: list[Upload]) -> tuple[bytes, str]:
    boundary = "----helpdesk" + secrets.token_hex(16)
    parts = []
    for key, value in params.items():
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                     f"{text}\r\n".encode())  # fmt: skip
    for upload in uploads:
        plain = "".join(c for c in upload.name if c not in '"\\\r\n') or "file"
        quoted = urllib.parse.quote(upload.name)
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{upload.field}"; '
            f"filename=\"{plain}\"; filename*=UTF-8''{quoted}\r\n"
            f"Content-Type: {upload.content_type}\r\n\r\n".encode()
            + upload.content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class TelegramError(Exception):
    """The Bot API answered `ok: false` (code and description as Telegram gave them), or
    could not be reached (code 0)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(f"Telegram {code}: {description}" if code else description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    @property
    def is_temporary(self) -> bool:
        return self.code == 0 or self.code == 429 or self.code >= 500


class BotApi:
    def __init__(self, token: str):
        self.token = token
        self.base = settings.TELEGRAM_API_BASE_URL.rstrip("/")

    def call(self, method: str, *, uploads: list[Upload] = (), **params: Any) -> Any:
        """The method's `result`, or TelegramError. With `uploads`, the parameters and the
        files go as multipart/form-data (sendPhoto, sendDocument, sendMediaGroup)."""
        if not uploads:
            body, content_type = json.dumps(params).encode(), "application/json"
        else:
            body, content_type = multipart(params, list(uploads))
        request = urllib.request.Request(  # noqa: S310 - the base URL is an https setting
            f"{self.base}/bot{self.token}/{method}",
            data=body,
            headers={"Content-Type": content_type},
        )
        try:
            # A long poll (getUpdates with a timeout) may take that long before it answers.
            wait = settings.TELEGRAM_API_TIMEOUT_SECONDS + float(params.get("timeout") or 0)
            with urllib.request.urlopen(request, timeout=wait) as response:  # noqa: S310
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            answer = _error_answer(error)
        except (OSError, ValueError) as error:
            raise TelegramError(0, f"Telegram could not be reached: {error}") from None
        if not answer.get("ok"):
            parameters = answer.get("parameters") or {}
            raise TelegramError(
                int(answer.get("error_code") or 0) or 500,
                str(answer.get("description") or "no description"),
                parameters.get("retry_after"),
            )
        return answer.get("result")

    def download(self, file_path: str) -> bytes:
        url = f"{self.base}/file/bot{self.token}/{urllib.parse.quote(file_path)}"
        try:
            with urllib.request.urlopen(  # noqa: S310
                url, timeout=settings.TELEGRAM_API_TIMEOUT_SECONDS
            ) as response:
                return response.read(GET_FILE_LIMIT + 1)
        except urllib.error.HTTPError as error:
            message = f"the file could not be downloaded ({error.code})"
            raise TelegramError(error.code, message) from None
        except OSError as error:
            raise TelegramError(0, f"Telegram could not be reached: {error}") from None


def _error_answer(error: urllib.error.HTTPError) -> dict:
    try:
        answer = json.loads(error.read())
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return {"ok": False, "error_code": error.code, "description": error.reason}
    answer.setdefault("error_code", error.code)
    return answer
