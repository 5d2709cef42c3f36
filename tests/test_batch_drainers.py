"""Two drainers at once: never a reply before its parent, never more drainers than slots."""

from __future__ import annotations

import threading
import time

from django.db import connection, transaction

from channels_inbound import batch, inbox
from channels_inbound.models import InboundEvent, Mailbox
from tests.batch_helpers import email, receive
from tickets.models import Message
from tickets.services import bulk_ingest


def test_a_reply_waits_for_its_parent_claimed_by_the_other_drainer(transactional_db, monkeypatch):
    """Drainer A holds the questions and is slow to write them; drainer B takes the replies
    meanwhile and parses them, but writes only once A has committed: each reply joins its
    question's ticket."""
    from django.db import close_old_connections

    monkeypatch.setattr(inbox, "wake", lambda: None)  # the two drainers below are all there is
    mailbox = Mailbox.objects.create(name="Support", address="support@desk.example")
    questions = [email(sender=f"p{i}@mail.example", message_id=f"<p{i}@mail.example>")
                 for i in range(5)]  # fmt: skip
    replies = [email(sender=f"p{i}@mail.example", subject="Re", text="And?",
                     message_id=f"<p{i}r@mail.example>", in_reply_to=f"<p{i}@mail.example>")
               for i in range(5)]  # fmt: skip
    receive(mailbox, questions + replies)
    writing, release, order = threading.Event(), threading.Event(), []
    real = bulk_ingest.ticket_ingest_many

    def slow(**kwargs):
        if not writing.is_set():
            writing.set()
            release.wait(10)
        order.append(kwargs["items"][0].message.subject)
        return real(**kwargs)

    monkeypatch.setattr(bulk_ingest, "ticket_ingest_many", slow)

    def drain():
        try:
            batch.process_due(limit=5)
        finally:
            connection.close()

    a = threading.Thread(target=drain)
    a.start()
    writing.wait(10)
    b = threading.Thread(target=drain)
    b.start()
    time.sleep(0.5)  # B has claimed and parsed the replies, and waits for its turn
    assert order == [] and b.is_alive()
    release.set()
    a.join(10)
    b.join(10)
    close_old_connections()

    assert order == ["Backpack discount", "Re"]
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"done"}
    for i in range(5):
        question = Message.objects.get(external_id=f"<p{i}@mail.example>")
        assert Message.objects.get(external_id=f"<p{i}r@mail.example>").ticket == question.ticket


def test_no_more_drainers_run_than_there_are_slots(transactional_db, monkeypatch):
    """A drainer woken while enough run leaves (after a short wait for a slot): drainers must
    never take every worker process the outbox and the poller need."""
    from django.core.cache import cache

    monkeypatch.setattr(inbox, "wake", lambda: None)
    mailbox = Mailbox.objects.create(name="Support", address="support@desk.example")
    receive(mailbox, [email(message_id="<slot@mail.example>")])
    cache.set(inbox.AWAKE_FLAG, 1)
    running, stop = threading.Barrier(inbox.DRAINERS + 1), threading.Event()

    def drainer():
        with batch.drainer_slot(inbox.DRAINERS):
            running.wait(10)
            stop.wait(10)
        connection.close()

    others = [threading.Thread(target=drainer) for _ in range(inbox.DRAINERS)]
    for thread in others:
        thread.start()
    running.wait(10)
    extra = inbox.drain()
    stop.set()
    for thread in others:
        thread.join(10)

    assert extra == 0 and cache.get(inbox.AWAKE_FLAG) == 1
    assert InboundEvent.objects.get().status == "pending"
    assert inbox.drain() == 1 and cache.get(inbox.AWAKE_FLAG) is None


