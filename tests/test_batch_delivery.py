"""What a batch sends on: the outbox a chunk at a time on one connection, real-time events to
the groups someone is in."""

from __future__ import annotations

import time

from aiosmtpd.controller import Controller

from channels_inbound import outbox
from channels_inbound.models import OutboundDelivery
from tests.smtp_server import MailServer, free_port, point_django_at
from tickets import services
from tickets.models import Message


class PickyServer(MailServer):
    """Refuses one address for good, and counts the connections it was sent mail on."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused, self.sessions = refused, set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.sessions.add(id(session))
        if address == self.refused:
            return "550 5.1.1 No such user"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_batch_of_deliveries_goes_on_one_connection_each_sent_once(settings, agent):
    server, port = PickyServer("gone@mail.example"), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        point_django_at(settings, port)
        deliveries = []
        for sender in ("a@mail.example", "gone@mail.example", "b@mail.example"):
            ticket = services.ticket_ingest(message=bulk_message(sender)).ticket
            message = services.ticket_reply(ticket=ticket, by=agent, text=f"Hello {sender}")
            deliveries.append(OutboundDelivery.objects.get(message=message).pk)

        sent = outbox.deliver_many(delivery_ids=deliveries)
        again = outbox.deliver_many(delivery_ids=deliveries)
    finally:
        controller.stop()

    assert (sent, again) == (2, 0)
    assert sorted(e.rcpt_tos[0] for e in server.received) == ["a@mail.example", "b@mail.example"]
    assert len(server.sessions) == 1
    statuses = dict(OutboundDelivery.objects.values_list("address", "status"))
    assert statuses == {"a@mail.example": "sent", "gone@mail.example": "failed",
                        "b@mail.example": "sent"}  # fmt: skip
    gone = Message.objects.get(deliveries__address="gone@mail.example")
    assert gone.delivery_status == "failed" and "No such user" in gone.delivery_error
    assert OutboundDelivery.objects.get(address="a@mail.example").attempts == 1


def bulk_message(sender: str):
    from tests.conftest import inbound

    return inbound(sender=sender, external_id=f"<q-{sender}>")


async def _join(layer, *, live: str, expired: str) -> str:
    """A channel in group `live`, and one in `expired` whose membership has run out; the
    live channel's name."""
    here, gone = await layer.new_channel(), await layer.new_channel()
    await layer.group_add(live, here)
    await layer.group_add(expired, gone)
    await layer.connection(layer.consistent_hash(expired)).zadd(
        layer._group_key(expired), {gone: time.time() - layer.group_expiry - 5}
    )
    return here


def test_the_publisher_sends_only_to_groups_someone_is_in(db, own_channel_layer):
    """A burst of inbound mail makes hundreds of events, mostly for tickets nobody has open:
    who listens is asked once, and a member whose group membership expired does not count."""
    import asyncio

    from asgiref.sync import async_to_sync

    from helpdesk import realtime

    layer = own_channel_layer
    heard = []

    async def story():
        here = await _join(layer, live="ticket.900001", expired="ticket.900003")
        listened = await realtime._listened(
            layer, {"ticket.900001", "ticket.900002", "ticket.900003"}
        )
        await realtime.send_many([
            realtime.RealtimeEvent("ticket.updated", 900001, to_agents=False),
            realtime.RealtimeEvent("ticket.updated", 900002, to_agents=False),
        ])  # fmt: skip
        heard.append(await asyncio.wait_for(layer.receive(here), 2))
        await layer.group_discard("ticket.900001", here)
        return listened

    assert async_to_sync(story)() == {"ticket.900001"}
    assert heard[0]["event"]["ticket_id"] == 900001


def test_the_publisher_thread_asks_who_listens_without_an_event_loop(db, own_channel_layer):
    """The publisher thread asks through the synchronous Redis client, by the same rule as
    `_listened` (an expired member does not count), and enters its event loop only for the
    groups somebody is in."""
    from asgiref.sync import async_to_sync

    from helpdesk import realtime

    layer = own_channel_layer
    groups = {"ticket.900011", "ticket.900012", "ticket.900013"}
    here = async_to_sync(_join)(layer, live="ticket.900011", expired="ticket.900013")
    clients = {}
    try:
        assert realtime._listened_now(layer, groups, clients) == {"ticket.900011"}
        assert realtime._listened_now(layer, groups, clients) == async_to_sync(realtime._listened)(
            layer, groups
        )
        events = [
            realtime.RealtimeEvent("ticket.updated", 900011, to_agents=False),
            realtime.RealtimeEvent("ticket.updated", 900012, to_agents=False),
        ]
        assert realtime._routed(events, {"ticket.900011"}) == [(events[0], ["ticket.900011"])]
    finally:
        async_to_sync(layer.group_discard)("ticket.900011", here)
        for client in clients.values():
            client.close()


def test_a_busy_publisher_gathers_events_and_still_sends_within_the_second(db, own_channel_layer):
    """Right after a batch went out, the next events wait up to `GATHER_SECONDS` for company:
    a process creating tickets one after another pays one Redis lookup for several of them.
    The first event after a quiet spell goes at once, and every one arrives well within 1 s."""
    import asyncio

    from asgiref.sync import async_to_sync

    from helpdesk import realtime

    layer = own_channel_layer
    batches = []

    class Recording(realtime._Publisher):
        def _send(self, events, loop, clients):
            batches.append(len(events))
            realtime._Publisher._send(events, loop, clients)

    here = async_to_sync(_join)(layer, live="ticket.900021", expired="ticket.900029")
    publisher = Recording()
    started = time.monotonic()
    publisher.put(realtime.RealtimeEvent("ticket.updated", 900021, to_agents=False))
    assert publisher.flush(2)
    first_sent = time.monotonic() - started
    for _ in range(5):  # as requests finishing a few milliseconds apart would
        publisher.put(realtime.RealtimeEvent("ticket.updated", 900021, to_agents=False))
        time.sleep(0.004)
    assert publisher.flush(2)

    async def receive_all():
        return [await asyncio.wait_for(layer.receive(here), 1) for _ in range(6)]

    try:
        heard = async_to_sync(receive_all)()
    finally:
        async_to_sync(layer.group_discard)("ticket.900021", here)
    assert len(heard) == 6
    assert first_sent < realtime.GATHER_SECONDS
    assert batches[0] == 1 and sum(batches[1:]) == 5
    assert len(batches) <= 3, batches  # one lookup each would be six batches
