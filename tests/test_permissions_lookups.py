"""Ticket numbers reveal nothing: on every surface where a number or an id comes in, a ticket
the caller may not see and one that does not exist get exactly the same answer (status code
and message). The caller is internal staff, involved in one ticket (`seen`) and not in another
(`hidden`); `missing` is a number no ticket has."""

from __future__ import annotations

import json
import re

import pytest
from asgiref.sync import async_to_sync
from django.contrib.messages import get_messages
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from comments.services import comment_create
from helpdesk.asgi import application
from tests.conftest import inbound
from tests.test_realtime import HEADERS, WebsocketCommunicator
from tickets import services
from tickets.models import Attachment, CannedResponse, Ticket
from tickets.types import InboundAttachment


@pytest.fixture
def desk(support, agent, colleague, internal):
    seen = services.ticket_ingest(message=inbound(external_id="<seen@m>"), group=support).ticket
    services.ticket_hand_off(ticket=seen, by=agent, to_user=internal, note="A question")
    hidden = services.ticket_ingest(
        message=inbound(
            external_id="<hidden@m>",
            subject="Invoice 12",
            attachments=(InboundAttachment("bill.pdf", "application/pdf", b"%PDF secret"),),
        ),
        group=support,
    ).ticket
    return {
        "seen": seen,
        "hidden": hidden,
        "missing": Ticket.objects.order_by("-number").first().number + 1000,
        "hidden_attachment": Attachment.objects.get(message__ticket=hidden).pk,
        "missing_attachment": Attachment.objects.order_by("-pk").first().pk + 1000,
        "colleague": colleague,
    }


def _answer(response) -> tuple:
    """What a caller learns from an answer: its status, where it sends them, what it says."""
    if response.get("Content-Type", "").startswith("application/json"):
        body = json.dumps(response.json(), sort_keys=True)
    elif hasattr(response, "streaming_content"):
        body = b"".join(response.streaming_content).decode(errors="replace")
    else:
        body = response.content.decode()
    body = re.sub(r'(csrfmiddlewaretoken" value=|content=|"X-CSRFToken": )"[^"]*"', r"\1", body)
    flashed = [str(m) for m in get_messages(response.wsgi_request)] if response.wsgi_request else []
    return response.status_code, response.get("Location", ""), body, flashed


def _api(client: APIClient, method: str, url: str, data=None):
    return getattr(client, method)(url, data, format="json")


API_ACTIONS = ("reply", "comments", "assign", "hand-off", "hand-back", "status", "priority",
               "tags", "merge")  # fmt: skip


def api_input(action: str, desk) -> dict:
    """Valid input for each action, so that what answers is the ticket lookup."""
    return {
        "reply": {"text": "Hello"},
        "comments": {"text": "A note"},
        "assign": {"owner": desk["colleague"].pk},
        "hand-off": {"to_user": desk["colleague"].pk, "note": "Yours"},
        "hand-back": {"text": "Answer"},
        "status": {"status": "pending"},
        "priority": {"priority": "high"},
        "tags": {"add": ["vip"]},
        "merge": {"into": desk["seen"].number},
    }[action]


def surface_call(surface: str, target: str, desk, user, api, page):
    """Call `surface` with the hidden ticket (or its attachment) or the missing one."""
    number = desk["hidden"].number if target == "hidden" else desk["missing"]
    attachment = desk[f"{target}_attachment"]
    seen = desk["seen"].number
    if surface == "page":
        return page.get(f"/tickets/{number}/")
    if surface == "page canned response":
        canned = CannedResponse.objects.create(title="Hi", body="Hello {customer_name}")
        return page.get(f"/tickets/{number}/canned/{canned.pk}/")
    if surface.startswith("page:"):
        data = {
            "update": {"status": "pending"},
            "comment": {"text": "A note"},
            "hand-back": {"text": "Answer"},
            "hand-off": {"to": f"user:{desk['colleague'].pk}", "note": "Yours"},
            "assign-me": {},
            "reply": {"text": "Hello"},
        }[surface[5:]]
        return page.post(f"/tickets/{number}/{surface[5:]}/", data)
    if surface == "api detail":
        return api.get(f"/api/v1/tickets/{number}/")
    if surface.startswith("api:"):
        action = surface[4:]
        return _api(api, "post", f"/api/v1/tickets/{number}/{action}/", api_input(action, desk))
    if surface == "bulk":
        started = page.post("/tickets/bulk/", {"ticket": [number], "action": "status:pending"})
        job = re.search(r"/tickets/bulk/(\w+)/", started.content.decode())
        return page.get(f"/tickets/bulk/{job.group(1)}/") if job else started
    if surface == "merge target (api)":
        return _api(api, "post", f"/api/v1/tickets/{seen}/merge/", {"into": number})
    if surface == "merge target (page)":
        return page.post(f"/tickets/{seen}/merge/", {"into": f"#{number}"})
    if surface == "attachment":
        return api.get(f"/api/v1/attachments/{attachment}/")
    if surface == "search (api)":
        return api.get("/api/v1/tickets/", {"q": f"#{number}"})
    if surface == "search (page)":
        return page.get("/tickets/", {"queue": "all", "q": str(number)})
    if surface == "websocket watch":
        return websocket_watch(user, number)
    raise AssertionError(surface)


