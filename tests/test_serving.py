"""How `make run` serves the product: the pages and the API by granian (WSGI) on PORT, the
websockets by uvicorn on REALTIME_PORT, and pages that know where their websocket is."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time

import pytest
from django.core.cache import cache
from django.db import connection

from bench.processes import free_port, stop, wait_for_port
from scripts.devrun.common import ROOT, Options, read_options
from scripts.devrun.supervisor import child_commands
from tickets.models import Ticket


def test_pages_on_port_and_websockets_on_the_next_one_unless_told():
    assert read_options({"PORT": "9000"}).realtime_port == 9001
    assert read_options({"PORT": "9000", "REALTIME_PORT": "7000"}).realtime_port == 7000

    commands = child_commands(read_options({"PORT": "9000", "WEB_CONCURRENCY": "3"}))

    web, realtime = commands["web"], commands["realtime"]
    assert web[web.index("--interface") + 1] == "wsgi" and "helpdesk.wsgi:application" in web
    assert web[web.index("--port") + 1] == "9000" and web[web.index("--workers") + 1] == "3"
    assert "uvicorn" in realtime and "helpdesk.asgi:application" in realtime
    assert realtime[realtime.index("--port") + 1] == "9001"


@pytest.mark.parametrize(("port", "rendered"), [(8101, 'data-realtime-port="8101"'),
                                                 (0, 'data-realtime-port=""')])  # fmt: skip
def test_pages_open_their_websocket_where_it_is_served(client, agent, settings, port, rendered):
    settings.REALTIME_PORT = port
    client.force_login(agent)

    page = client.get("/tickets/").content.decode()

    assert rendered in page
    script = (ROOT / "static" / "js" / "live.js").read_text()
    assert "body.dataset.realtimePort" in script


def _request(base: str, method: str, path: str, payload=None, headers=None) -> tuple[int, dict]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        body = None if payload is None else json.dumps(payload)
        connection.request(
            method, path, body, {"Content-Type": "application/json", **(headers or {})}
        )
        response = connection.getresponse()
        content = response.read()
        return response.status, json.loads(content) if content.startswith(b"{") else {}
    finally:
        connection.close()


@pytest.fixture
def web_server(transactional_db):
    """`make run`'s web command on a free port, against the test database, with the web
    form's counters of this test process's Redis database cleared (other tests submit from
    127.0.0.1 too, within the same minute)."""
    cache.clear()
    port = free_port()
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "HELPDESK_WEBFORM_RATE_LIMIT": "1/minute",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    options = Options(host="127.0.0.1", port=port, realtime_port=0, web_concurrency=1,
                      celery_concurrency=1)  # fmt: skip
    log = ROOT / "var" / "test" / f"granian-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - make run's own command
            child_commands(options)["web"], cwd=ROOT, env=env, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        log.unlink(missing_ok=True)


def test_the_web_server_answers_and_wakes_the_inbox_after_the_answer(web_server):
    assert _request(web_server, "GET", "/healthz")[0] == 200

    form = {"name": "Olga", "email": "olga@mail.example", "subject": "Refund", "text": "Hello"}
    status, body = _request(web_server, "POST", "/api/v1/public/tickets/", form)

    assert status == 201, body
    # The ticket is made by the drainer the answer woke (after the last byte was sent).
    deadline = time.monotonic() + 10
    while not Ticket.objects.filter(number=body["number"]).exists():
        assert time.monotonic() < deadline, "the web form's ticket was never created"
        time.sleep(0.1)


def test_a_local_proxy_names_the_client_the_rate_limit_counts(web_server):
    """Behind a proxy on the same machine every request comes from 127.0.0.1: the web form's
    limit (1 a minute here) must count the clients the proxy names, not the proxy."""

    def submit(client: str, n: int) -> int:
        form = {"name": "A", "email": f"a{n}@mail.example", "subject": "Hi", "text": "Hello"}
        headers = {"X-Forwarded-For": client}
        return _request(web_server, "POST", "/api/v1/public/tickets/", form, headers)[0]

    assert submit("203.0.113.7", 1) == 201
    assert submit("203.0.113.8", 2) == 201  # another client: not limited by the first
    assert submit("203.0.113.7", 3) == 429
