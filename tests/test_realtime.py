"""The workspace websocket over the real Redis channel layer: who hears what, and when.

Each test runs one event loop (`async_to_sync`) for its whole story: services are called
through `sync_to_async`, so they commit for real and publish after commit, exactly as a
request would.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlparse

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from rest_framework.authtoken.models import Token

from comments.services import comment_create
from helpdesk.asgi import application
from tests.conftest import inbound
from tickets import services
from tickets.types import ThreadHints

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("own_channel_layer")]

HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


class WebsocketCommunicator(ApplicationCommunicator):
    """A browser's websocket, spoken in ASGI. (`channels.testing` cannot be imported here: it
    pulls in daphne, which the project does not install.)"""

    def __init__(self, app, path: str, headers: list[tuple[bytes, bytes]]):
        url = urlparse(path)
        scope = {
            "type": "websocket",
            "path": url.path,
            "query_string": url.query.encode(),
            "headers": headers,
            "subprotocols": [],
        }
        super().__init__(app, scope)

    async def connect(self, timeout: float = 1) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        answer = await self.receive_output(timeout)
        if answer["type"] == "websocket.close":
            return False, answer.get("code", 1000)
        assert answer["type"] == "websocket.accept"
        return True, None

    async def send_json_to(self, data: dict) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 1) -> dict:
        frame = await self.receive_output(timeout)
        assert frame["type"] == "websocket.send", frame
        return json.loads(frame["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


ingest = sync_to_async(services.ticket_ingest)
hand_off = sync_to_async(services.ticket_hand_off)
comment = sync_to_async(comment_create)


def socket_for(user=None) -> WebsocketCommunicator:
    path = "/ws/" if user is None else f"/ws/?token={Token.objects.create(user=user).key}"
    return WebsocketCommunicator(application, path, headers=HEADERS)


async def connected(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    ok, _ = await communicator.connect(timeout=3)
    assert ok
    return communicator


async def collect(communicator: WebsocketCommunicator, seconds: float) -> list[dict]:
    """Everything the socket receives within `seconds` (drains it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    received = []
    while (left := deadline - loop.time()) > 0:
        if await communicator.receive_nothing(timeout=left, interval=0.01):
            break
        received.append(await communicator.receive_json_from())
    return received


async def next_event(communicator, kind: str, ticket_id: int, within: float = 1.0) -> dict:
    """The first `kind` event about `ticket_id` within `within` seconds, skipping others."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (left := deadline - loop.time()) > 0:
        if await communicator.receive_nothing(timeout=left, interval=0.01):
            break
        event = await communicator.receive_json_from()
        if event["type"] == kind and event.get("ticket_id") == ticket_id:
            return event
    raise AssertionError(f"no {kind} for ticket {ticket_id} within {within} s")


def about(events: list[dict], ticket_id: int) -> list[dict]:
    return [e for e in events if e.get("ticket_id") == ticket_id]


def test_a_socket_without_a_valid_token_is_refused(agent):
    anonymous = socket_for()
    forged = WebsocketCommunicator(application, "/ws/?token=not-a-real-token", headers=HEADERS)

    async def story():
        return await anonymous.connect(timeout=3), await forged.connect(timeout=3)

    (anonymous_ok, anonymous_code), (forged_ok, forged_code) = async_to_sync(story)()

    assert (anonymous_ok, anonymous_code) == (False, 4401)
    assert (forged_ok, forged_code) == (False, 4401)


def test_an_agent_hears_of_a_new_ticket_within_a_second(agent):
    socket = socket_for(agent)

    async def story():
        await connected(socket)
        await collect(socket, 0.1)
        result = await ingest(
            message=inbound(sender="rt-new@mail.example", external_id="<rt-new@mail.example>")
        )
        event = await next_event(socket, "ticket.created", result.ticket.pk, within=1.0)
        await socket.disconnect()
        return result.ticket, event

    ticket, event = async_to_sync(story)()

    assert event["ticket"]["number"] == ticket.number
    assert event["ticket"]["subject"] == "Backpack discount"
    assert event["ticket"]["status"] == "new"


def test_an_agent_watching_a_ticket_hears_the_customer_write_again_once(agent):
    socket = socket_for(agent)

    async def story():
        first = await ingest(
            message=inbound(sender="rt-watch@mail.example", external_id="<rt-w1@mail.example>")
        )
        await connected(socket)
        await socket.send_json_to({"action": "watch", "number": first.ticket.number})
        watching = await socket.receive_json_from(timeout=1)
        await collect(socket, 0.2)
        again = await ingest(
            message=inbound(
                sender="rt-watch@mail.example",
                external_id="<rt-w2@mail.example>",
                text="Any news?",
                hints=ThreadHints(external_ids=("<rt-w1@mail.example>",)),
            )
        )
        event = await next_event(socket, "message.created", first.ticket.pk, within=1.0)
        rest = about(await collect(socket, 0.3), first.ticket.pk)
        await socket.disconnect()
        return first.ticket, again, watching, event, rest

    ticket, again, watching, event, rest = async_to_sync(story)()

    assert watching == {"type": "watching", "ticket_id": ticket.pk}
    assert again.ticket.pk == ticket.pk
    assert event["message"]["id"] == again.message.pk
    assert event["message"]["direction"] == "in"
    assert event["ticket"]["number"] == ticket.number
    # Both the ticket group and the agents group carry it; the socket delivers it once.
    assert [e for e in rest if e["type"] == "message.created"] == []


def test_internal_staff_hear_only_of_tickets_handed_to_them(agent, internal):
    socket = socket_for(internal)

    async def story():
        await connected(socket)
        elsewhere = await ingest(
            message=inbound(sender="rt-else@mail.example", external_id="<rt-else@mail.example>")
        )
        asked = await ingest(
            message=inbound(sender="rt-ask@mail.example", external_id="<rt-ask@mail.example>")
        )
        before = await collect(socket, 0.5)
        await hand_off(
            ticket=asked.ticket, by=agent, to_user=internal, note="Is this a pricing bug?"
        )
        event = await next_event(socket, "ticket.updated", asked.ticket.pk, within=1.0)
        await ingest(
            message=inbound(
                sender="rt-else@mail.example",
                external_id="<rt-else-2@mail.example>",
                hints=ThreadHints(external_ids=("<rt-else@mail.example>",)),
            )
        )
        after = await collect(socket, 0.5)
        await socket.disconnect()
        return elsewhere.ticket, asked.ticket, before, event, after

    elsewhere, asked, before, event, after = async_to_sync(story)()

    assert about(before, elsewhere.pk) == []
    assert about(before, asked.pk) == []
    assert event["ticket"]["assignee_id"] == internal.pk
    assert "assignee" in event["changed"]
    assert about(after, elsewhere.pk) == []


def test_an_internal_comment_reaches_agents_and_never_uninvolved_internal_staff(
    agent, internal_other
):
    agent_socket = socket_for(agent)
    outsider_socket = socket_for(internal_other)

    async def story():
        result = await ingest(
            message=inbound(sender="rt-note@mail.example", external_id="<rt-note@mail.example>")
        )
        await connected(agent_socket)
        await connected(outsider_socket)
        await outsider_socket.send_json_to({"action": "watch", "number": result.ticket.number})
        watch_answer = await outsider_socket.receive_json_from(timeout=1)
        await collect(agent_socket, 0.1)
        note = await comment(
            ticket=result.ticket, by=agent, text="The 10% coupon expired yesterday."
        )
        event = await next_event(agent_socket, "comment.created", result.ticket.pk, within=1.0)
        outsider_heard = await collect(outsider_socket, 0.5)
        await agent_socket.disconnect()
        await outsider_socket.disconnect()
        return result.ticket, watch_answer, note, event, outsider_heard

    ticket, watch_answer, note, event, outsider_heard = async_to_sync(story)()

    assert watch_answer["type"] == "error"
    assert event["comment"]["id"] == note.pk
    assert event["ticket"]["number"] == ticket.number
    assert about(outsider_heard, ticket.pk) == []


def test_a_mentioned_internal_colleague_hears_the_comment(agent, internal):
    socket = socket_for(internal)

    async def story():
        result = await ingest(
            message=inbound(
                sender="rt-mention@mail.example", external_id="<rt-mention@mail.example>"
            )
        )
        await connected(socket)
        note = await comment(ticket=result.ticket, by=agent, text="@dima can you check the logs?")
        event = await next_event(socket, "comment.created", result.ticket.pk, within=1.0)
        await socket.disconnect()
        return note, event

    note, event = async_to_sync(story)()

    assert event["comment"]["id"] == note.pk
