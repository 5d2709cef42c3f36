"""Every list costs the same number of queries for few rows and for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from comments.services import comment_create
from tests.factories import (
    CommentFactory,
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Attachment


@pytest.fixture(autouse=True)
def every_request_asks_whose_token_it_is(settings):
    """As the first request in a while does: the counts below are the most a request costs."""
    settings.HELPDESK_API_TOKEN_CACHE_SECONDS = 0


@pytest.fixture
def client_of(agent):
    token = Token.objects.create(user=agent)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def make_tickets(n, support, owner):
    for _ in range(n):
        TicketFactory(group=support, assignee=owner, tags=["a", "b"])


def test_ticket_list_is_flat(client_of, support, agent):
    make_tickets(5, support, agent)
    few = count_queries(client_of, "/api/v1/tickets/?page_size=100")
    make_tickets(95, support, agent)
    many = count_queries(client_of, "/api/v1/tickets/?page_size=100")

    assert few == many <= 2  # the token with its user, then the page


def test_ticket_list_for_internal_staff_is_flat(support, internal):
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=internal).key}")
    from tickets.services.participants import involve

    for _ in range(5):
        involve(ticket=TicketFactory(group=support), user=internal, reason="mentioned")
    few = count_queries(client, "/api/v1/tickets/?page_size=100")
    for _ in range(95):
        involve(ticket=TicketFactory(group=support), user=internal, reason="mentioned")
    many = count_queries(client, "/api/v1/tickets/?page_size=100")

    assert few == many <= 2


def make_customers(n):
    for _ in range(n):
        customer = CustomerFactory()
        IdentityFactory(customer=customer)
        IdentityFactory(customer=customer, kind="telegram", value=str(customer.pk) + "-tg")
        TicketFactory(customer=customer)


def test_customer_list_is_flat(client_of):
    make_customers(5)
    few = count_queries(client_of, "/api/v1/customers/?page_size=100")
    make_customers(95)
    many = count_queries(client_of, "/api/v1/customers/?page_size=100")

    assert few == many <= 3


def make_thread(ticket, n, author):
    for i in range(n):
        message = MessageFactory(
            ticket=ticket, direction="out" if i % 2 else "in", author_user=author if i % 2 else None
        )
        Attachment.objects.create(
            message=message,
            name="a.txt",
            content_type="text/plain",
            size=1,
            sha256="0" * 64,
            file="attachments/a.txt",
        )
        CommentFactory(ticket=ticket, author=author)


def test_ticket_detail_is_flat(client_of, support, agent):
    ticket = TicketFactory(group=support)
    make_thread(ticket, 2, agent)
    comment_create(ticket=ticket, by=agent, text=f"@{UserFactory(handle='x1').handle} look")
    few = count_queries(client_of, f"/api/v1/tickets/{ticket.number}/")
    make_thread(ticket, 48, UserFactory())
    comment_create(ticket=ticket, by=agent, text=f"@{UserFactory(handle='x2').handle} look")
    many = count_queries(client_of, f"/api/v1/tickets/{ticket.number}/")

    assert (
        few == many <= 9
    )  # token, ticket, messages+attachments, events, comments+mentions+users, groups, identities


def test_customer_detail_is_flat(client_of, agent):
    customer = CustomerFactory()
    IdentityFactory(customer=customer)
    for _ in range(2):
        TicketFactory(customer=customer, assignee=agent)
    few = count_queries(client_of, f"/api/v1/customers/{customer.pk}/")
    for _ in range(30):
        TicketFactory(customer=customer, assignee=UserFactory())
    many = count_queries(client_of, f"/api/v1/customers/{customer.pk}/")

    assert few == many <= 4


def test_groups_users_and_notifications_are_flat(client_of, support, agent):
    counts = []
    for extra in (3, 40):
        for _ in range(extra):
            support.members.add(UserFactory())
        comment_create(ticket=TicketFactory(), by=UserFactory(), text=f"@{agent.handle} hi")
        counts.append(
            [count_queries(client_of, url) for url in
             ("/api/v1/groups/", "/api/v1/users/", "/api/v1/notifications/")]
        )  # fmt: skip
    assert counts[0] == counts[1]


def test_the_directory_internal_staff_get_is_flat(support, internal):
    token = Token.objects.create(user=internal)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    counts = []
    for extra in (3, 40):
        for _ in range(extra):
            support.members.add(UserFactory())
        counts.append([count_queries(client, url) for url in ("/api/v1/groups/", "/api/v1/users/")])
    assert counts[0] == counts[1] == [2, 2]  # the token, the rows
