"""REST API v1: filters, pagination, creating on a customer's behalf, and bad input."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from accounts.models import Role
from tests.conftest import inbound
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory
from tickets import services
from tickets.models import (
    Attachment,
    Channel,
    Customer,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)


@pytest.fixture
def queue(support, billing, agent, customer):
    """A small desk: tickets in several states, groups, channels, owners and tags."""
    rows = [
        dict(status=Status.NEW, group=support, channel=Channel.EMAIL, tags=["refund"]),
        dict(status=Status.OPEN, group=support, channel=Channel.TELEGRAM, assignee=agent),
        dict(status=Status.PENDING, group=billing, channel=Channel.WEB, priority=Priority.HIGH),
        dict(status=Status.SOLVED, group=billing, channel=Channel.EMAIL, tags=["refund", "vip"]),
        dict(status=Status.CLOSED, group=None, channel=Channel.PHONE, customer=customer),
    ]
    return [TicketFactory(**row) for row in rows]


def numbers(response):
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [4, 3, 2, 1, 0]),
        ("?status=open", [2, 1, 0]),
        ("?status=pending,solved", [3, 2]),
        ("?owner=me", [1]),
        ("?owner=none", [4, 3, 2, 0]),
        ("?group={billing}", [3, 2]),
        ("?group=none", [4]),
        ("?channel=email", [3, 0]),
        ("?priority=high", [2]),
        ("?customer={customer}", [4]),
        ("?tag=refund", [3, 0]),
        ("?tag=refund,vip", [3]),
        ("?ordering=number", [0, 1, 2, 3, 4]),
        ("?ordering=-priority", [2, 4, 3, 1, 0]),
    ],
)
def test_ticket_list_filters_and_ordering(api, agent, queue, billing, customer, query, expected):
    url = "/api/v1/tickets/" + query.format(billing=billing.pk, customer=customer.pk)
    assert numbers(api(agent).get(url)) == [queue[i].number for i in expected]


def test_ticket_list_text_search(api, agent, support):
    services.ticket_ingest(message=inbound(subject="Рюкзак со скидкой"), group=support)
    services.ticket_ingest(message=inbound(sender="b@x.example", subject="Invoice"))

    found = api(agent).get("/api/v1/tickets/", {"q": "рюкзаки"}).json()["results"]

    assert [t["subject"] for t in found] == ["Рюкзак со скидкой"]


def test_cursor_pagination_walks_every_ticket_once(api, agent):
    made = [TicketFactory() for _ in range(7)]
    client, seen, url = api(agent), [], "/api/v1/tickets/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["number"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted((t.number for t in made), reverse=True)


def test_bad_filters_get_precise_400s(api, agent):
    response = api(agent).get("/api/v1/tickets/?status=archived&colour=red")
    assert response.status_code == 400
    body = response.json()
    assert (
        "Unknown status archived" in body["message"] and "colour: Unknown field." in body["message"]
    )


def test_create_a_ticket_on_a_customers_behalf(api, agent, support):
    response = api(agent).post(
        "/api/v1/tickets/",
        {
            "customer": {"kind": "phone", "value": "+7 (916) 555-12-34", "name": "Ivan"},
            "subject": "Called about a late parcel",
            "text": "Parcel 48213 is three days late.",
            "group": support.pk,
            "priority": "high",
            "tags": ["Delivery"],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "phone"
    assert body["priority"] == "high" and body["tags"] == ["delivery"]
    assert body["customer"]["name"] == "Ivan" and body["message_id"]
    detail = api(agent).get(f"/api/v1/tickets/{body['number']}/").json()
    assert detail["customer"]["identities"][0]["value"] == "+79165551234"
    first = detail["timeline"][0]
    assert first["type"] == "message" and first["message"]["author"]["type"] == "customer"
    assert first["message"]["text"] == "Parcel 48213 is three days late."
    created = next(e for e in detail["timeline"] if e["type"] == "event")["event"]
    assert created["kind"] == "created" and created["actor"]["id"] == agent.pk
    found = api(agent).get("/api/v1/tickets/", {"q": "parcel 48213"}).json()["results"]
    assert [t["number"] for t in found] == [body["number"]]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"customer": {"kind": "email", "value": "x@y.example"}, "text": "Hi", "colour": "red"},
            "colour: Unknown field.",
        ),
        ({"customer": {"kind": "email", "value": "nope"}, "text": "Hi"}, "not a valid email"),
        ({"customer": {"name": "Nobody"}, "text": "Hi"}, "Give the customer's id"),
        ({"customer": {"id": 999999}, "text": "Hi"}, "no customer with id 999999"),
        ({"customer": {"kind": "email", "value": "x@y.example"}, "text": ""}, "text:"),
        (
            {"customer": {"kind": "email", "value": "x@y.example"}, "text": "Hi", "group": 999999},
            "no group with id 999999",
        ),
    ],
)
def test_invalid_ticket_creation_gets_a_400_and_writes_nothing(api, agent, payload, message):
    response = api(agent).post("/api/v1/tickets/", payload, format="json")

    assert response.status_code == 400, response.content
    assert message in response.json()["message"]
    assert not Ticket.objects.exists() and not Customer.objects.exists()


def test_malformed_json_gets_a_400(api, agent):
    response = api(agent).post(
        "/api/v1/tickets/", data='{"text": "Hi",', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("JSON parse error")
    assert not Ticket.objects.exists()


def test_an_invalid_transition_through_the_api_writes_nothing(api, agent, support):
    ticket = services.ticket_ingest(message=inbound(), group=support).ticket
    services.ticket_set_status(ticket=ticket, status=Status.CLOSED, by=agent)
    events = TicketEvent.objects.count()

    response = api(agent).post(
        f"/api/v1/tickets/{ticket.number}/status/", {"status": "open"}, format="json"
    )

    assert response.status_code == 400
    assert 'cannot go from "closed" to "open"' in response.json()["message"]
    assert response.json()["extra"]["allowed"] == []
    assert TicketEvent.objects.count() == events


def test_reply_with_attachments_and_download(api, agent, support, internal_other):
    ticket = services.ticket_ingest(message=inbound(), group=support).ticket
    upload = SimpleUploadedFile("label.png", b"\x89PNG fake image", content_type="image/png")

    response = api(agent).post(
        f"/api/v1/tickets/{ticket.number}/reply/",
        {"text": "Here is the label", "attachments": [upload], "status": "pending"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    reply = response.json()["timeline"]
    reply = next(
        i["message"] for i in reply if i["type"] == "message" and i["message"]["direction"] == "out"
    )
    assert response.json()["status"] == "pending"
    attachment = reply["attachments"][0]
    assert attachment["name"] == "label.png" and attachment["size"] == 15
    download = api(agent).get(attachment["url"])
    assert (
        download.status_code == 200
        and b"".join(download.streaming_content) == b"\x89PNG fake image"
    )
    assert api(internal_other).get(attachment["url"]).status_code == 404


def test_an_oversized_attachment_gets_a_413_and_writes_nothing(api, agent, support, settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1024
    ticket = services.ticket_ingest(message=inbound(), group=support).ticket
    upload = SimpleUploadedFile("big.zip", b"0" * 4096, content_type="application/zip")

    response = api(agent).post(
        f"/api/v1/tickets/{ticket.number}/reply/",
        {"text": "See attached", "attachments": [upload]},
        format="multipart",
    )

    assert response.status_code == 413
    assert response.json()["message"] == (
        '"big.zip" is 4 KB; attachments may be at most 1 KB. Share a link to the file instead.'
    )
    assert not Message.objects.filter(direction="out").exists() and not Attachment.objects.exists()


def test_token_and_session_authentication(client, agent):
    from rest_framework.test import APIClient

    token = Token.objects.create(user=agent)
    by_token = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/me/")
    assert by_token.status_code == 200 and by_token.json()["email"] == agent.email

    assert client.login(username="VASYA@desk.example", password="pass-word-123")
    by_session = client.get("/api/v1/me/")
    assert by_session.status_code == 200 and by_session.json()["id"] == agent.pk

    anonymous = APIClient().get("/api/v1/tickets/")
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "Authentication credentials were not provided."


def test_a_revoked_token_or_deactivated_user_is_refused_at_once(agent):
    """Tokens are remembered for a moment per process; a change saved here forgets them."""
    from rest_framework.test import APIClient

    token = Token.objects.create(user=agent)
    caller = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert caller.get("/api/v1/me/").status_code == 200
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert caller.get("/api/v1/me/").status_code == 401

    agent.is_active = True
    agent.save(update_fields=["is_active"])
    assert caller.get("/api/v1/me/").status_code == 200
    token.delete()
    refused = caller.get("/api/v1/me/")
    assert refused.status_code == 401 and refused.json()["message"] == "Invalid token."


def test_a_token_is_asked_for_again_once_its_moment_is_over(settings, agent):
    """A change made by another process (here: an UPDATE that tells nobody) reaches this one
    within HELPDESK_API_TOKEN_CACHE_SECONDS; meanwhile the token costs no query."""
    import time

    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    settings.HELPDESK_API_TOKEN_CACHE_SECONDS = 0.3
    caller = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    with CaptureQueriesContext(connection) as first:
        assert caller.get("/api/v1/me/").status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert caller.get("/api/v1/me/").status_code == 200
    assert len(again) == len(first) - 1
    assert not any("authtoken_token" in q["sql"] for q in again.captured_queries)

    get_user_model().objects.filter(pk=agent.pk).update(is_active=False)
    time.sleep(0.35)
    assert caller.get("/api/v1/me/").status_code == 401


def test_customers_search_detail_and_merge(api, agent):
    marina = CustomerFactory(name="Марина Соколова")
    IdentityFactory(customer=marina, kind="email", value="marina@mail.example")
    viber = CustomerFactory(name="Марина")
    IdentityFactory(customer=viber, kind="viber", value="vb-777")
    TicketFactory(customer=marina, channel=Channel.EMAIL)
    TicketFactory(customer=viber, channel=Channel.VIBER)
    client = api(agent)

    found = client.get("/api/v1/customers/", {"q": "vb-77"}).json()["results"]
    assert [c["id"] for c in found] == [viber.pk]

    merged = client.post(f"/api/v1/customers/{viber.pk}/merge/", {"into": marina.pk}, format="json")
    assert merged.status_code == 200, merged.content
    detail = client.get(f"/api/v1/customers/{marina.pk}/").json()
    assert {i["kind"] for i in detail["identities"]} == {"email", "viber"}
    assert {t["channel"] for t in detail["tickets"]} == {"email", "viber"}
    assert client.get("/api/v1/customers/", {"q": "Марина"}).json()["results"][0]["id"] == marina.pk


def test_internal_staff_cannot_browse_customers(api, internal):
    response = api(internal).get("/api/v1/customers/")
    assert response.status_code == 403 and "Only agents" in response.json()["message"]


def test_people_to_mention_come_prefix_matches_first(api, agent):
    # Given: colleagues whose first name, last name or handle start with "ol", and one
    # whose name only holds it inside a word.
    for name, handle in [("Irina Sokolova", "irina"), ("Olga Fedorova", "olga"),
                         ("Pavel Olenin", "pavel"), ("Boris Karpov", "olaf")]:  # fmt: skip
        UserFactory(full_name=name, handle=handle, role=Role.INTERNAL)

    # When: the @mention picker asks for "ol" (and for the Cyrillic "ол").
    found = [u["name"] for u in api(agent).get("/api/v1/users/", {"q": "ol"}).json()]
    UserFactory(full_name="Ирина Соколова", handle="irina2", role=Role.INTERNAL)
    UserFactory(full_name="Ольга Федорова", handle="olga2", role=Role.INTERNAL)
    cyrillic = [u["name"] for u in api(agent).get("/api/v1/users/", {"q": "ол"}).json()]

    # Then: the prefix matches (by name), then the rest.
    assert found == ["Boris Karpov", "Olga Fedorova", "Pavel Olenin", "Irina Sokolova"]
    assert cyrillic == ["Ольга Федорова", "Ирина Соколова"]


def test_groups_users_and_notifications(api, agent, support, internal, colleague):
    client = api(agent)
    groups = client.get("/api/v1/groups/").json()
    assert {m["id"] for m in groups[0]["members"]} == {agent.pk, colleague.pk}
    internal_staff = client.get("/api/v1/users/?role=internal").json()
    assert [u["handle"] for u in internal_staff] == ["dima"]
    assert client.get("/api/v1/users/?role=boss").status_code == 400

    ticket = services.ticket_ingest(message=inbound(), group=support).ticket
    services.ticket_hand_off(ticket=ticket, by=agent, to_user=internal, note="Question for you")
    inbox = api(internal).get("/api/v1/notifications/").json()
    assert inbox["unread_count"] == 1 and inbox["results"][0]["kind"] == "hand_off"
    assert inbox["results"][0]["ticket"]["number"] == ticket.number
    read = api(internal).post("/api/v1/notifications/read/", {}, format="json").json()
    assert read == {"marked": 1, "unread_count": 0}


def test_openapi_schema_and_docs_page(client, agent):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/tickets/{number}/hand-off/" in schema.content
    client.force_login(agent)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


def test_a_seat_count_ignores_internal_staff(db):
    from accounts.selectors import seats_used

    UserFactory(role="admin")
    UserFactory(role="agent")
    for _ in range(40):
        UserFactory(role="internal")
    UserFactory(role="agent", is_active=False)
    assert seats_used() == 2


def test_error_bodies_are_json_with_a_message(api, agent):
    response = api(agent).post(
        "/api/v1/tickets/999999/status/",
        json.dumps({"status": "open"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json() == {
        "message": "There is no ticket #999999 that you can see.",
        "extra": {},
    }


def test_a_reused_validator_forgets_the_previous_request():
    """`validated` keeps one bound serializer per thread: one request's errors or data must
    never show in the next one's."""
    from rest_framework.exceptions import ValidationError

    from tickets.api import serializers as s
    from tickets.api.common import validated

    good = {"customer": {"kind": "email", "value": "a@mail.example"}, "text": "First"}
    first = validated(s.TicketCreateSerializer, good)
    with pytest.raises(ValidationError) as refused:
        validated(s.TicketCreateSerializer, {"customer": {"id": 5}, "text": "", "colour": "x"})
    second = validated(s.TicketCreateSerializer, {"customer": {"id": 7}, "text": "Second"})

    assert set(refused.value.detail) == {"text", "colour"}
    assert first["text"] == "First" and first["customer"] == {
        "kind": "email",
        "value": "a@mail.example",
    }
    assert second["text"] == "Second" and second["customer"] == {"id": 7}
    assert "colour" not in second


