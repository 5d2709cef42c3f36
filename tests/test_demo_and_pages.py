"""The demo tells scenario 1 as a real ticket; the login, home, admin and docs pages open."""

import pytest
from django.core.management import call_command

from accounts.models import User
from channels_inbound import customer_output
from comments.models import InternalComment
from helpdesk import demo
from tickets.models import (
    Channel,
    Customer,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    Status,
    Ticket,
)


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")


def test_seed_demo_is_idempotent(seeded):
    counts = (User.objects.count(), Ticket.objects.count(), InternalComment.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Ticket.objects.count(), InternalComment.objects.count()) == counts
    assert counts[1] >= 12


def test_the_demo_tells_the_backpack_story(seeded):
    ticket = Ticket.objects.get(subject__contains="Urban 25L")
    kinds = list(ticket.events.order_by("created_at", "id").values_list("kind", flat=True))

    assert ticket.channel == Channel.TELEGRAM and ticket.status == Status.SOLVED
    assert ticket.customer.identities.get(kind="telegram").display == "@marina_sokolova"
    handed = ticket.events.get(kind=EventKind.HANDED_OFF)
    assert handed.actor.email == "vasya@demo.helpdesk"
    assert handed.new["owner"]["name"] == "Dima Kuznetsov" and "бейдж" in handed.note
    authors = set(ticket.internal_comments.values_list("author__email", flat=True))
    assert authors == {"vasya@demo.helpdesk", "olga@demo.helpdesk", "dima@demo.helpdesk"}
    assert kinds.index("handed_off") < kinds.index("handed_back") < kinds.index("replied")
    assert kinds[-1] == EventKind.STATUS_CHANGED
    reply = ticket.messages.get(direction="out")
    assert "вернём разницу" in reply.text and reply.author_user.email == "vasya@demo.helpdesk"
    # Steps are minutes apart, as they would be in life.
    assert (ticket.solved_at - ticket.created_at).total_seconds() > 2 * 3600


def test_the_demos_messenger_replies_claim_no_delivery(seeded, client):
    # Replies to Telegram and Viber are not connected yet: the demo's replies there were
    # written in the messenger itself, and the ticket page says so instead of "Delivered".
    replies = Message.objects.filter(
        direction="out", channel__in=[Channel.TELEGRAM, Channel.VIBER]
    ).select_related("ticket")
    assert replies.count() >= 2
    assert set(replies.values_list("delivery_status", flat=True)) == {DeliveryStatus.RECEIVED}
    client.force_login(User.objects.get(email="kate@demo.helpdesk"))  # reads English
    for reply in replies:
        page = client.get(f"/tickets/{reply.ticket.number}/").content.decode()
        assert "written outside the helpdesk" in page
        assert "Delivered" not in page and "delivery-delivered" not in page


def test_demo_customers_are_answered_in_the_language_they_wrote_in(seeded):
    """As the channels do, the demo guesses the language of a customer whose story names none:
    Nikolay wrote in Russian, so the footer of Anna's reply to him is Russian."""
    nikolay = Ticket.objects.filter(customer__name="Николай Петров").first().customer
    assert nikolay.language == "ru"
    reply = Message.objects.filter(ticket__customer=nikolay, direction=Direction.OUT).first()
    assert "Чтобы продолжить переписку" in customer_output.reply_content(reply).text


def test_the_demo_has_one_customer_on_three_channels(seeded):
    elena = Customer.objects.get(name="Elena Orlova", merged_into__isnull=True)
    assert set(elena.identities.values_list("kind", flat=True)) == {"email", "viber", "telegram"}
    assert set(elena.tickets.values_list("channel", flat=True)) == {"email", "viber", "telegram"}


def test_the_demo_covers_every_status_and_both_languages(seeded):
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values) - {
        "on_hold"
    } or set(Status.values) <= set(Ticket.objects.values_list("status", flat=True)) | {"on_hold"}
    subjects = " ".join(Ticket.objects.values_list("subject", flat=True))
    assert "заказ" in subjects and "order" in subjects


def test_demo_logins_work_on_the_login_page(seeded, client):
    for email, _, _ in demo.logins():
        response = client.post("/login/", {"username": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, email
        client.logout()


def test_a_wrong_password_says_what_to_do(seeded, client):
    response = client.post("/login/", {"username": "vasya@demo.helpdesk", "password": "nope"})
    assert response.status_code == 200
    assert "ask an admin to reset your password" in response.content.decode()


def test_home_leads_to_the_queue_or_the_login(seeded, client):
    assert client.get("/").url == "/login/"
    client.login(username="sergey@demo.helpdesk", password=demo.DEMO_PASSWORD)
    assert client.get("/").url == "/tickets/"
    page = client.get("/tickets/?queue=mine").content.decode()
    assert "Деньги за отменённый заказ" in page


def test_admin_opens_for_admins_only(seeded, client):
    client.login(username="admin@demo.helpdesk", password=demo.DEMO_PASSWORD)
    for url in (
        "/admin/",
        "/admin/tickets/ticket/",
        "/admin/tickets/ticketevent/",
        "/admin/accounts/user/",
        "/admin/comments/internalcomment/",
    ):
        assert client.get(url).status_code == 200, url
    event = Ticket.objects.first().events.first()
    change = client.get(f"/admin/tickets/ticketevent/{event.pk}/change/")
    assert change.status_code == 200 and b'name="_save"' not in change.content
    client.logout()
    client.login(username="dima@demo.helpdesk", password=demo.DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 302


def test_health(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
