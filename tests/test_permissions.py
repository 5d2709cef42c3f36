"""The permission matrix: every role against every action, through the services and
through the API. One module decides; both paths must agree with this table."""

import pytest
from django.contrib.auth.models import AnonymousUser

from comments.services import comment_and_hand_back, comment_create
from helpdesk.errors import ApplicationError, Forbidden, NotFound
from tests.conftest import inbound
from tickets import permissions, services
from tickets.permissions import Action
from tickets.services import bulk

# The ticket sits in the agent's group and was handed by the agent to `internal` with a
# question (so `internal` owns it and may hand it back).
MATRIX = """
action     admin  agent  other_agent  internal  internal_other  anonymous
view         Y      Y         Y          Y            N             N
reply        Y      Y         N          N            N             N
comment      Y      Y         Y          Y            N             N
assign       Y      Y         N          N            N             N
hand_off     Y      Y         N          N            N             N
hand_back    Y      N         N          Y            N             N
status       Y      Y         N          N            N             N
priority     Y      Y         N          N            N             N
tags         Y      Y         N          N            N             N
merge        Y      Y         N          N            N             N
bulk         Y      Y         N          N            N             N
admin        Y      N         N          N            N             N
"""
_rows = [line.split() for line in MATRIX.strip().splitlines()]
CASES = [
    (row[0], role, cell == "Y")
    for row in _rows[1:]
    for role, cell in zip(_rows[0][1:], row[1:], strict=True)
]


@pytest.fixture
def people(admin_user, agent, colleague, other_agent, internal, internal_other):
    return {
        "admin": admin_user,
        "agent": agent,
        "colleague": colleague,
        "other_agent": other_agent,
        "internal": internal,
        "internal_other": internal_other,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def tickets(people, support):
    agent = people["agent"]
    ticket = services.ticket_ingest(message=inbound(external_id="<t@m>"), group=support).ticket
    services.ticket_hand_off(ticket=ticket, by=agent, to_user=people["internal"], note="Q?")
    other = services.ticket_ingest(message=inbound(external_id="<o@m>"), group=support).ticket
    return ticket, other


def via_service(action, user, ticket, other, people):
    run = {
        "view": lambda: permissions.require(user, Action.VIEW, ticket),
        "reply": lambda: services.ticket_reply(ticket=ticket, by=user, text="Hello"),
        "comment": lambda: comment_create(ticket=ticket, by=user, text="A note"),
        "assign": lambda: services.ticket_assign(ticket=ticket, owner=people["colleague"], by=user),
        "hand_off": lambda: services.ticket_hand_off(
            ticket=ticket, by=user, to_user=people["colleague"], note="Yours"),
        "hand_back": lambda: comment_and_hand_back(ticket=ticket, by=user, text="Answer"),
        "status": lambda: services.ticket_set_status(ticket=ticket, status="pending", by=user),
        "priority": lambda: services.ticket_set_priority(ticket=ticket, priority="high", by=user),
        "tags": lambda: services.ticket_set_tags(ticket=ticket, by=user, add=["vip"]),
        "merge": lambda: services.ticket_merge(source=other, into=ticket, by=user),
        "bulk": lambda: bulk_status(user, ticket),
        "admin": lambda: permissions.require(user, Action.ADMIN),
    }[action]  # fmt: skip
    try:
        run()
    except (Forbidden, NotFound):
        return False
    return True


def bulk_status(user, ticket) -> None:
    """A bulk status change of the ticket: refused outright, or left as it was with a reason."""
    job = bulk.bulk_start(by=user, numbers=[ticket.number], action="status:pending")
    state = bulk.bulk_run(job_id=job, by=user, numbers=[ticket.number], action="status:pending")
    if state.failed:
        raise Forbidden(state.failed[0]["message"])


@pytest.mark.parametrize(("action", "role", "allowed"), CASES)
def test_matrix_through_the_services(people, tickets, action, role, allowed):
    ticket, other = tickets
    assert via_service(action, people[role], ticket, other, people) is allowed


def api_call(client, action, ticket, other, people):
    base = f"/api/v1/tickets/{ticket.number}/"
    calls = {
        "view": ("get", base, None),
        "reply": ("post", base + "reply/", {"text": "Hello"}),
        "comment": ("post", base + "comments/", {"text": "A note"}),
        "assign": ("post", base + "assign/", {"owner": people["colleague"].pk}),
        "hand_off": ("post", base + "hand-off/", {"to_user": people["colleague"].pk, "note": "Go"}),
        "hand_back": ("post", base + "hand-back/", {"text": "Answer"}),
        "status": ("post", base + "status/", {"status": "pending"}),
        "priority": ("post", base + "priority/", {"priority": "high"}),
        "tags": ("post", base + "tags/", {"add": ["vip"]}),
        "merge": ("post", f"/api/v1/tickets/{other.number}/merge/", {"into": ticket.number}),
    }  # fmt: skip
    method, url, data = calls[action]
    return getattr(client, method)(url, data, format="json")


@pytest.mark.parametrize(("action", "role", "allowed"), CASES)
def test_matrix_through_the_api(people, tickets, client, api, action, role, allowed):
    ticket, other = tickets
    user = people[role]
    if action == "admin":
        if role != "anonymous":
            client.force_login(user)
        response = client.get("/admin/tickets/ticket/")
        assert (response.status_code == 200) is allowed
        return
    if action == "bulk":  # a page, not an API endpoint
        check_bulk_page(client, user, role, ticket, allowed)
        return
    response = api_call(api(user if role != "anonymous" else None), action, ticket, other, people)
    if allowed:
        assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code in (401, 403, 404), response.content
        assert response.json()["message"]


def check_bulk_page(client, user, role, ticket, allowed):
    if role != "anonymous":
        client.force_login(user)
    response = client.post(
        "/tickets/bulk/", {"ticket": [ticket.number], "action": "status:pending"}
    )
    text = response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status == "pending") is allowed
    if allowed:
        assert response.status_code == 200 and "Done: 1 of 1." in text, text
    elif role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif user.is_internal:
        assert response.status_code == 403
        assert "Only agents can change tickets in bulk." in text
    else:
        assert "1 ticket was left as it was" in text
        assert "Only agents of the ticket&#x27;s group or its owner can change its status" in text


