"""Defects found by using every page as its users would (issue 19), through Django's test
client: where the head of support lands, and how a customer merge is confirmed and recorded
in the ticket's history and the admin's audit log."""

import html
import re

import pytest

from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, UserFactory
from tickets import services
from tickets.models import Status, TicketEvent

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    """The page as a person reads it: tags out, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_an_admin_who_is_no_groups_member_lands_on_all_open(client, admin_user, support):
    # Given: ten open tickets in the Support group (owned by its agents), and the head of
    # support, an admin who is no group's member.
    owner = UserFactory(groups=[support])
    for _ in range(10):
        TicketFactory(group=support, assignee=owner, status=Status.OPEN)
    client.force_login(admin_user)

    # When: they open the workspace.
    page = client.get("/tickets/")

    # Then: they land on "All open", with the ten tickets, not on an empty queue.
    content = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'class="active" aria-current="page">\s*<span>All open</span>', content)
    assert content.count('class="row"') == 10
    assert "Nice work" not in content


def test_an_agent_of_a_group_still_lands_on_its_unassigned_tickets(client, agent, support):
    TicketFactory(group=support, assignee=None, status=Status.NEW)
    client.force_login(agent)

    content = client.get("/tickets/").content.decode()

    assert re.search(r'aria-current="page">\s*<span>Unassigned in my groups</span>', content)
    assert content.count('class="row"') == 1


@pytest.fixture
def merged(agent):
    """Elena wrote by e-mail and, as "Елена", by Viber; the agent merged the Viber one."""
    keep = CustomerFactory(name="Elena Orlova")
    IdentityFactory(customer=keep, value="elena@mail.example")
    other = CustomerFactory(name="Елена")
    IdentityFactory(customer=other, kind="viber", value="vb-55")
    ticket = TicketFactory(customer=other, subject="Delivery to the wrong address")
    services.customer_merge(source=other, into=keep, by=agent)
    return ticket


def test_a_customer_merge_is_told_in_words_on_the_tickets_history(client, agent, merged):
    client.force_login(agent)

    page = text_of(client.get(f"/tickets/{merged.number}/"))

    assert (
        "Vasya Pupkin merged customer Елена into Elena Orlova; the ticket moved with them" in page
    )
    assert "customers merged" not in page


def test_an_older_merge_with_the_english_note_shows_no_note(client, agent, merged):
    """Merges before this change stored "customers merged" as the event's note."""
    TicketEvent.objects.filter(ticket=merged, kind="customer").update(note="customers merged")
    client.force_login(agent)

    page = text_of(client.get(f"/tickets/{merged.number}/"))

    assert "merged customer Елена into Elena Orlova" in page
    assert "customers merged" not in page


def test_the_admins_audit_log_tells_events_in_words(client, admin_user, agent, merged):
    # Given: besides the merge, the ticket was handed off and its priority raised.
    services.ticket_set_priority(ticket=merged, priority="high", by=agent)
    client.force_login(admin_user)

    # When: the admin opens the audit log, and one event in it.
    log = client.get("/admin/tickets/ticketevent/")
    event = TicketEvent.objects.get(ticket=merged, kind="priority")
    one = client.get(f"/admin/tickets/ticketevent/{event.pk}/change/")

    # Then: each event is a sentence, and no stored JSON shows.
    listed = text_of(log)
    assert log.status_code == 200 and one.status_code == 200
    assert "merged customer Елена into Elena Orlova" in listed
    assert "Vasya Pupkin changed the priority from Normal to High" in listed
    assert "Vasya Pupkin changed the priority from Normal to High" in text_of(one)
    for page in (listed, text_of(one)):
        assert '{"' not in page and "{'" not in page, page
