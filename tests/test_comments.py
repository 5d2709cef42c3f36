"""Internal comments, @mentions and the internal-staff loop (scenarios 1 and 5)."""

import pytest

from comments.models import InternalComment, Mention, Notification
from comments.services import comment_and_hand_back, comment_create, mentioned_handles
from helpdesk.errors import ApplicationError, Forbidden
from tests.conftest import inbound
from tickets import permissions, services
from tickets.models import EventKind, TicketParticipant
from tickets.permissions import Action
from tickets.selectors import TicketFilters, ticket_list


@pytest.fixture
def ticket(support):
    return services.ticket_ingest(message=inbound(), group=support).ticket


def test_mention_handles_are_parsed_like_people_write_them():
    text = "@olga, please check; cc @dima.k and @Maria-L. Not mail@example.com or @@x"
    assert mentioned_handles(text) == {"olga", "dima.k", "maria-l"}


def test_a_mention_notifies_in_app_and_by_email_and_lets_internal_staff_in(
    ticket, agent, internal_other, django_capture_on_commit_callbacks, mailoutbox
):
    assert not permissions.can(internal_other, Action.VIEW, ticket)

    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(
            ticket=ticket, by=agent, text="@olga how much did we charge for order 48213?"
        )

    assert Mention.objects.get(comment=comment).user == internal_other
    notification = Notification.objects.get(user=internal_other)
    assert notification.kind == "mention" and notification.comment == comment
    assert notification.emailed_at is not None
    assert [m.to for m in mailoutbox] == [["olga@corp.example"]]
    assert "how much did we charge" in mailoutbox[0].body
    assert f"[#{ticket.number}]" in mailoutbox[0].subject
    assert TicketParticipant.objects.filter(ticket=ticket, user=internal_other).exists()
    internal_other.__dict__.pop("_involved_tickets", None)
    assert permissions.can(internal_other, Action.VIEW, ticket)
    assert ticket.events.get(kind=EventKind.COMMENTED).new["mentions"] == [internal_other.pk]


def test_mentioning_yourself_or_an_unknown_handle_notifies_nobody(ticket, agent):
    comment_create(ticket=ticket, by=agent, text=f"@{agent.handle} note to self, @nobody")
    assert not Notification.objects.exists() and not Mention.objects.exists()


def test_an_empty_comment_is_refused(ticket, agent):
    with pytest.raises(ApplicationError, match="Write something"):
        comment_create(ticket=ticket, by=agent, text="   ")
    assert not InternalComment.objects.exists()


def test_the_internal_staff_loop_question_answer_hand_back(ticket, agent, internal):
    """Vasya hands the ticket to Dima with a question; Dima sees it in his list, answers
    and hands it back in one step."""
    services.ticket_assign(ticket=ticket, owner=agent, by=agent)
    services.ticket_hand_off(
        ticket=ticket, by=agent, to_user=internal, note="Was the badge shown on the 14th?"
    )

    mine = ticket_list(user=internal, filters=TicketFilters(owner="me"))
    assert list(mine) == [ticket]

    comment_and_hand_back(ticket=ticket, by=internal, text="Yes, until the 15th.")

    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.hand_back_to is None
    assert InternalComment.objects.get().text == "Yes, until the 15th."
    assert ticket.events.get(kind=EventKind.HANDED_BACK).actor == internal
    # Still involved: Dima keeps read access to the ticket he helped with.
    assert list(ticket_list(user=internal, filters=TicketFilters())) == [ticket]


def test_hand_back_is_all_or_nothing(ticket, agent, internal):
    services.ticket_hand_off(ticket=ticket, by=agent, to_user=internal, note="Question")

    with pytest.raises(ApplicationError):
        comment_and_hand_back(ticket=ticket, by=internal, text="")

    ticket.refresh_from_db()
    assert ticket.assignee == internal and not InternalComment.objects.exists()


def test_only_the_person_asked_can_hand_back(ticket, agent, internal, internal_other):
    services.ticket_hand_off(ticket=ticket, by=agent, to_user=internal, note="Question")
    comment_create(ticket=ticket, by=agent, text="@olga you too")

    with pytest.raises(Forbidden, match="Only the person the ticket was handed to"):
        comment_and_hand_back(ticket=ticket, by=internal_other, text="Not mine to give back")
    assert not InternalComment.objects.filter(author=internal_other).exists()


def test_internal_staff_see_only_tickets_they_are_involved_in(support, agent, internal):
    handed = services.ticket_ingest(message=inbound(external_id="<1@x>"), group=support).ticket
    mentioned = services.ticket_ingest(message=inbound(external_id="<2@x>"), group=support).ticket
    untouched = services.ticket_ingest(message=inbound(external_id="<3@x>"), group=support).ticket
    services.ticket_hand_off(ticket=handed, by=agent, to_user=internal, note="Q")
    comment_create(ticket=mentioned, by=agent, text="@dima FYI")

    visible = set(ticket_list(user=internal, filters=TicketFilters()))

    assert visible == {handed, mentioned}
    assert not permissions.can(internal, Action.VIEW, untouched)