class SocketAnswer:
    """What the websocket said, in the shape `_answer` reads."""

    status_code = 200
    wsgi_request = None

    def __init__(self, frames: list[dict]) -> None:
        self.content = json.dumps(frames).encode()

    def get(self, header: str, default: str = "") -> str:
        return default


def websocket_watch(user, number: int) -> SocketAnswer:
    socket = WebsocketCommunicator(
        application, f"/ws/?token={Token.objects.get_or_create(user=user)[0].key}", HEADERS
    )

    async def story():
        ok, _code = await socket.connect(timeout=3)
        assert ok
        await socket.send_json_to({"action": "watch", "number": number})
        answer = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return answer

    return SocketAnswer([async_to_sync(story)()])


SURFACES = [
    "page",
    "page canned response",
    "page:update",
    "page:comment",
    "page:hand-back",
    "page:hand-off",
    "page:assign-me",
    "page:reply",
    "api detail",
    *[f"api:{action}" for action in API_ACTIONS],
    "bulk",
    "merge target (api)",
    "merge target (page)",
    "attachment",
    "search (api)",
    "search (page)",
    # The consumer reads the database from its own thread: the rows must be committed.
    pytest.param("websocket watch", marks=pytest.mark.django_db(transaction=True)),
]  # fmt: skip


@pytest.mark.parametrize("surface", SURFACES)
def test_an_invisible_ticket_answers_exactly_like_a_missing_one(
    surface, desk, internal, api, request
):
    if surface == "websocket watch":
        request.getfixturevalue("own_channel_layer")
    answers = {}
    for target in ("hidden", "missing"):
        number = str(desk["hidden"].number if target == "hidden" else desk["missing"])
        page = Client()  # a session of its own: no message left over from the other call
        page.force_login(internal)
        status, location, body, flashed = _answer(
            surface_call(surface, target, desk, internal, api(internal), page)
        )
        answers[target] = (
            status,
            location.replace(number, "N"),
            body.replace(number, "N"),
            [m.replace(number, "N") for m in flashed],
        )

    assert answers["hidden"] == answers["missing"]
    status, _location, body, flashed = answers["hidden"]
    assert status in (302, 403, 404) or "Invoice 12" not in body, "the hidden ticket showed"
    if status == 302:  # a form post: refused with a message, nothing done
        assert flashed
    if surface == "websocket watch":
        assert '"type": "error"' in body
    desk["hidden"].refresh_from_db()
    assert desk["hidden"].status == "new" and desk["hidden"].assignee_id is None


def test_a_ticket_merged_into_one_the_reader_may_not_see_stays_on_its_own_page(
    desk, agent, internal_other, client
):
    kept, merged = desk["hidden"], desk["seen"]
    services.ticket_merge(source=merged, into=kept, by=agent)
    comment_create(ticket=merged, by=agent, text="@olga was this billed twice?")
    client.force_login(internal_other)

    page = client.get(f"/tickets/{merged.number}/")
    again = client.post(f"/tickets/{merged.number}/merge/", {"into": kept.number})

    assert page.status_code == 200 and "was this billed twice?" in page.content.decode()
    assert client.get(f"/tickets/{kept.number}/").status_code == 404
    assert again["Location"] == f"/tickets/{merged.number}/"