def test_a_drainer_waits_while_the_other_holds_every_due_event(transactional_db, monkeypatch):
    """...rather than leave while the other may be about to finish: it takes the next events
    as they come, and the last one out looks last."""
    monkeypatch.setattr(inbox, "wake", lambda: None)
    monkeypatch.setattr(inbox, "HELD_PAUSE_SECONDS", 0.02)
    mailbox = Mailbox.objects.create(name="Support", address="support@desk.example")
    receive(mailbox, [email(message_id="<held@mail.example>")])
    locked, release, drained = threading.Event(), threading.Event(), []

    def holder():
        with transaction.atomic():
            InboundEvent.objects.select_for_update().get()  # as the other drainer's batch
            locked.set()
            release.wait(10)
        connection.close()

    def drainer():
        drained.append(inbox.drain())
        connection.close()

    held = threading.Thread(target=holder)
    held.start()
    locked.wait(10)
    waiting = threading.Thread(target=drainer)
    waiting.start()
    time.sleep(0.3)
    still_waiting = waiting.is_alive()
    release.set()
    held.join(10)
    waiting.join(10)

    assert still_waiting and drained == [1]
    assert InboundEvent.objects.get().status == "done"


def test_a_drainer_woken_as_the_others_leave_takes_their_slot(transactional_db, monkeypatch):
    """The others took their last look just before our event committed and are leaving: the
    new drainer must not give up on the event (it would wait for the sweep)."""
    monkeypatch.setattr(inbox, "wake", lambda: None)
    mailbox = Mailbox.objects.create(name="Support", address="support@desk.example")
    receive(mailbox, [email(message_id="<late@mail.example>")])
    holding = threading.Barrier(inbox.DRAINERS + 1)

    def leaving():
        with batch.drainer_slot(inbox.DRAINERS):
            holding.wait(10)
            time.sleep(3 * inbox.HELD_PAUSE_SECONDS)
        connection.close()

    others = [threading.Thread(target=leaving) for _ in range(inbox.DRAINERS)]
    for thread in others:
        thread.start()
    holding.wait(10)
    done = inbox.drain()
    for thread in others:
        thread.join(10)

    assert done == 1 and InboundEvent.objects.get().status == "done"


def test_after_a_small_batch_a_drainer_lingers_and_takes_what_came_meanwhile(
    db, monkeypatch, settings
):
    """Under a steady stream, a drainer that found only a few events waits a moment before it
    claims again, so that the next batch is bigger (a batch costs about the same for one
    event as for fifty)."""
    from django.core.cache import cache

    monkeypatch.setattr(inbox, "wake", lambda: None)
    mailbox = Mailbox.objects.create(name="Support", address="support@desk.example")
    receive(mailbox, [email(message_id="<first@mail.example>")])
    claims, real_claim, lingered = [], batch._claim, []

    def counted(limit):
        events, previous = real_claim(limit)
        claims.append(len(events))
        return events, previous

    def linger():
        if not lingered:  # two more events arrive while the drainer waits
            receive(mailbox, [email(sender=f"s{i}@mail.example",
                                    message_id=f"<s{i}@mail.example>") for i in range(2)],
                    tag="later")  # fmt: skip
        lingered.append(settings.HELPDESK_INBOX_LINGER_SECONDS)

    monkeypatch.setattr(batch, "_claim", counted)
    monkeypatch.setattr(inbox, "_linger", linger)
    settings.HELPDESK_INBOX_LINGER_SECONDS = 0.05

    assert inbox.drain() == 3
    assert claims == [1, 2, 0, 0] and lingered == [0.05, 0.05]  # the last look: no linger
    assert cache.get(inbox.AWAKE_FLAG) is None

    settings.HELPDESK_INBOX_LINGER_SECONDS = 0  # eager tasks drain inside the request
    receive(mailbox, [email(message_id="<eager@mail.example>")], tag="eager")
    assert inbox.drain() == 1 and len(lingered) == 2


def test_the_awake_flag_set_by_a_submission_is_the_cache_s_flag(db, monkeypatch):
    """The wake-up writes the flag with a plain SET NX; drainers read and clear it through
    the cache: both must mean the same key and value."""
    from django.core.cache import cache

    from channels_inbound import tasks

    woken = []
    monkeypatch.setattr(tasks.drain_inbox, "apply_async", lambda **kw: woken.append(kw))
    cache.delete(inbox.AWAKE_FLAG)
    inbox.wake()
    assert cache.get(inbox.AWAKE_FLAG) == 1 and len(woken) == inbox.DRAINERS
    inbox.wake()  # awake already: nobody else is woken
    assert len(woken) == inbox.DRAINERS
    cache.delete(inbox.AWAKE_FLAG)
    inbox.wake()
    assert len(woken) == 2 * inbox.DRAINERS
    cache.delete(inbox.AWAKE_FLAG)
