"""A local Bot API server for the tests: the methods the helpdesk uses, with Telegram's own
JSON (`{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description",
"parameters"}`), files served by getFile and /file/bot<token>/<path>, and errors on demand
(429 with retry_after, 403 blocked, 5xx)."""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GET_FILE_LIMIT = 20 * 1024 * 1024


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeBotApi:
    token: str = "7012345678:AAF-fake-token-for-tests_0123456789"
    username: str = "acme_helpdesk_bot"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    files: dict[str, tuple[str, bytes, int]] = field(default_factory=dict)
    failures: dict[str, list[Failure | None]] = field(default_factory=dict)
    next_message_id: int = 9000
    url: str = ""
    # The webhook as set (url, secret_token), and the updates Telegram keeps for getUpdates:
    # those before the last `offset` asked for are confirmed and gone, as at Telegram.
    webhook: dict[str, Any] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    updates_delay: float = 0.0
    # Called once an answer to getUpdates is on its way: a test kills the poller there.
    after_updates: Any = None

    def add_file(self, file_id: str, content: bytes, *, size: int | None = None) -> None:
        """A file getFile knows; `size` larger than 20 MB makes it one getFile refuses."""
        path = f"documents/file_{len(self.files)}"
        self.files[file_id] = (path, content, len(content) if size is None else size)

    def fail(self, method, status, description, *, retry_after=None, times=1, after=0):
        """The next `times` calls of `method` fail, once `after` more have gone through."""
        self.failures.setdefault(method, []).extend(
            [None] * after + [Failure(status, description, retry_after)] * times
        )

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    # --- the methods -----------------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append((method, params))
        queued = self.failures.get(method)
        failure = queued.pop(0) if queued else None
        if failure is not None:
            answer = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                answer["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, answer
        handler = getattr(self, f"do_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return handler(params)

    def do_getMe(self, params):
        bot_id = int(self.token.split(":")[0])
        return ok({"id": bot_id, "is_bot": True, "first_name": "ACME Support",
                   "username": self.username})  # fmt: skip

    def do_getFile(self, params):
        found = self.files.get(str(params.get("file_id")))
        if found is None:
            return error(400, "Bad Request: invalid file_id")
        path, _, size = found
        if size > GET_FILE_LIMIT:
            return error(400, "Bad Request: file is too big")
        return ok({"file_id": params["file_id"], "file_unique_id": "u" + path[-6:],
                   "file_size": size, "file_path": path})  # fmt: skip

    def do_sendMessage(self, params):
        if "chat_id" not in params or not str(params.get("text", "")).strip():
            return error(400, "Bad Request: message text is empty")
        if len(str(params["text"])) > 4096:
            return error(400, "Bad Request: message is too long")
        self.next_message_id += 1
        return ok({"message_id": self.next_message_id, "date": int(time.time()),
                   "chat": {"id": params["chat_id"], "type": "private"},
                   "text": params["text"]})  # fmt: skip

    def _sent_file(self, params, field):
        upload = params.get(field)
        if "chat_id" not in params or not isinstance(upload, dict) or not upload["content"]:
            return error(400, f"Bad Request: there is no {field} in the request")
        self.next_message_id += 1
        return ok({"message_id": self.next_message_id, "date": int(time.time()),
                   "chat": {"id": params["chat_id"], "type": "private"},
                   field: {"file_id": f"sent-{self.next_message_id}",
                           "file_size": len(upload["content"])}})  # fmt: skip

    def do_sendMediaGroup(self, params):
        media = params.get("media")
        media = json.loads(media) if isinstance(media, str) else media
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            return error(400, "Bad Request: wrong number of media in the group")
        messages = []
        for item in media:
            name = str(item.get("media", "")).removeprefix("attach://")
            upload = params.get(name)
            if not isinstance(upload, dict) or not upload["content"]:
                return error(400, f"Bad Request: file {name} not found in the request")
            self.next_message_id += 1
            messages.append({"message_id": self.next_message_id, "date": int(time.time()),
                             "chat": {"id": params["chat_id"], "type": "private"},
                             "media_group_id": "album", "photo": [{"file_id": name}]})  # fmt: skip
        return ok(messages)

    def do_sendPhoto(self, params):
        return self._sent_file(params, "photo")

    def do_sendDocument(self, params):
        return self._sent_file(params, "document")

    def do_setWebhook(self, params):
        url, secret = str(params.get("url", "")), params.get("secret_token")
        if not url.startswith("https://"):
            return error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            return error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret,
                        "allowed_updates": params.get("allowed_updates")}  # fmt: skip
        return ok(True)

    def do_deleteWebhook(self, params):
        self.webhook = {}
        return ok(True)

    def do_getWebhookInfo(self, params):
        info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self.pending)}  # fmt: skip
        if self.webhook.get("last_error_message"):
            info["last_error_date"] = self.webhook["last_error_date"]
            info["last_error_message"] = self.webhook["last_error_message"]
        return ok(info)

    def do_getUpdates(self, params):
        if self.webhook.get("url"):
            return error(409, "Conflict: can't use getUpdates method while webhook is active; "
                              "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 5)
        while True:
            with self.lock:
                if offset:
                    self.pending = [u for u in self.pending if u["update_id"] >= offset]
                if self.pending or time.monotonic() >= deadline:
                    answer = self.pending[:limit]
                    break
            time.sleep(0.02)
        time.sleep(self.updates_delay)  # a slow answer: time for a poller to die mid-request
        return ok(answer)

    def do_answerCallbackQuery(self, params):
        return ok(True)

    def file_content(self, path: str) -> bytes | None:
        for file_path, content, _ in self.files.values():
            if file_path == path:
                return content
        return None


def form_data(content_type: str, body: bytes) -> dict[str, Any]:
    """Fields of a multipart/form-data body; a file as {"name", "content_type", "content"}."""
    parsed = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=email.policy.HTTP
    )
    fields: dict[str, Any] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        if part.get_filename() is not None:
            fields[name] = {"name": part.get_filename(), "content": content,
                            "content_type": part.get_content_type()}  # fmt: skip
        else:
            value = content.decode()
            fields[name] = int(value) if value.lstrip("-").isdigit() else value
    return fields


def ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def error(status: int, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"ok": False, "error_code": status, "description": description}


def _handler(api: FakeBotApi):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes, content_type="application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _params(self) -> dict[str, Any]:
            url = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(url.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if body and content_type.startswith("application/json"):
                params.update(json.loads(body))
            elif body and content_type.startswith("multipart/form-data"):
                params.update(form_data(content_type, body))
            elif body:
                params.update(urllib.parse.parse_qsl(body.decode()))
            return params

        def _route(self) -> None:
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            if path.startswith("/file/bot"):
                token, _, file_path = path.removeprefix("/file/bot").partition("/")
                content = api.file_content(file_path) if token == api.token else None
                if content is None:
                    self._send(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
                else:
                    self._send(200, content, "application/octet-stream")
                return
            token, _, method = path.removeprefix("/bot").partition("/")
            params = self._params()
            if token != api.token:
                status, answer = error(401, "Unauthorized")
            else:
                status, answer = api.answer(method, params)
            self._send(status, json.dumps(answer, ensure_ascii=False).encode())
            if method == "getUpdates" and api.after_updates is not None:
                self.wfile.flush()
                api.after_updates(answer.get("result") or [])

        do_GET = do_POST = _route  # noqa: N815

    return Handler


def fake_telegram_fixture(settings):
    """A running fake Bot API; the settings point the helpdesk at it for this test."""
    api = FakeBotApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_port}"
    settings.TELEGRAM_API_BASE_URL = api.url
    yield api
    server.shutdown()
    server.server_close()
