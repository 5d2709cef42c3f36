"""Every endpoint that reads a JSON body answers a body that is not a JSON object (an array,
a string, a number, null) with a 400 and a message, never a 500, and writes nothing."""

import pytest

from tests.factories import CustomerFactory, TicketFactory
from tickets.models import Customer, Ticket, TicketEvent

NOT_OBJECTS = ["[1, 2]", '"text"', "null", "42", "true"]


@pytest.fixture
def desk(agent, support):
    customer = CustomerFactory(name="Marina")
    ticket = TicketFactory(group=support, assignee=agent, customer=customer)
    return ticket, customer


def agent_paths(ticket, customer):
    n, c = ticket.number, customer.pk
    return [
        ("post", "/api/v1/tickets/"),
        ("post", f"/api/v1/tickets/{n}/reply/"),
        ("post", f"/api/v1/tickets/{n}/assign/"),
        ("post", f"/api/v1/tickets/{n}/hand-off/"),
        ("post", f"/api/v1/tickets/{n}/status/"),
        ("post", f"/api/v1/tickets/{n}/priority/"),
        ("post", f"/api/v1/tickets/{n}/tags/"),
        ("post", f"/api/v1/tickets/{n}/merge/"),
        ("post", f"/api/v1/tickets/{n}/comments/"),
        ("patch", f"/api/v1/customers/{c}/"),
        ("post", f"/api/v1/customers/{c}/identities/"),
        ("post", f"/api/v1/customers/{c}/merge/"),
        ("post", "/api/v1/notifications/read/"),
    ]


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_the_public_endpoint_answers_non_object_json_with_a_400(client, db, body):
    response = client.post("/api/v1/public/tickets/", data=body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert "JSON object" in response.json()["message"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_every_api_endpoint_answers_non_object_json_with_a_400(api, agent, desk, body):
    ticket, customer = desk
    events = TicketEvent.objects.count()
    client = api(agent)
    for method, path in agent_paths(ticket, customer):
        response = getattr(client, method)(path, data=body, content_type="application/json")

        assert response.status_code == 400, (path, response.content)
        assert "JSON object" in response.json()["message"], path
    assert Ticket.objects.count() == 1 and Customer.objects.count() == 1
    assert TicketEvent.objects.count() == events


def test_hand_back_answers_non_object_json_with_a_400(api, internal, agent, support):
    ticket = TicketFactory(group=support, assignee=internal)
    response = api(internal).post(
        f"/api/v1/tickets/{ticket.number}/hand-back/", data="[1]", content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert "JSON object" in response.json()["message"]
