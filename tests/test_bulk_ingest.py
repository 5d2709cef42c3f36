"""Email in batches: the same tickets, messages, customers and events as one at a time, in a
number of queries that does not grow with the batch."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_inbound import batch, inbox
from channels_inbound.models import InboundEvent, Mailbox
from tests.batch_helpers import email, receive, with_attachment
from tests.email_helpers import deliver
from tickets import services
from tickets.models import Customer, Message, Status, Ticket, TicketEvent
from tickets.services import bulk_ingest


@pytest.fixture
def mailbox(support):
    return Mailbox.objects.create(name="Support", address="support@desk.example", group=support)


def one_by_one() -> None:
    pending = InboundEvent.objects.filter(status="pending").order_by("id")
    for event_id in pending.values_list("pk", flat=True):
        inbox.process(event_id=event_id)


def in_batches() -> None:
    while batch.process_due():
        pass


class Rollback(Exception):
    pass


def outcome(mailbox, raws, process) -> dict:
    """What processing the messages makes of the desk; rolled back afterwards, so the other
    way starts from the same state."""
    seen = {}

    def run():
        with transaction.atomic():
            receive(mailbox, raws() if callable(raws) else raws)
            process()
            seen.update(picture())
            raise Rollback

    with pytest.raises(Rollback):
        run()
    return seen


def picture() -> dict:
    """Everything ingest writes, with what differs between two runs by construction (ids,
    numbers drawn from sequences, random Message-ID parts, signed links) named by position."""
    rank = {n: f"T{i}" for i, n in enumerate(Ticket.objects.order_by("number")
                                             .values_list("number", flat=True))}  # fmt: skip
    by_pk = {t.pk: rank[t.number] for t in Ticket.objects.only("number")}

    def mask(text: str) -> str:
        text = re.sub(r"/status/[^/]+/", "/status/X/", text or "")
        text = re.sub(r"<t(\d+)\.m\d+\.[0-9a-f]{20}@", lambda m: f"<{rank[int(m[1])]}.m.R@", text)
        text = re.sub(r"'(\d+)'", lambda m: "'" + rank.get(int(m[1]), m[1]) + "'", text)
        return re.sub(r"#(\d+)", lambda m: "#" + rank.get(int(m[1]), m[1]), text)

    message_key, messages = {}, {}
    for m in Message.objects.order_by("ticket__number", "created_at", "id"):
        key = (
            f"{by_pk[m.ticket_id]}/{sum(k.startswith(by_pk[m.ticket_id] + '/') for k in messages)}"
        )
        message_key[m.pk] = key
        messages[key] = [
            m.direction, m.channel, mask(m.external_id), m.sender_address, mask(m.text),
            mask(m.html), m.quoted_text, m.is_auto_generated, m.delivery_status,
            m.delivery_error, m.author_customer_id and who(m.author_customer_id),
            sorted((a.name, a.size, a.sha256, a.is_inline) for a in m.attachments.all()),
            [(d.channel, d.address, d.status) for d in m.deliveries.all()],
        ]  # fmt: skip

    def values(value):
        if not isinstance(value, dict):
            return value
        named = {"message_id": message_key, "number": rank, "follow_up_of": rank}
        if "number" in value:  # a ticket's {"id", "number"}; a user's or group's id stays
            named["id"] = by_pk
        return {k: named[k].get(v, v) if k in named else v for k, v in value.items()}

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, search_vector::text FROM tickets_ticket")
        vectors = dict(cursor.fetchall())
    return {
        "tickets": {rank[t.number]: [
            mask(t.subject), t.status, t.channel, who(t.customer_id), t.group_id,
            t.follow_up_of_id and by_pk[t.follow_up_of_id], t.participant_addresses,
            t.last_customer_message_at is None, mask(vectors[t.pk]),
        ] for t in Ticket.objects.all()},
        "messages": messages,
        "events": sorted((
            [by_pk[e.ticket_id], e.kind, e.actor_customer_id and who(e.actor_customer_id),
             values(e.old), values(e.new), e.note]
            for e in TicketEvent.objects.order_by("created_at", "id")
        ), key=str),
        "timeline order": [
            [by_pk[e.ticket_id], e.kind] for e in TicketEvent.objects.order_by("created_at", "id")
        ],
        "customers": sorted(
            [c.name, c.language, sorted((i.kind, i.value, i.display) for i in c.identities.all())]
            for c in Customer.objects.prefetch_related("identities")
        ),
        "inbound": {e.external_key: [e.status, e.error, e.attempts, message_key.get(e.message_id)]
                    for e in InboundEvent.objects.all()},
    }  # fmt: skip


def who(customer_id: int) -> str:
    return ",".join(sorted(Customer.objects.get(pk=customer_id).identities
                           .values_list("value", flat=True)))  # fmt: skip


@pytest.fixture
def desk(mailbox, agent, settings):
    """A desk with history: Marina's open ticket (answered by an agent), a solved one, a
    closed one, and one where her boss was in Cc."""
    settings.HELPDESK_AUTOACK_PER_HOUR = 4
    open_ = deliver(email(message_id="<old1@mail.example>", subject="Old one"), mailbox)
    solved = deliver(email(message_id="<old2@mail.example>", subject="Solved"), mailbox)
    closed = deliver(email(message_id="<old3@mail.example>", subject="Closed"), mailbox)
    deliver(email(message_id="<old4@mail.example>", cc="boss@mail.example"), mailbox)
    services.ticket_set_status(ticket=solved.message.ticket, status=Status.SOLVED, by=agent)
    services.ticket_set_status(ticket=closed.message.ticket, status=Status.CLOSED, by=agent)
    reply = services.ticket_reply(ticket=open_.message.ticket, by=agent, text="We look into it.")
    reply.refresh_from_db()
    return open_.message.ticket, reply


def bounce_of(message_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mail.example\r\nTo: support@desk.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mail.example>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example\r\n"
        "\r\nFinal-Recipient: rfc822; marina@mail.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@desk.example\r\n"
        f"To: marina@mail.example\r\nMessage-ID: {message_id}\r\nSubject: Re: x\r\n--B--\r\n"
    ).encode()


def mixed(desk) -> list[bytes]:
    ticket, ours = desk
    no_id = email(sender="carl@mail.example", name="Carl", message_id="not-an-id")
    return [
        email(sender="ann@mail.example", name="Ann", message_id="<a1@mail.example>"),
        email(sender="ann@mail.example", name="Ann", subject="Re: x", text="Me again",
              message_id="<a2@mail.example>", in_reply_to="<a1@mail.example>"),
        *[email(sender="bob@mail.example", name="Bob", subject=f"Question {n}",
                message_id=f"<b{n}@mail.example>") for n in range(6)],
        email(sender="ann@mail.example", name="Ann", message_id="<a1@mail.example>"),  # again
        no_id,
        no_id,
        email(subject="Re: closed", message_id="<m3@mail.example>",
              in_reply_to="<old3@mail.example>"),
        email(subject="Re: solved", message_id="<m2@mail.example>",
              in_reply_to="<old2@mail.example>"),
        email(sender="mallory@evil.example", name="Mallory", message_id="<x1@evil.example>",
              subject=f"Re: [#{ticket.number}] let me in"),
        email(subject=f"Ответ: [#{ticket.number}] Old one", message_id="<m1@mail.example>"),
        email(sender="robot@mail.example", name="Robot", subject="Out of office",
              message_id="<r1@mail.example>", headers={"Auto-Submitted": "auto-replied"}),
        email(sender="not an address", message_id="<bad@mail.example>"),
        bounce_of(ours.external_id),
        email(sender="boss@mail.example", name="The Boss", subject="Re: x",
              message_id="<boss1@mail.example>", in_reply_to="<old4@mail.example>"),
        with_attachment(sender="dave@mail.example", message_id="<d1@mail.example>"),
        email(sender="erin@mail.example", name="Erin", subject="Re: Question 0",
              message_id="<e1@mail.example>", in_reply_to="<b0@mail.example>"),
        email(sender="bob@mail.example", name="Bob", subject="Re: Question 0", text="Hello?",
              message_id="<b9@mail.example>", in_reply_to="<e1@mail.example>",
              cc="erin@mail.example"),
    ]  # fmt: skip


def batched_counting_singles(mailbox, raws, monkeypatch):
    """The outcome of ingesting in batches, and the events that went one at a time instead."""
    one_at_a_time, real = [], inbox.process_locked

    def counted(event, parsed=None):
        one_at_a_time.append(event.pk)
        return real(event, parsed)

    monkeypatch.setattr(inbox, "process_locked", counted)
    return outcome(mailbox, raws, in_batches), one_at_a_time


def test_a_batch_makes_what_one_at_a_time_makes(mailbox, desk, monkeypatch):
    raws = mixed(desk)
    alone = outcome(mailbox, raws, one_by_one)
    batched, one_at_a_time = batched_counting_singles(mailbox, raws, monkeypatch)

    assert len(one_at_a_time) == 1  # the bounce, in its place; the rest went in batches
    for part in alone:
        assert batched[part] == alone[part], part
    inbound = alone["inbound"]
    assert [inbound[f"b:{n}"][0] for n in (0, 8, 9, 10, 16)] == [
        "done", "done", "done", "done", "failed"]  # fmt: skip
    assert inbound["b:8"][3] == inbound["b:0"][3] and inbound["b:10"][3] == inbound["b:9"][3]
    # Marina's four tickets before (four per hour at most: none for her follow-up); Ann, Carl,
    # Mallory, Dave and Erin one each; Bob four of six; the robot none.
    assert sum(m[0] == "out" and m[7] for m in alone["messages"].values()) == 4 + 5 + 4


def test_a_message_quoting_a_number_the_batch_draws_is_taken_one_at_a_time(mailbox, desk):
    def raws():
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_value + 1 FROM tickets_ticket_number_seq")
            next_number = cursor.fetchone()[0]  # Ann's new ticket will have it
        return [
            email(sender="ann@mail.example", name="Ann", message_id="<a1@mail.example>"),
            email(sender="mallory@evil.example", subject=f"Re: [#{next_number}] guess",
                  message_id="<x1@evil.example>"),
        ]  # fmt: skip

    alone = outcome(mailbox, raws, one_by_one)

    batched = outcome(mailbox, raws, in_batches)

    assert batched == alone
    ann, mallory = (alone["tickets"][f"T{n}"] for n in (4, 5))
    assert ann[3] == "ann@mail.example" and mallory[3] == "mallory@evil.example"
    assert mallory[5] == "T4"  # a stranger quoting Ann's number: a new ticket, linked to hers


def test_a_failing_message_fails_alone(mailbox, monkeypatch):
    raws = [email(sender=f"c{n}@mail.example", subject="boom" if n == 1 else f"fine {n}",
                  message_id=f"<c{n}@mail.example>") for n in range(3)]  # fmt: skip
    receive(mailbox, raws)

    def broken(**kwargs):
        raise RuntimeError("a bug in the batch")

    real = inbox.ticket_ingest

    def boom(*, message, group):
        if message.subject == "boom":
            raise RuntimeError("a bug for this message")
        return real(message=message, group=group)

    monkeypatch.setattr(bulk_ingest, "ticket_ingest_many", broken)
    monkeypatch.setattr(inbox, "ticket_ingest", boom)
    assert batch.process_due() == 3

    events = {e.external_key: e for e in InboundEvent.objects.all()}
    assert events["b:0"].status == events["b:2"].status == "done"
    failed = events["b:1"]
    assert failed.status == "pending" and failed.attempts == 1
    assert failed.error == "RuntimeError: a bug for this message" and failed.message is None
    assert failed.next_attempt_at > timezone.now()
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["fine 0", "fine 2"]


def many(n: int, tag: str) -> list[bytes]:
    """n new customers' questions, then each one's reply to it, Marina on her open ticket, a
    file, and a message delivered twice."""
    questions = [email(sender=f"{tag}{i}@mail.example", name=f"C {i}", subject=f"Q {i}",
                       message_id=f"<{tag}{i}@mail.example>") for i in range(n)]  # fmt: skip
    replies = [email(sender=f"{tag}{i}@mail.example", subject="Re", text="More",
                     message_id=f"<{tag}{i}r@mail.example>",
                     in_reply_to=f"<{tag}{i}@mail.example>") for i in range(n)]  # fmt: skip
    marina = email(subject="Re: Old one", message_id=f"<{tag}m@mail.example>",
                   in_reply_to="<old1@mail.example>")  # fmt: skip
    attached = with_attachment(sender=f"{tag}-dave@mail.example", message_id=f"<{tag}d@x>")
    return [*questions, *replies, marina, attached, questions[0]]


def queries_for(mailbox, raws, tag) -> int:
    receive(mailbox, raws, tag)
    with CaptureQueriesContext(connection) as queries:
        assert batch.process_due(limit=1000) == len(raws)
    assert not InboundEvent.objects.filter(status="pending").exists()
    return len(queries)


def test_a_batch_costs_as_many_queries_for_a_few_messages_as_for_many(mailbox, desk):
    # (In a test every batch is a savepoint of one transaction, so the turns of earlier
    # batches are still held: one batch first, and both measured ones wait for a turn.)
    queries_for(mailbox, many(2, "first"), "first")
    few = queries_for(mailbox, many(3, "few"), "few")
    lots = queries_for(mailbox, many(60, "lots"), "lots")

    assert few == lots <= 40
    assert Ticket.objects.filter(subject__startswith="Q ").count() == 2 + 3 + 60
    assert Message.objects.filter(text="More").values("ticket").distinct().count() == 2 + 3 + 60


def web_form_outcome(process, monkeypatch) -> tuple[dict, list[int], list[int]]:
    """Four web-form submissions (two from one customer) processed by `process`: what the
    desk looks like, the numbers promised, and the events processed one at a time."""
    from channels_inbound import webform

    seen, promised, alone, real = {}, [], [], inbox.process_locked

    def counted(event, parsed=None):
        alone.append(event.pk)
        return real(event, parsed)

    monkeypatch.setattr(inbox, "process_locked", counted)

    def run():
        with transaction.atomic():
            for n, address in enumerate(["web1", "web2", "web1", "web3"]):
                promised.append(webform.submit(
                    email=f"{address}@mail.example", name=f"Web {address}",
                    subject=f"Order {n}", text=f"Where is order {n}?", language="en",
                    client="bulk-ingest-test", key=f"bulk-ingest-test-{n}",
                ).number)  # fmt: skip
            process()
            seen.update(picture())
            seen["numbers"] = sorted(Ticket.objects.values_list("number", flat=True))
            raise Rollback

    with pytest.raises(Rollback):
        run()
    seen["numbers"] = [promised.index(n) if n in promised else n for n in seen["numbers"]]
    return seen, promised, alone


def test_web_form_submissions_go_in_batches_with_the_numbers_they_were_promised(
    support, monkeypatch, settings
):
    settings.HELPDESK_WEBFORM_RATE_LIMIT = "100/minute"
    alone, _, _ = web_form_outcome(one_by_one, monkeypatch)
    batched, _, one_at_a_time = web_form_outcome(in_batches, monkeypatch)

    assert one_at_a_time == []  # all four went through the batch ingest
    assert batched["numbers"] == [0, 1, 2, 3]  # each ticket has the number its answer gave
    for part in alone:
        assert batched[part] == alone[part], part
    assert len(batched["customers"]) == 3  # web1 wrote twice: one customer


def test_a_message_quoting_a_number_promised_in_the_same_batch_is_not_batched(support):
    from tickets.types import NormalizedMessage, ThreadHints

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('tickets_ticket_number_seq')")
        promised = cursor.fetchone()[0]
    first = NormalizedMessage(channel="web", sender_kind="email", sender_value="p@mail.example",
                              text="Where is my order?", external_id="web:promised-1",
                              reserved_number=promised)  # fmt: skip
    reply = NormalizedMessage(channel="web", sender_kind="email", sender_value="p@mail.example",
                              text="Any news?", external_id="web:promised-2",
                              hints=ThreadHints(ticket_number=promised))  # fmt: skip
    items = [bulk_ingest.prepare(first, support), bulk_ingest.prepare(reply, support)]

    with pytest.raises(bulk_ingest.Unbatchable, match="promised"):
        bulk_ingest.ticket_ingest_many(items=items)
    assert not Ticket.objects.filter(number=promised).exists()  # nothing written
    assert not Message.objects.filter(external_id__startswith="web:promised").exists()


def test_a_batch_lets_no_stranger_in_by_our_message_id_or_the_number(mailbox, agent, monkeypatch):
    # Marina's ticket with her boss in Cc, and our reply, whose Message-ID is not a secret.
    ticket = deliver(email(message_id="<q1@mail.example>", cc="boss@mail.example",
                           subject="Secret project Quokka"), mailbox).message.ticket  # fmt: skip
    ours = services.ticket_reply(ticket=ticket, by=agent, text="Your code is 4711.")
    ours.refresh_from_db()
    raws = [
        email(sender="mallory@evil.example", name="Mallory", subject=f"Re: [#{ticket.number}] x",
              message_id="<x1@evil.example>", in_reply_to=ours.external_id),
        email(sender="trudy@evil.example", name="Trudy", subject="Fwd: hi",
              message_id="<y1@evil.example>", references=f"<q1@mail.example> {ours.external_id}"),
        email(sender="mallory@evil.example", name="Mallory", subject=f"Re: [#{ticket.number}]",
              message_id="<x2@evil.example>", text="And now?"),
        email(subject="Re: thanks", message_id="<q2@mail.example>", in_reply_to=ours.external_id),
        email(sender="boss@mail.example", name="The Boss", subject="Re: thanks",
              message_id="<boss1@mail.example>", in_reply_to=ours.external_id),
    ]  # fmt: skip
    alone = outcome(mailbox, raws, one_by_one)
    batched, one_at_a_time = batched_counting_singles(mailbox, raws, monkeypatch)

    assert one_at_a_time == []
    for part in alone:
        assert batched[part] == alone[part], part
    tickets = alone["tickets"]
    assert len(tickets) == 4  # Marina's, and a new ticket for each stranger's mail
    by_sender = {who: [key.split("/")[0] for key, m in alone["messages"].items()
                       if m[0] == "in" and m[10] == who]
                 for who in ("mallory@evil.example", "trudy@evil.example",
                             "marina@mail.example", "boss@mail.example")}  # fmt: skip
    assert by_sender["marina@mail.example"] == ["T0", "T0"]
    assert by_sender["boss@mail.example"] == ["T0"]
    assert by_sender["mallory@evil.example"] == ["T1", "T3"]  # tickets of her own
    assert by_sender["trudy@evil.example"] == ["T2"]
    for stranger in ("T1", "T2", "T3"):
        assert tickets[stranger][5] == "T0"  # linked to the ticket named, for the agents
        assert "#T0" not in tickets[stranger][0] and "Quokka" not in tickets[stranger][0]
    assert tickets["T0"][6] == ["boss@mail.example"]
