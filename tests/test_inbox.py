"""The raw inbox: stored before parsing, processed once, recovered by the sweep."""

import pytest
from django.db import transaction

from channels_inbound import inbox
from channels_inbound.models import InboundEvent
from channels_inbound.tasks import sweep_inbox
from tickets.models import Direction, Message, Ticket


def receive(**kwargs):
    received = inbox.receive(**kwargs)
    return InboundEvent.objects.get(pk=received.event_id), received.created


def web_payload(key, **extra):
    return {"key": key, "email": "ivan@mail.example", "name": "Ivan", "subject": "Hello",
            "text": "My parcel is late", **extra}  # fmt: skip


def test_an_event_is_stored_raw_then_processed_into_one_message(support):
    event, created = receive(channel="web", external_key="k1", payload=web_payload("k1"))
    assert (
        created
        and event.status == InboundEvent.Status.PENDING
        and not Message.objects.filter(direction=Direction.IN).exists()
    )

    assert inbox.process(event_id=event.pk) == "done"

    event.refresh_from_db()
    message = Message.objects.filter(direction=Direction.IN).get()
    assert event.message == message and event.attempts == 1 and event.processed_at
    assert message.ticket.group == support and message.external_id == "web:k1"


def test_receiving_is_one_statement_and_wakes_the_drainers_only_after_commit(
    db, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Every web-form submission takes this path: the row and its reserved number in one
    round trip (no savepoint, no BEGIN/COMMIT of its own), the drainers woken after the
    transaction it runs in commits, and nothing woken when that transaction rolls back."""
    with (
        django_capture_on_commit_callbacks() as callbacks,
        django_assert_num_queries(1) as captured,
    ):
        received = inbox.receive(
            channel="web", external_key="one-trip", payload=web_payload("one-trip"),
            reserve_number=True,
        )  # fmt: skip
    assert captured.captured_queries[0]["sql"].lstrip().startswith("INSERT")
    assert received.created and received.reserved_number
    assert callbacks == [inbox.wake_soon]

    def receive_then_fail():
        with transaction.atomic():
            inbox.receive(channel="web", external_key="undone", payload=web_payload("undone"))
            raise RuntimeError("the caller fails after receiving")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        receive_then_fail()
    assert callbacks == []
    assert not InboundEvent.objects.filter(external_key="undone").exists()


def test_the_same_delivery_twice_is_one_event_and_processing_twice_is_one_message(db):
    first, _ = receive(channel="web", external_key="k2", payload=web_payload("k2"))
    again, created = receive(channel="web", external_key="k2", payload=web_payload("k2"))

    assert not created and again.pk == first.pk
    assert inbox.process(event_id=first.pk) == "done"
    assert inbox.process(event_id=first.pk) == "done"
    assert (
        Message.objects.filter(direction=Direction.IN).count() == 1
        and InboundEvent.objects.count() == 1
    )


def test_a_replay_of_a_lost_commit_makes_no_second_message(db):
    """The worker ingested, then died before marking the event done: the replay finds the
    message by its external id."""
    event, _ = receive(channel="web", external_key="k3", payload=web_payload("k3"))
    inbox.process(event_id=event.pk)
    InboundEvent.objects.filter(pk=event.pk).update(status="pending", message=None)

    assert inbox.process(event_id=event.pk) == "done"

    assert Message.objects.filter(direction=Direction.IN).count() == 1
    assert (
        InboundEvent.objects.get(pk=event.pk).message
        == Message.objects.filter(direction=Direction.IN).get()
    )


def test_an_unparseable_payload_is_kept_with_its_error_and_nothing_else_written(db):
    event, _ = receive(channel="web", external_key="bad", payload={"text": "no sender"})

    assert inbox.process(event_id=event.pk) == "failed"

    event.refresh_from_db()
    assert event.error == "The web-form payload lacks the field 'key'."
    assert event.payload == {"text": "no sender"}
    assert not Ticket.objects.exists()


def test_an_unusable_sender_fails_the_event_not_the_queue(db):
    bad, _ = receive(
        channel="web", external_key="k4", payload=web_payload("k4", email="not an address")
    )
    good, _ = receive(channel="web", external_key="k5", payload=web_payload("k5"))

    assert inbox.process(event_id=bad.pk) == "failed"
    assert inbox.process(event_id=good.pk) == "done"
    assert "is not a valid email address" in InboundEvent.objects.get(pk=bad.pk).error


def test_an_unknown_channel_is_failed_for_an_admin(db):
    event, _ = receive(channel="pigeon", external_key="1", payload={})
    assert inbox.process(event_id=event.pk) == "failed"
    assert InboundEvent.objects.get(pk=event.pk).error == "No adapter for pigeon."


def test_failed_events_can_be_rerun(db, django_capture_on_commit_callbacks):
    event, _ = receive(channel="web", external_key="k6", payload=web_payload("k6"))
    InboundEvent.objects.filter(pk=event.pk).update(status="failed", error="database was away")

    with django_capture_on_commit_callbacks(execute=True):
        assert inbox.retry(event_ids=[event.pk]) == 1

    assert InboundEvent.objects.get(pk=event.pk).status == "done"
    assert Message.objects.filter(direction=Direction.IN).count() == 1


def test_the_sweep_wakes_the_drainers_only_when_an_event_waits_too_long(db):
    from datetime import timedelta

    from django.utils import timezone

    # Stored, but their wake-up never ran (the broker was down): nothing processes them.
    fresh, _ = receive(channel="web", external_key="new", payload=web_payload("new"))
    assert sweep_inbox() is False
    assert InboundEvent.objects.get(pk=fresh.pk).status == "pending"

    old, _ = receive(channel="web", external_key="lost", payload=web_payload("lost"))
    InboundEvent.objects.filter(pk=old.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    assert sweep_inbox() is True  # eager: the drainers run now, and take every due event

    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"done"}
    assert Message.objects.filter(direction=Direction.IN).count() == 2


def test_a_burst_wakes_the_drainers_once(db, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    cache.delete(inbox.AWAKE_FLAG)
    with django_capture_on_commit_callbacks(execute=False) as wakes:
        for n in range(5):
            receive(channel="web", external_key=f"burst-{n}", payload=web_payload(f"burst-{n}"))
    assert len(wakes) == 5
    cache.add(inbox.AWAKE_FLAG, 1)  # drainers are awake: the other four wakes do nothing
    for callback in wakes[1:]:
        callback()
    assert Message.objects.filter(direction=Direction.IN).count() == 0

    assert inbox.drain() == 5
    assert Message.objects.filter(direction=Direction.IN).count() == 5
    assert cache.get(inbox.AWAKE_FLAG) is None  # asleep again: the next event wakes them


@pytest.mark.django_db(transaction=True)
def test_a_locked_event_is_left_to_the_worker_holding_it():
    import threading

    from django.db import connection, transaction

    # Written directly: through `receive`, the eager task would process it on commit.
    event = InboundEvent.objects.create(channel="web", external_key="k7", payload=web_payload("k7"))
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def holder():
        with transaction.atomic():
            InboundEvent.objects.select_for_update().get(pk=event.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    locked.wait(10)
    outcome["second"] = inbox.process(event_id=event.pk)
    release.set()
    thread.join()

    assert outcome["second"] == "busy"
    assert not Message.objects.filter(direction=Direction.IN).exists()
    assert inbox.process(event_id=event.pk) == "done"
