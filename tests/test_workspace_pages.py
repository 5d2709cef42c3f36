"""The agent workspace pages, through Django's test client: what each role sees and can do,
and that every list page costs the same number of queries for few and many rows."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comments.models import InternalComment
from comments.services import comment_create
from tests.conftest import inbound
from tests.factories import (
    CommentFactory,
    CustomerFactory,
    IdentityFactory,
    MessageFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services
from tickets.models import CannedResponse, EventKind, Message, SavedFilter, Status, Ticket


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def queries(client, url) -> tuple[int, str]:
    from django.core.cache import cache

    from accounts.selectors import forget_active_colleagues
    from tickets.selectors import forget_active_groups

    cache.clear()  # the shared queue counts are cached: count them in both measurements
    forget_active_groups()
    forget_active_colleagues()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured), response.content.decode()


def test_queue_page_lists_and_stays_flat(agent_client, support, agent):
    for _ in range(5):
        TicketFactory(group=support, assignee=agent, tags=["vip"])
    few, page = queries(agent_client, "/tickets/?queue=mine")
    for _ in range(40):
        TicketFactory(group=support, assignee=UserFactory(groups=[support]))
        TicketFactory(group=support, assignee=agent)
    many, page = queries(agent_client, "/tickets/?queue=mine")

    assert few == many
    assert page.count('class="row"') == 25  # a page, and a link to the next one
    assert 'rel="next"' in page


def test_queue_filters_search_and_keyset_pages(agent_client, support, agent):
    made = [TicketFactory(group=support, subject=f"Order {n}") for n in range(30)]
    services.ticket_ingest(message=inbound(subject="Рюкзак со скидкой"), group=support)

    found = agent_client.get("/tickets/?queue=all&q=рюкзаки").content.decode()
    assert "Рюкзак со скидкой" in found and "Order 3" not in found

    first = agent_client.get("/tickets/?queue=all&sort=oldest").content.decode()
    assert f">{made[0].number}<" in first and f">{made[26].number}<" not in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = agent_client.get(f"/tickets/?queue=all&sort=oldest&cursor={cursor}").content.decode()
    assert f">{made[26].number}<" in second and f">{made[0].number}<" not in second


def test_ticket_page_is_flat_and_shows_every_kind_of_item(agent_client, support, agent):
    ticket = TicketFactory(group=support)
    for _ in range(2):
        MessageFactory(ticket=ticket)
        CommentFactory(ticket=ticket, author=agent)
    few, _page = queries(agent_client, f"/tickets/{ticket.number}/")
    for _ in range(30):
        MessageFactory(
            ticket=ticket, direction="out", author_user=UserFactory(), author_customer=None
        )
        CommentFactory(ticket=ticket, author=UserFactory())
    comment_create(ticket=ticket, by=agent, text=f"@{UserFactory(handle='ann').handle} look")
    many, page = queries(agent_client, f"/tickets/{ticket.number}/")

    assert few == many
    assert page.count('class="item comment"') == 33
    assert "Internal comment" in page and 'id="reply-text"' in page


def test_customer_page_is_flat(agent_client, agent):
    customer = CustomerFactory()
    IdentityFactory(customer=customer)
    TicketFactory(customer=customer, assignee=agent)
    few, _page = queries(agent_client, f"/customers/{customer.pk}/")
    for _ in range(30):
        TicketFactory(customer=customer, assignee=UserFactory())
    many, page = queries(agent_client, f"/customers/{customer.pk}/")

    assert few == many
    assert "31 tickets on every channel" in page


def test_internal_staff_see_their_tickets_and_no_reply_control(client, agent, internal, support):
    mine = services.ticket_ingest(message=inbound(external_id="<a@x>"), group=support).ticket
    other = services.ticket_ingest(message=inbound(external_id="<b@x>"), group=support).ticket
    services.ticket_hand_off(ticket=mine, by=agent, to_user=internal, note="Was the badge shown?")
    client.force_login(internal)

    queue = client.get("/tickets/").content.decode()
    page = client.get(f"/tickets/{mine.number}/").content.decode()

    assert f">{mine.number}<" in queue and f">{other.number}<" not in queue
    assert client.get(f"/tickets/{other.number}/").status_code == 404
    assert 'id="reply-text"' not in page and 'id="mode-reply"' not in page
    assert 'id="p-status"' not in page and "Hand off…" not in page
    assert 'id="comment-text"' in page and "Answer and hand back" in page
    assert "Was the badge shown?" in page

    refused = client.post(f"/tickets/{mine.number}/reply/", {"text": "Hi customer"}, follow=True)
    assert "Internal staff can read the tickets" in refused.content.decode()
    assert not Message.objects.filter(direction="out").exists()

    client.post(f"/tickets/{mine.number}/hand-back/", {"text": "Yes, until the 15th."})
    mine.refresh_from_db()
    assert mine.assignee == agent and InternalComment.objects.get().text == "Yes, until the 15th."


def test_side_panel_changes_each_field_through_its_service(agent_client, agent, support):
    ticket = services.ticket_ingest(message=inbound(), group=support).ticket

    agent_client.post(f"/tickets/{ticket.number}/update/",
                      {"owner": str(agent.pk), "status": "pending", "priority": "high",
                       "tags": "vip, refund"})  # fmt: skip

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status, ticket.priority_name, ticket.tags) == (
        agent, Status.PENDING, "high", ["vip", "refund"])  # fmt: skip
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {EventKind.ASSIGNED, EventKind.STATUS_CHANGED, EventKind.PRIORITY_CHANGED,
            EventKind.TAGS_CHANGED} <= kinds  # fmt: skip


def test_a_refused_change_is_shown_not_applied(agent_client, agent, support):
    ticket = services.ticket_ingest(message=inbound(), group=support).ticket
    services.ticket_set_status(ticket=ticket, status=Status.CLOSED, by=agent)

    page = agent_client.post(f"/tickets/{ticket.number}/update/", {"status": "open"}, follow=True)

    assert 'cannot go from "closed" to "open"' in html.unescape(page.content.decode())
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_hand_off_dialog_and_reply_with_status(
    agent_client, agent, internal, support, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = services.ticket_ingest(message=inbound(), group=support).ticket

    agent_client.post(
        f"/tickets/{ticket.number}/hand-off/",
        {"to": f"user:{internal.pk}", "note": "Check the promo rules?"},
    )
    ticket.refresh_from_db()
    assert ticket.assignee == internal and ticket.hand_back_to == agent

    agent_client.post(f"/tickets/{ticket.number}/assign-me/")
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(
            f"/tickets/{ticket.number}/reply/",
            {"text": "Refund is on its way.", "status": "solved"},
        )
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and mailoutbox[-1].to == ["marina@mail.example"]


def test_canned_responses_shared_and_personal(client, agent, colleague, support):
    ticket = services.ticket_ingest(message=inbound(), group=support).ticket
    client.force_login(agent)
    client.post(
        "/canned/save/",
        {"title": "Refund", "body": "Hello {customer_name}, #{ticket_number}. {agent_name}"},
    )
    client.post("/canned/save/", {"title": "Mine", "body": "Personal", "personal": "on"})
    shared = CannedResponse.objects.get(title="Refund")

    text = client.get(f"/tickets/{ticket.number}/canned/{shared.pk}/").json()["text"]

    assert text == f"Hello Marina Sokolova, #{ticket.number}. Vasya"
    client.force_login(colleague)
    listing = client.get("/canned/").content.decode()
    assert "Refund" in listing and "Personal" not in listing
    mine = CannedResponse.objects.get(title="Mine")
    assert client.get(f"/tickets/{ticket.number}/canned/{mine.pk}/").status_code == 404
    client.post(f"/canned/{mine.pk}/delete/")
    assert CannedResponse.objects.filter(pk=mine.pk).exists()


def test_saved_filters_and_bulk_actions(
    agent_client, agent, support, django_capture_on_commit_callbacks
):
    tickets = [services.ticket_ingest(message=inbound(external_id=f"<{n}@x>"), group=support).ticket
               for n in range(3)]  # fmt: skip
    services.ticket_set_status(ticket=tickets[2], status=Status.CLOSED, by=agent)

    agent_client.post("/filters/", {"name": "VIP", "query": "queue=open&tag=vip"})
    assert SavedFilter.objects.get(user=agent).query == "queue=open&tag=vip"
    assert "VIP" in agent_client.get("/tickets/").content.decode()

    result = agent_client.post(
        "/tickets/bulk/", {"ticket": [t.number for t in tickets], "action": "status:pending"}
    ).content.decode()
    assert "Done: 3 of 3." in result and "1 ticket was left as it was" in result
    assert set(Ticket.objects.values_list("status", flat=True)) == {"pending", "closed"}


def test_customer_page_merges_another_customer(agent_client, agent):
    keep = CustomerFactory(name="Elena Orlova")
    IdentityFactory(customer=keep, value="elena@mail.example")
    other = CustomerFactory(name="Елена")
    IdentityFactory(customer=other, kind="viber", value="vb-55")
    TicketFactory(customer=other)

    found = agent_client.get(f"/customers/{keep.pk}/?merge_q=vb-55").content.decode()
    assert f'value="{other.pk}"' in found
    asked = agent_client.post(f"/customers/{keep.pk}/merge/", {"other": other.pk})

    # The first post only shows what will move and asks again: nothing is merged yet.
    shown = html.unescape(asked.content.decode())
    assert asked.status_code == 200 and "Merge Елена into Elena Orlova?" in shown
    assert "cannot be undone" in shown and "vb-55" in shown and "1 ticket moves" in shown
    assert not keep.identities.filter(kind="viber").exists()
    assert keep.tickets.count() == 0

    agent_client.post(f"/customers/{keep.pk}/merge/", {"other": other.pk, "confirm": "yes"})

    assert set(keep.identities.values_list("kind", flat=True)) == {"email", "viber"}
    assert keep.tickets.count() == 1


def test_notifications_dropdown_and_mark_read(client, agent, colleague, support):
    ticket = services.ticket_ingest(message=inbound(), group=support).ticket
    comment_create(ticket=ticket, by=agent, text=f"@{colleague.handle} please look")
    client.force_login(colleague)

    dropdown = client.get("/notifications/").content.decode()
    assert "please look" in dropdown and "mentioned you" in dropdown
    assert 'id="bell-count"' in dropdown and ">1</span>" in dropdown
    client.post("/notifications/read/")
    assert colleague.notifications.filter(read_at__isnull=True).count() == 0


def test_customer_html_is_inert_on_the_ticket_page(agent_client, support):
    ticket = services.ticket_ingest(
        message=inbound(
            text="", html='<p>Hi</p><script>alert(1)</script><img src=x onerror="alert(2)">'
        ),
        group=support,
    ).ticket
    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "<script>alert(1)" not in page and "onerror" not in page


def test_pages_need_a_login(client):
    for url in ("/tickets/", "/canned/", "/preferences/", "/notifications/"):
        assert client.get(url).url.startswith("/login/")


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Goes out by Telegram: @marina_s"), ("ru", "Уйдёт через")]
)
def test_the_composer_names_where_a_reply_goes(agent_client, agent, support, language, words):
    agent.language = language
    agent.save(update_fields=["language"])
    chat = inbound(channel="telegram", kind="telegram", sender="5550001", name="Marina")
    ticket = services.ticket_ingest(message=chat, group=support).ticket
    ticket.customer.identities.filter(kind="telegram").update(display="@marina_s")

    page = html.unescape(agent_client.get(f"/tickets/{ticket.number}/").content.decode())

    assert words in page and "@marina_s" in page
    assert 'id="reply-refusal"' not in page
