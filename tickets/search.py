"""Full-text search over tickets: subjects, message texts, customer names and identities.

One `tsvector` per ticket, in PostgreSQL's `russian` configuration, which stems Russian words
with the Russian Snowball stemmer and ASCII words with the English one, so one GIN index
serves both languages. The vector grows by concatenation as messages arrive (no re-reading of
the thread), and the query matches word prefixes, as people type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet, Value

CONFIG = "russian"
# Enough of a message for search; the whole text stays in the message row.
MAX_INDEXED_CHARS = 20_000
_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)


def body_of(texts: Iterable[str]) -> str:
    """The text that goes into a vector for some texts: each cut to MAX_INDEXED_CHARS."""
    return "\n".join(t[:MAX_INDEXED_CHARS] for t in texts if t)


def vector_sql(texts: Iterable[str]) -> tuple[str, list[str]]:
    """The search vector of some texts: SQL and its parameters, to write with a row."""
    return "to_tsvector(%s::regconfig, %s)", [CONFIG, body_of(texts)]


def vector_of_bodies(first: str, appended: Iterable[str]) -> SearchVector:
    """The vector a new row is written with when texts were appended to it after `first`
    (each a `body_of`): the same vector as writing it, then appending each in turn."""
    vector = SearchVector(Value(first), config=CONFIG)
    for body in appended:
        vector = vector + SearchVector(Value(body), config=CONFIG)
    return vector


def appended_sql(bodies: list[str]) -> tuple[str, list[str]]:
    """SQL (and its parameters) for the vector appended by some bodies, one after another;
    `NULL` when there are none. Appending them in one go or one by one is the same vector."""
    if not bodies:
        return "NULL::tsvector", []
    sql = " || ".join(["to_tsvector(%s::regconfig, %s)"] * len(bodies))
    return sql, [value for body in bodies for value in (CONFIG, body)]


def append_to_search_vector(ticket_id: int, texts: Iterable[str]) -> None:
    """Add texts to a ticket's search vector, in the caller's transaction."""
    body = body_of(texts)
    if not body:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET search_vector = "
            "coalesce(search_vector, ''::tsvector) || to_tsvector(%s::regconfig, %s) "
            "WHERE id = %s",
            [CONFIG, body, ticket_id],
        )


def append_to_customer_tickets(customer_id: int, texts: Iterable[str]) -> None:
    """Add texts (a customer's names and identities) to every ticket of the customer."""
    body = "\n".join(t for t in texts if t)
    if not body:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET search_vector = "
            "coalesce(search_vector, ''::tsvector) || to_tsvector(%s::regconfig, %s) "
            "WHERE customer_id = %s",
            [CONFIG, body, customer_id],
        )


def merge_search_vectors(*, source_id: int, into_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket t SET search_vector = coalesce(t.search_vector, ''::tsvector)"
            " || coalesce(s.search_vector, ''::tsvector) FROM tickets_ticket s"
            " WHERE t.id = %s AND s.id = %s",
            [into_id, source_id],
        )


def prefix_query(text: str) -> SearchQuery | None:
    """`рюкзак скидк` -> `рюкзак:* & скидк:*`: every word must match, as a prefix."""
    words = [w.strip(".+-") for w in _WORD.findall(text.lower())]
    words = [w for w in words if w][:12]
    if not words:
        return None
    # Each word is quoted for to_tsquery so no user input is ever parsed as query syntax.
    raw = " & ".join("'" + w.replace("'", "''").replace("\\", "") + "':*" for w in words)
    return SearchQuery(raw, config=CONFIG, search_type="raw")


def filter_tickets(tickets: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return tickets
    number = text.lstrip("#")
    condition = Q()
    if number.isdigit() and len(number) < 18:
        condition |= Q(number=int(number))
    query = prefix_query(text)
    if query is not None:
        condition |= Q(search_vector=query)
    if not condition:
        return tickets.none()
    return tickets.filter(condition)
