"""The services that steer a ticket: each validates, logs its event, and changes nothing on
refusal."""

import pytest
from asgiref.sync import async_to_sync

from channels_inbound.models import OutboundDelivery
from comments.models import InternalComment
from comments.services import comment_create
from helpdesk.errors import ApplicationError, Forbidden
from tests.conftest import inbound
from tests.factories import IdentityFactory
from tickets import services
from tickets.models import (
    Channel,
    CustomerIdentity,
    DeliveryStatus,
    EventKind,
    IdentityKind,
    Message,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.selectors import TicketFilters, ticket_list
from tickets.types import ThreadHints


@pytest.fixture
def ticket(support):
    return services.ticket_ingest(message=inbound(), group=support).ticket


def test_status_moves_along_allowed_transitions_and_stamps_times(ticket, agent):
    services.ticket_set_status(ticket=ticket, status=Status.SOLVED, by=agent)
    services.ticket_set_status(ticket=ticket, status=Status.CLOSED, by=agent)

    ticket.refresh_from_db()
    assert ticket.solved_at is not None and ticket.closed_at is not None
    changes = list(
        ticket.events.filter(kind=EventKind.STATUS_CHANGED).order_by("id").values_list("old", "new")
    )
    assert changes == [("new", "solved"), ("solved", "closed")]


@pytest.mark.parametrize(
    ("path", "target", "message"),
    [
        ([Status.SOLVED, Status.CLOSED], Status.OPEN, "closed ticket is final"),
        ([], Status.NEW, 'cannot go from "new" to "new"|already new'),
        ([Status.OPEN], Status.NEW, 'cannot go from "open" to "new"'),
        ([], "archived", 'Unknown status "archived"'),
    ],
)
def test_an_invalid_transition_is_refused_and_writes_nothing(ticket, agent, path, target, message):
    for status in path:
        services.ticket_set_status(ticket=ticket, status=status, by=agent)
    events_before = TicketEvent.objects.count()

    with pytest.raises(ApplicationError, match=message):
        services.ticket_set_status(ticket=ticket, status=target, by=agent)

    assert TicketEvent.objects.count() == events_before
    assert Ticket.objects.get(pk=ticket.pk).status == (path[-1] if path else Status.NEW)


def test_priority_and_tags_are_logged(ticket, agent):
    services.ticket_set_priority(ticket=ticket, priority="urgent", by=agent)
    services.ticket_set_tags(ticket=ticket, by=agent, add=["Refund", " promo code ", "refund"])
    services.ticket_set_tags(ticket=ticket, by=agent, remove=["refund"])

    ticket.refresh_from_db()
    assert ticket.priority_name == "urgent" and ticket.tags == ["promo-code"]
    tags = list(
        ticket.events.filter(kind=EventKind.TAGS_CHANGED).order_by("id").values_list("old", "new")
    )
    assert tags == [([], ["refund", "promo-code"]), (["refund", "promo-code"], ["promo-code"])]
    assert ticket.events.get(kind=EventKind.PRIORITY_CHANGED).new == "urgent"


def test_assigning_a_new_ticket_opens_it_and_notifies_the_owner(ticket, agent, colleague):
    services.ticket_assign(ticket=ticket, owner=colleague, by=agent)

    ticket.refresh_from_db()
    assert ticket.assignee == colleague and ticket.status == Status.OPEN
    event = ticket.events.get(kind=EventKind.ASSIGNED)
    assert event.actor == agent and event.new == {"id": colleague.pk, "name": colleague.full_name}
    assert colleague.notifications.get().kind == "assigned"


def test_internal_staff_cannot_be_assigned_only_handed_a_question(ticket, agent, internal):
    with pytest.raises(ApplicationError, match="hand the ticket off to them with a question"):
        services.ticket_assign(ticket=ticket, owner=internal, by=agent)


def test_hand_off_to_internal_staff_and_back(ticket, agent, internal, mailoutbox):
    services.ticket_assign(ticket=ticket, owner=agent, by=agent)

    services.ticket_hand_off(
        ticket=ticket, by=agent, to_user=internal, note="Was the 10% badge shown on the 14th?"
    )
    ticket.refresh_from_db()
    assert ticket.assignee == internal and ticket.hand_back_to == agent
    handed = ticket.events.get(kind=EventKind.HANDED_OFF)
    assert handed.note == "Was the 10% badge shown on the 14th?"
    assert handed.old["owner"]["id"] == agent.pk and handed.new["owner"]["id"] == internal.pk
    assert internal.notifications.get().kind == "hand_off"

    services.ticket_hand_back(ticket=ticket, by=internal, note="Yes, it was.")
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.hand_back_to is None
    assert ticket.events.get(kind=EventKind.HANDED_BACK).note == "Yes, it was."
    assert agent.notifications.get().kind == "handed_back"


def test_hand_off_needs_a_note_and_a_target(ticket, agent, colleague):
    with pytest.raises(ApplicationError, match="Add a note"):
        services.ticket_hand_off(ticket=ticket, by=agent, to_user=colleague, note="  ")
    with pytest.raises(ApplicationError, match="Choose a person or a group"):
        services.ticket_hand_off(ticket=ticket, by=agent, note="here you go")
    assert not ticket.events.filter(kind=EventKind.HANDED_OFF).exists()


def test_hand_off_to_a_group_puts_it_in_that_queue(ticket, agent, billing, other_agent):
    services.ticket_assign(ticket=ticket, owner=agent, by=agent)

    services.ticket_hand_off(ticket=ticket, by=agent, to_group=billing, note="A refund question")

    ticket.refresh_from_db()
    assert ticket.group == billing and ticket.assignee is None
    queue = ticket_list(user=other_agent, filters=TicketFilters(group=billing.pk, owner="none"))
    assert list(queue) == [ticket]


def test_reply_queues_delivery_sets_first_response_owner_and_status(
    ticket, agent, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.ticket_reply(
            ticket=ticket, by=agent, text="We'll refund the difference.", status=Status.PENDING
        )

    ticket.refresh_from_db()
    assert message.direction == "out" and message.channel == Channel.EMAIL
    assert ticket.first_response_at == message.created_at
    assert ticket.assignee == agent and ticket.status == Status.PENDING
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.address == "marina@mail.example" and delivery.status == "sent"
    assert Message.objects.get(pk=message.pk).delivery_status == DeliveryStatus.SENT
    assert [m.to for m in mailoutbox] == [["marina@mail.example"]]
    kinds = list(ticket.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-4:] == ["replied", "assigned", "status", "status"]


@pytest.fixture
def viber_ticket(db):
    chat = inbound(
        channel=Channel.VIBER,
        kind=IdentityKind.VIBER,
        sender="77",
        hints=ThreadHints(conversation=True),
    )
    return services.ticket_ingest(message=chat).ticket


def assert_no_reply_written(ticket) -> None:
    assert not ticket.messages.filter(direction="out").exists()
    assert not OutboundDelivery.objects.exists()
    assert not ticket.events.filter(kind=EventKind.REPLIED).exists()


def test_reply_to_a_customer_who_cannot_be_reached_is_refused(agent, viber_ticket):
    # The customer unsubscribed from the bot: their only Viber identity is unreachable.
    CustomerIdentity.objects.filter(customer=viber_ticket.customer).update(is_reachable=False)

    with pytest.raises(ApplicationError, match="The customer cannot be reached on Viber now"):
        services.ticket_reply(ticket=viber_ticket, by=agent, text="Hello")

    assert_no_reply_written(viber_ticket)


def test_reply_through_a_channel_with_no_sender_is_refused(agent, viber_ticket):
    """A channel whose adapter registered no sender (an installation without it)."""
    from channels_inbound import adapters

    sender = adapters._senders.pop(Channel.VIBER)
    try:
        with pytest.raises(ApplicationError, match="Replies to Viber are not connected yet"):
            services.ticket_reply(ticket=viber_ticket, by=agent, text="Hello")
    finally:
        adapters._senders[Channel.VIBER] = sender

    assert_no_reply_written(viber_ticket)


def test_reply_with_an_impossible_status_writes_nothing(ticket, agent):
    with pytest.raises(ApplicationError, match='cannot go from "open" to "new"'):
        services.ticket_reply(ticket=ticket, by=agent, text="Hi", status=Status.NEW)
    assert ticket.messages.filter(direction="out").count() == 0


def test_merging_tickets_moves_messages_and_comments_and_closes_the_source(agent, support):
    into = services.ticket_ingest(message=inbound(external_id="<a@m>"), group=support).ticket
    source = services.ticket_ingest(
        message=inbound(external_id="<b@m>", subject="Где мой рюкзак?"), group=support
    ).ticket
    comment_create(ticket=source, by=agent, text="Duplicate of the other one")

    services.ticket_merge(source=source, into=into, by=agent)

    source.refresh_from_db()
    assert source.status == Status.CLOSED and source.merged_into == into
    assert into.messages.count() == 2 and not source.messages.exists()
    assert InternalComment.objects.get().ticket_id == into.pk
    assert source.events.get(kind=EventKind.MERGED_INTO).new["number"] == into.number
    assert into.events.get(kind=EventKind.MERGED_FROM).old["number"] == source.number
    found = ticket_list(user=agent, filters=TicketFilters(text="рюкзак"))
    assert into in found


def test_a_merged_ticket_cannot_be_merged_again(agent, support):
    a = services.ticket_ingest(message=inbound(external_id="<1@m>"), group=support).ticket
    b = services.ticket_ingest(message=inbound(external_id="<2@m>"), group=support).ticket
    c = services.ticket_ingest(message=inbound(external_id="<3@m>"), group=support).ticket
    services.ticket_merge(source=b, into=a, by=agent)

    with pytest.raises(ApplicationError, match="already merged"):
        services.ticket_merge(source=b, into=c, by=agent)
    with pytest.raises(ApplicationError, match="into itself"):
        services.ticket_merge(source=a, into=a, by=agent)


def test_merging_customers_joins_identities_and_tickets(agent):
    by_mail = services.ticket_ingest(message=inbound()).ticket
    chat = inbound(
        channel=Channel.VIBER,
        kind=IdentityKind.VIBER,
        sender="vb-01",
        name="Марина",
        hints=ThreadHints(conversation=True),
    )
    by_viber = services.ticket_ingest(message=chat).ticket
    keep, gone = by_mail.customer, by_viber.customer

    services.customer_merge(source=gone, into=keep, by=agent)

    gone.refresh_from_db()
    assert gone.merged_into == keep
    assert set(CustomerIdentity.objects.filter(customer=keep).values_list("kind", flat=True)) == {
        "email",
        "viber",
    }
    assert set(keep.tickets.values_list("pk", flat=True)) == {by_mail.pk, by_viber.pk}
    assert by_viber.events.get(kind=EventKind.CUSTOMER_CHANGED).new["id"] == keep.pk
    # Any identity now finds every ticket of the customer.
    found = set(ticket_list(user=agent, filters=TicketFilters(text="vb-01")))
    assert found == {by_mail, by_viber}
    # Her next Viber message lands on her, not on the tombstone.
    again = services.ticket_ingest(message=chat).ticket
    assert again.customer == keep


def test_an_identity_cannot_be_added_twice(agent, customer):
    other = IdentityFactory(kind=IdentityKind.PHONE, value="+79161234567").customer

    with pytest.raises(ApplicationError, match="merge the two customers"):
        services.identity_add(customer=customer, kind="phone", value="+7 916 123-45-67", by=agent)
    assert other.identities.count() == 1 and customer.identities.count() == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("рюкзаки", True),  # Russian word forms
        ("скидкой", True),
        ("refunds", True),  # English stemming in the same index
        ("marina@mail.example", True),  # identities
        ("marina", True),  # a part of an address
        ("mail.example", True),
        ("Sokolova", True),  # customer name
        ("#{number}", True),  # the ticket number
        ("ноутбук", False),
    ],
)
def test_search_finds_subjects_messages_customers_in_both_languages(agent, query, expected):
    ticket = services.ticket_ingest(
        message=inbound(subject="Рюкзак со скидкой", text="Please process refund now")
    ).ticket

    found = ticket_list(user=agent, filters=TicketFilters(text=query.format(number=ticket.number)))

    assert (ticket in found) is expected


def test_services_publish_after_commit_only(
    agent, support, django_capture_on_commit_callbacks, own_channel_layer
):
    layer = own_channel_layer
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("agents", channel)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.ticket_ingest(message=inbound(), group=support)
    assert callbacks, "nothing may be sent before commit"
    for callback in callbacks:
        callback()

    async def two_events():
        return [(await layer.receive(channel))["event"] for _ in range(2)]

    received = async_to_sync(two_events)()
    assert {e["type"] for e in received} == {"ticket.created", "message.created"}
    assert received[0]["payload"]["ticket"]["number"] == result.ticket.number
    async_to_sync(layer.group_discard)("agents", channel)


def test_forbidden_actions_change_nothing(ticket, internal):
    with pytest.raises(Forbidden, match="Internal staff can read"):
        services.ticket_set_status(ticket=ticket, status=Status.SOLVED, by=internal)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
