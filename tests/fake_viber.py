"""A local server speaking the Viber REST bot API (https://chatapi.viber.com/pa/...), for the
tests: the methods the helpdesk uses, with Viber's real JSON, statuses and checks.

Every call must carry a known `X-Viber-Auth-Token`; answers are HTTP 200 with Viber's
`status` / `status_message` (0 "ok"). A test can script the next answers of a method
(`server.script("send_message", {"status": 6, ...})`, or an HTTP status for a 5xx), and reads
what the helpdesk sent in `server.calls`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import urllib.request
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FIRST_TOKEN = 5741311803571721087
STATUS_MESSAGES = {
    0: "ok",
    1: "invalidUrl",
    2: "invalidAuthToken",
    3: "badData",
    4: "missingData",
    5: "receiverNotRegistered",
    6: "receiverNotSubscribed",
    7: "publicAccountBlocked",
    8: "publicAccountNotFound",
    9: "publicAccountSuspended",
    10: "webhookNotSet",
    11: "receiverNoSuitableDevice",
    12: "tooManyRequests",
    13: "apiVersionNotSupported",
}
MESSAGE_TYPES = ("text", "picture", "video", "file", "location", "contact", "sticker", "url")


@dataclass
class Call:
    method: str
    token: str
    body: dict[str, Any]


@dataclass
class FakeViber:
    tokens: dict[str, str] = field(default_factory=dict)  # token -> account name
    calls: list[Call] = field(default_factory=list)
    scripted: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    # The media host: URL -> (HTTP status, content type, bytes). Viber's media links are on
    # its own hosts; the tests route them here as an HTTP proxy (see media_through).
    media: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    url: str = ""
    webhook: str = ""

    def __post_init__(self) -> None:
        self._tokens = itertools.count(FIRST_TOKEN)
        self.lock = threading.Lock()

    def script(self, method: str, *answers: dict | int) -> None:
        """The next answers of `method`: a JSON body (HTTP 200), or an HTTP status alone."""
        self.scripted[method].extend(answers)

    def sent(self) -> list[dict[str, Any]]:
        return [call.body for call in self.calls if call.method == "send_message"]

    def answer(self, method: str, token: str, body: dict[str, Any]) -> tuple[int, dict | None]:
        with self.lock:
            self.calls.append(Call(method, token, body))
            if self.scripted[method]:
                scripted = self.scripted[method].popleft()
                return (scripted, None) if isinstance(scripted, int) else (200, scripted)
            if token not in self.tokens:
                return 200, status(2)
            if method == "send_message":
                return 200, self._send_message(body)
            if method == "get_account_info":
                return 200, {**status(0), "id": "pa:5143254341217123000",
                             "name": self.tokens[token], "uri": "shopsupport",
                             "icon": "https://media.example/icon.jpg", "country": "RU",
                             "webhook": self.webhook, "subscribers_count": 35,
                             "event_types": ["delivered", "seen", "failed", "subscribed",
                                             "unsubscribed", "conversation_started"]}  # fmt: skip
            if method == "set_webhook":
                return 200, self._set_webhook(token, body)
            return 200, {**status(1), "status_message": "invalidUrl"}

    def _set_webhook(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """As Viber does: a signed `webhook` callback to the address first; anything but 200
        there and the webhook is refused."""
        url = body.get("url") or ""
        if not url.startswith(("http://", "https://")):
            return status(1)
        check = json.dumps({"event": "webhook", "timestamp": 1595347748566,
                            "chat_hostname": "SN-CHAT-22_",
                            "message_token": next(self._tokens)}).encode()  # fmt: skip
        signature = hmac.new(token.encode(), check, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Viber-Content-Signature": signature}
        request = urllib.request.Request(url, data=check, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.build_opener().open(request, timeout=10) as answer:
                ok = answer.status == 200
        except (OSError, ValueError):
            ok = False
        if not ok:
            return status(1)
        self.webhook = url
        return {**status(0), "event_types": body.get("event_types") or []}

    def _send_message(self, body: dict[str, Any]) -> dict[str, Any]:
        sender = body.get("sender") or {}
        if not body.get("receiver") or body.get("type") not in MESSAGE_TYPES:
            return status(3)
        if not sender.get("name") or len(sender["name"]) > 28:
            return status(3)
        if body["type"] == "text" and not 0 < len(body.get("text") or "") <= 7000:
            return status(3)
        if body["type"] in ("picture", "video", "file") and not body.get("media"):
            return status(4)
        if body["type"] == "file" and not (body.get("file_name") and body.get("size")):
            return status(4)
        return {**status(0), "message_token": next(self._tokens), "chat_hostname": "SN-CHAT-05_",
                "billing_status": 1}  # fmt: skip


def status(code: int) -> dict[str, Any]:
    return {"status": code, "status_message": STATUS_MESSAGES[code], "chat_hostname": "SN-CHAT-05_"}


def handler_for(fake: FakeViber):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            method = self.path.rstrip("/").rsplit("/", 1)[-1]
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._reply(200, status(3))
                return
            code, answer = fake.answer(method, self.headers.get("X-Viber-Auth-Token", ""), body)
            self._reply(code, answer)

        def _reply(self, code: int, answer: dict | None) -> None:
            data = json.dumps(answer).encode() if answer is not None else b"Service Unavailable"
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            url = self.path if "://" in self.path else f"{fake.url.removesuffix('/pa')}{self.path}"
            fake.fetched.append(url)
            code, content_type, content = fake.media.get(url.rstrip("/"), (404, "text/plain", b""))
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    return Handler


def media_through(fake: FakeViber, monkeypatch) -> None:
    """Fetch every plain-HTTP media link from the fake, as a proxy would (the corpus's links
    are on hosts the tests cannot and must not reach)."""
    monkeypatch.setenv("http_proxy", fake.url.removesuffix("/pa"))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def fake_viber_fixture(settings, tokens: dict[str, str]):
    fake = FakeViber(tokens=dict(tokens))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/pa"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.VIBER_API_BASE_URL = fake.url
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
