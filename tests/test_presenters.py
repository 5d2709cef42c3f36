"""The fast presenters produce exactly what the documented serializers do."""

import json

import pytest
from django.utils import timezone

from comments.services import comment_create
from tests.conftest import inbound
from tests.factories import UserFactory
from tickets import permissions, selectors, services
from tickets.api import presenters
from tickets.api import serializers as s
from tickets.api.tickets import TICKET_ACTIONS


@pytest.fixture
def rich_ticket(support, agent, internal, django_capture_on_commit_callbacks):
    from tickets.types import InboundAttachment

    ticket = services.ticket_ingest(
        message=inbound(attachments=(InboundAttachment("a.txt", "text/plain", b"x"),)),
        group=support,
    ).ticket
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_set_tags(ticket=ticket, by=agent, add=["vip", "refund"])
        services.ticket_hand_off(ticket=ticket, by=agent, to_user=internal, note="Question?")
        comment_create(ticket=ticket, by=agent, text=f"@{UserFactory(handle='zz').handle} see")
        services.ticket_hand_back(ticket=ticket, by=internal, note="Answer")
        services.ticket_reply(ticket=ticket, by=agent, text="Reply", status="solved")
    return selectors.ticket_get(user=agent, number=ticket.number)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow"])
def test_ticket_detail_matches_the_serializer(rich_ticket, agent, zone):
    timezone.activate(zone)
    try:
        timeline = selectors.ticket_timeline(ticket=rich_ticket, user=agent)
        actions = [str(a) for a in TICKET_ACTIONS if permissions.can(agent, a, rich_ticket)]
        rich_ticket.timeline, rich_ticket.allowed_actions = timeline, actions

        fast = presenters.ticket_detail(rich_ticket, timeline=timeline, allowed_actions=actions)

        assert fast == s.TicketDetailSerializer(rich_ticket).data
        assert {entry["type"] for entry in fast["timeline"]} == {"message", "comment", "event"}
    finally:
        timezone.deactivate()


def test_ticket_row_matches_the_serializer(rich_ticket):
    assert presenters.ticket_row(rich_ticket) == s.TicketRowSerializer(rich_ticket).data


def test_the_create_answer_matches_the_serializer(api, agent, support):
    response = api(agent).post(
        "/api/v1/tickets/",
        {"customer": {"kind": "email", "value": "row@mail.example", "name": "Row"},
         "text": "A call", "group": support.pk, "owner": agent.pk, "tags": ["phone"]},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    ticket = selectors.ticket_get(user=agent, number=body["number"])
    ticket.message_id = ticket.messages.get().pk
    assert body == json.loads(json.dumps(s.TicketCreatedSerializer(ticket).data))
    assert body["owner"]["id"] == agent.pk and body["group"]["id"] == support.pk


def test_every_serializer_field_is_presented(rich_ticket, agent):
    """A field added to a serializer but not to its presenter fails here."""
    timeline = selectors.ticket_timeline(ticket=rich_ticket, user=agent)
    fast = presenters.ticket_detail(rich_ticket, timeline=timeline, allowed_actions=[])
    assert set(fast) == set(s.TicketDetailSerializer().fields)
    message = next(e["message"] for e in fast["timeline"] if e["type"] == "message")
    assert set(message) == set(s.MessageSerializer().fields)
