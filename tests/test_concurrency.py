"""Concurrency against the real database: separate connections, real commits."""

import threading

import pytest
from django.db import close_old_connections, connection

from tests.conftest import inbound
from tickets import services
from tickets.models import Customer, CustomerIdentity, Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(n, work):
    """Start n threads that begin `work(i)` at the same instant; re-raise their errors."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def runner(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    close_old_connections()
    assert not errors, errors
    return results


def test_two_first_messages_from_one_new_address_make_one_customer():
    run_together(
        2,
        lambda i: services.ticket_ingest(
            message=inbound(sender="new@person.example", external_id=f"<first-{i}@x>")
        ),
    )

    assert Customer.objects.count() == 1
    assert CustomerIdentity.objects.get().value == "new@person.example"
    assert Message.objects.count() == 2
    assert set(Ticket.objects.values_list("customer_id", flat=True)) == {Customer.objects.get().pk}


def test_the_same_message_delivered_twice_at_once_is_stored_once():
    results = run_together(
        4,
        lambda i: services.ticket_ingest(
            message=inbound(sender="twice@person.example", external_id="<dup@x>")
        ),
    )

    assert Message.objects.count() == 1 and Ticket.objects.count() == 1
    assert sum(not r.duplicate for r in results) == 1
    assert {r.message.pk for r in results} == {Message.objects.get().pk}


def test_ticket_numbers_stay_unique_and_ordered_under_eight_creators():
    per_creator = 10

    def create(i):
        return [
            services.ticket_ingest(
                message=inbound(sender=f"c{i}@x.example", external_id=f"<{i}-{k}@x>")
            ).ticket.number
            for k in range(per_creator)
        ]

    results = run_together(8, create)

    numbers = [n for batch in results for n in batch]
    assert len(numbers) == len(set(numbers)) == 8 * per_creator
    assert all(batch == sorted(batch) for batch in results)
    assert sorted(numbers) == list(range(min(numbers), min(numbers) + len(numbers)))
