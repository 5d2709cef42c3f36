"""Querysets compiled once (helpdesk/prepared.py) and the per-pool Redis cache client."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models.functions import Upper
from django.db.models.query import ModelIterable
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from helpdesk.prepared import PreparedQuery, prefetched
from tests.factories import MessageFactory, TicketFactory
from tickets.models import Attachment, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

messages_of = PreparedQuery(
    lambda ticket_id: (
        Message.objects.select_related("author_customer")
        .only("id", "text", "created_at", "author_customer__name")
        .filter(ticket_id=ticket_id)
        .order_by("id")
    ),
    "ticket_id",
)


def test_gives_what_the_orm_gives_with_its_related_objects():
    ticket, other = TicketFactory(), TicketFactory()
    mine = [MessageFactory(ticket=ticket, text=f"m{n}") for n in range(3)]
    MessageFactory(ticket=other)
    with CaptureQueriesContext(connection) as queries:
        found = messages_of(ticket_id=ticket.pk)
        names = [m.author_customer.name for m in found]  # select_related: no query
    assert len(queries) == 1
    assert [m.pk for m in found] == [m.pk for m in mine]
    assert [m.text for m in found] == ["m0", "m1", "m2"]
    assert names == [m.author_customer.name for m in mine]
    assert isinstance(found[0], Message)
    assert messages_of(ticket_id=other.pk)[0].ticket_id == other.pk  # new values, new rows


def test_compiles_once(monkeypatch):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket)
    messages_of(ticket_id=ticket.pk)  # compiled here, if no other test did it first
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or
                        original(self, *a, **k))  # fmt: skip
    for _ in range(3):
        assert len(messages_of(ticket_id=ticket.pk)) == 1
    assert compiled == []


def test_a_value_out_of_range_finds_nothing_as_the_orm_does():
    assert messages_of(ticket_id=2**70) == []
    assert list(Message.objects.filter(ticket_id=2**70)) == []


def test_a_placeholder_that_does_not_reach_the_sql_as_a_parameter_is_refused():
    bad = PreparedQuery(lambda n: Ticket.objects.filter(number__gt=n + 1), "n")
    with pytest.raises(ValueError, match="exactly one parameter"):
        bad(n=1)


def test_prefetched_relation_is_read_without_a_query():
    message = MessageFactory()
    file = Attachment.objects.create(message=message, name="a.txt", size=1, sha256="0" * 64)
    prefetched(message, "attachments", [file])
    with CaptureQueriesContext(connection) as queries:
        assert list(message.attachments.all()) == [file]
    assert len(queries) == 0


def test_the_cache_keeps_one_redis_client_per_pool():
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is client
    cache.set("prepared-test", 1)
    assert cache.get("prepared-test") == 1


def test_api_token_authentication(agent):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=agent)
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/tickets/").status_code
        == 200
    )
    refused = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40).get("/api/v1/tickets/")
    assert refused.status_code == 401 and refused.json()["message"] == "Invalid token."
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    inactive = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/tickets/")
    assert inactive.status_code == 401 and "inactive" in str(inactive.json())


events_of = PreparedQuery(
    lambda ticket_id: (
        TicketEvent.objects.select_related("actor")
        .defer("note")
        .annotate(shouted=Upper("kind"))
        .filter(ticket_id=ticket_id)
        .order_by("id")
    ),
    "ticket_id",
)


def test_rows_become_the_instances_the_orm_makes_without_its_iterator(monkeypatch, agent):
    ticket = TicketFactory()
    TicketEvent.objects.create(ticket=ticket, kind="created", actor=agent, new={"a": [1, "б"]})
    TicketEvent.objects.create(ticket=ticket, kind="tags", new=None, note="n")
    expected = list(events_of._build(ticket_id=ticket.pk))

    def no_iterator(self):
        raise AssertionError("the prepared query went through the queryset's iterator")

    monkeypatch.setattr(ModelIterable, "__iter__", no_iterator)
    found = events_of(ticket_id=ticket.pk)

    assert [e.pk for e in found] == [e.pk for e in expected]
    assert [e.new for e in found] == [{"a": [1, "б"]}, None]  # JSON read back as values
    assert [e.shouted for e in found] == ["CREATED", "TAGS"]  # annotations
    assert [e.get_deferred_fields() for e in found] == [{"note"}, {"note"}]
    assert found[0].actor == agent and found[1].actor is None  # select_related, null included
    assert found[0].created_at == expected[0].created_at and found[0].created_at.tzinfo
    assert not found[0]._state.adding and found[0]._state.db == "default"


def test_a_prefetching_queryset_is_read_through_the_orm():
    message = MessageFactory()
    file = Attachment.objects.create(message=message, name="a.txt", size=1, sha256="0" * 64)
    with_files = PreparedQuery(
        lambda pk: Message.objects.prefetch_related("attachments").filter(pk=pk), "pk"
    )
    with CaptureQueriesContext(connection) as queries:
        [found] = with_files(pk=message.pk)
        assert list(found.attachments.all()) == [file]
    assert len(queries) == 2