def test_refusals_say_what_internal_staff_can_do(tickets, internal):
    ticket, _ = tickets
    with pytest.raises(Forbidden, match="Internal staff can read the tickets they are involved"):
        services.ticket_reply(ticket=ticket, by=internal, text="Hi customer")


def test_an_unseen_ticket_answers_404_not_403(tickets, internal_other, api):
    ticket, _ = tickets
    response = api(internal_other).get(f"/api/v1/tickets/{ticket.number}/")
    assert response.status_code == 404
    assert response.json()["message"] == f"There is no ticket #{ticket.number} that you can see."


def test_deactivated_people_can_do_nothing(tickets, agent):
    ticket, _ = tickets
    agent.is_active = False
    agent.save()
    assert not any(
        permissions.can(agent, action, ticket)
        for action in Action
        if action not in permissions.TICKETLESS_ACTIONS
    )
    with pytest.raises(ApplicationError):
        services.ticket_set_status(ticket=ticket, status="pending", by=agent)


# The staff directory (GET /api/v1/users/ and /groups/), role by role: agents and admins get
# all of it; internal staff what picks a colleague to @mention (docs/permissions.md).
DIRECTORY = {"admin": "full", "agent": "full", "other_agent": "full", "internal": "names",
             "internal_other": "names", "anonymous": "nothing"}  # fmt: skip
COLLEAGUE_FIELDS = {"id", "name", "role", "handle", "title"}


@pytest.mark.parametrize(("role", "gets"), DIRECTORY.items())
def test_directory_for_every_role(people, support, api, role, gets):
    client = api(None if role == "anonymous" else people[role])
    users, groups = client.get("/api/v1/users/"), client.get("/api/v1/groups/")
    if gets == "nothing":
        assert users.status_code == groups.status_code == 401
        assert users.json()["message"] and groups.json()["message"]
        return
    assert users.status_code == groups.status_code == 200
    rows = {row["id"]: row for row in users.json()}
    assert set(rows) == {p.pk for p in people.values() if p.is_authenticated}
    support_row = next(g for g in groups.json() if g["id"] == support.pk)
    agent = people["agent"]
    if gets == "full":
        assert rows[agent.pk]["email"] == "vasya@desk.example"
        assert rows[agent.pk]["group_ids"] == [support.pk]
        assert {m["id"] for m in support_row["members"]} == {agent.pk, people["colleague"].pk}
    else:
        assert all(set(row) == COLLEAGUE_FIELDS for row in rows.values())
        assert rows[people["internal"].pk]["handle"] == "dima"
        assert "members" not in support_row and support_row["name"] == "Support"
        for person in people.values():
            if person.is_authenticated:
                assert person.email not in users.content.decode() + groups.content.decode()


def test_internal_staff_find_colleagues_by_name_and_handle_not_by_email(
    api, agent, internal, internal_other
):
    assert [u["id"] for u in api(agent).get("/api/v1/users/", {"q": "vasya@desk"}).json()] == [
        agent.pk
    ]
    picker = api(internal_other)
    assert picker.get("/api/v1/users/", {"q": "vasya@desk"}).json() == []
    assert picker.get("/api/v1/users/", {"q": "desk.example"}).json() == []
    assert [u["handle"] for u in picker.get("/api/v1/users/", {"q": "dim"}).json()] == ["dima"]
    assert [u["id"] for u in picker.get("/api/v1/users/", {"q": "Vasya"}).json()] == [agent.pk]


def test_internal_staff_are_shown_no_bulk_controls(client, tickets, internal, agent):
    ticket, _ = tickets
    client.force_login(internal)
    page = client.get("/tickets/?queue=all").content.decode()
    assert f'href="/tickets/{ticket.number}/"' in page  # their ticket is listed
    assert 'id="bulk"' not in page and 'name="ticket"' not in page and "/tickets/bulk/" not in page
    client.force_login(agent)
    page = client.get("/tickets/?queue=all").content.decode()
    assert 'id="bulk"' in page and 'name="ticket"' in page


def test_a_bulk_actions_progress_is_for_whoever_started_it(client, tickets, agent, colleague,
                                                            internal):  # fmt: skip
    ticket, _ = tickets
    job = bulk.bulk_start(by=agent, numbers=[ticket.number], action="tag:vip")
    client.force_login(agent)
    assert client.get(f"/tickets/bulk/{job}/").status_code == 200

    client.force_login(colleague)
    theirs, none = client.get(f"/tickets/bulk/{job}/"), client.get("/tickets/bulk/no-such-job/")
    assert theirs.status_code == none.status_code == 404
    assert theirs.content == none.content
    assert "There is no such bulk action of yours." in theirs.content.decode()

    client.force_login(internal)
    refused = client.get(f"/tickets/bulk/{job}/")
    assert refused.status_code == 403
    assert "Only agents can change tickets in bulk." in refused.content.decode()


def test_the_bulk_refusal_speaks_russian(client, internal):
    internal.language = "ru"
    internal.save()
    client.force_login(internal)
    refused = client.post("/tickets/bulk/", {"ticket": ["1"], "action": "status:pending"})
    assert refused.status_code == 403
    assert "Менять обращения массово могут только агенты." in refused.content.decode()