def test_create_for_a_known_customer_reads_them_once_and_follows_a_merge(api, agent, customer):
    client = api(agent)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/tickets/",
            {"customer": {"id": customer.pk}, "text": "Called about order 7731."},
            format="json",
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] == {"id": customer.pk, "name": "Marina Sokolova"}
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("SELECT", "WITH", "INSERT"))
    ]
    assert len(statements) == 2  # the customer with their identities; the ticket and its rows
    found = client.get("/api/v1/tickets/", {"q": "marina@mail.example 7731"}).json()["results"]
    assert [t["number"] for t in found] == [body["number"]]

    other = CustomerFactory(name="Marina")
    IdentityFactory(customer=other, kind="telegram", value="tg-5501")
    services.customer_merge(source=other, into=customer, by=agent)
    response = client.post(
        "/api/v1/tickets/", {"customer": {"id": other.pk}, "text": "Again."}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["customer"]["id"] == customer.pk


def test_a_token_user_is_answered_in_their_language_and_time_zone(client, support):
    user = UserFactory(email="ru@desk.example", groups=[support], language="ru",
                       time_zone="Europe/Moscow")  # fmt: skip
    TicketFactory()
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}

    refused = client.post(
        "/api/v1/tickets/",
        {"customer": {"id": 999999}, "text": "Hi"},
        content_type="application/json",
        **auth,
    )
    listed = client.get("/api/v1/tickets/", **auth).json()["results"]

    assert refused.status_code == 400
    assert refused.json()["message"] == "Клиент с ID 999999 не найден."
    assert refused["Content-Language"] == "ru"
    assert listed and listed[0]["created_at"].endswith("+03:00")


def test_the_api_answers_json_whatever_the_client_accepts(api, agent, queue):
    """The API speaks only JSON: a client asking for HTML (a browser following a link, say)
    gets the JSON, not 406, and the header that says what it is."""
    response = api(agent).get("/api/v1/tickets/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert len(response.json()["results"]) == len(queue)
