"""The web-form channel and the customer's status page."""

import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_inbound import status_links
from channels_inbound.models import InboundEvent
from comments.services import comment_create
from tickets import services
from tickets.models import Channel, Direction, Message, Status, Ticket

URL = "/api/v1/public/tickets/"
FORM = {"name": "Ivan Petrov", "email": "Ivan@Mail.example", "subject": "Late parcel",
        "text": "Parcel 48213 is three days late."}  # fmt: skip


def stored_files(root) -> set[str]:
    return {str(p) for p in Path(root).rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    cache.clear()


@pytest.fixture
def submitted(client, support, django_capture_on_commit_callbacks):
    """A submission, processed by the (eager) worker as it commits."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, FORM, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_submission_answers_with_the_number_and_becomes_that_ticket(submitted, support):
    ticket = Ticket.objects.get()

    assert submitted["number"] == ticket.number
    assert submitted["message"] == f"We received your request #{ticket.number}."
    assert ticket.channel == Channel.WEB and ticket.group == support
    assert ticket.subject == "Late parcel" and ticket.customer.name == "Ivan Petrov"
    assert ticket.customer.identities.get().value == "ivan@mail.example"
    event = InboundEvent.objects.get()
    assert event.status == "done" and event.reserved_number == ticket.number
    assert event.payload["text"] == FORM["text"]


def test_the_answer_comes_before_the_ticket_exists(client, db):
    response = client.post(URL, FORM, content_type="application/json")

    number = response.json()["number"]
    assert response.status_code == 201 and not Ticket.objects.exists()
    page = client.get(response.json()["status_url"].removeprefix("http://localhost:8000"))
    assert page.status_code == 200
    assert f"Request #{number}" in page.content.decode()
    assert "being registered" in page.content.decode()


def test_the_same_submission_key_twice_is_one_request(client, db):
    first = client.post(URL, {**FORM, "key": "form-0123456789"}, content_type="application/json")
    again = client.post(URL, {**FORM, "key": "form-0123456789"}, content_type="application/json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert InboundEvent.objects.count() == 1


def test_the_rate_limit_refuses_with_a_time_to_wait(client, db, settings):
    settings.HELPDESK_WEBFORM_RATE_LIMIT = "2/minute"
    for _ in range(2):
        assert client.post(URL, FORM, content_type="application/json").status_code == 201

    refused = client.post(URL, FORM, content_type="application/json")

    assert refused.status_code == 429
    body = refused.json()
    assert body["message"].startswith("Too many requests from your address. Try again in ")
    assert 0 < body["extra"]["retry_after"] <= 61
    assert InboundEvent.objects.count() == 2


def test_the_honeypot_refuses_and_writes_nothing(client, db):
    response = client.post(
        URL, {**FORM, "website": "http://spam.example"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "filled in by a program" in response.json()["message"]
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"email": "not-an-address"}, 400, "is not a valid email address"),
        ({"email": "marina@gmail"}, 400, "is not a valid email address"),  # a typo, not a host
        ({"text": "   "}, 400, "text: This field may not be blank."),
        ({"colour": "red"}, 400, "colour: Unknown field."),
        ({"key": "../../etc"}, 400, "submission key"),
    ],
)
def test_invalid_submissions_get_precise_answers(client, db, change, status, message):
    response = client.post(URL, {**FORM, **change}, content_type="application/json")

    assert response.status_code == status and message in response.json()["message"]
    assert not InboundEvent.objects.exists()


def test_an_oversized_attachment_is_refused_and_nothing_stored(client, db, settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1024
    files_before = stored_files(settings.MEDIA_ROOT)
    big = SimpleUploadedFile("scan.pdf", b"%" * 3000, content_type="application/pdf")
    response = client.post(URL, {**FORM, "attachments": [big]})

    assert response.status_code == 413
    assert response.json()["message"].startswith('"scan.pdf" is 2.9 KB; attachments may be at')
    assert not InboundEvent.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == files_before


def test_attachments_arrive_on_the_ticket(client, support, django_capture_on_commit_callbacks):
    photo = SimpleUploadedFile("parcel.jpg", b"\xff\xd8 jpeg bytes", content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**FORM, "attachments": [photo]})

    assert response.status_code == 201
    attachment = Message.objects.get(direction=Direction.IN).attachments.get()
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "parcel.jpg",
        "image/jpeg",
        13,
    )


def path_of(url):
    return url.removeprefix("http://localhost:8000")


def test_the_status_page_shows_the_public_conversation_and_takes_a_reply(
    client, submitted, agent, django_capture_on_commit_callbacks, mailoutbox
):
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(
            ticket=ticket, by=agent, text="Your parcel left the warehouse.", status=Status.PENDING
        )
        comment_create(ticket=ticket, by=agent, text="SECRET: courier is unreliable")
    page = client.get(path_of(submitted["status_url"])).content.decode()

    assert "Waiting for your reply" in page and "Your parcel left the warehouse." in page
    assert "Vasya" in page and "SECRET" not in page and "Pupkin" not in page
    # The reply went out by email, with the link back to this page.
    assert mailoutbox[-1].to == ["ivan@mail.example"]
    assert "/status/" in mailoutbox[-1].body

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            path_of(submitted["status_url"]),
            {"text": "Thanks, where is it now?", "key": "reply-000000001"},
        )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.filter(direction="in").last().text == "Thanks, where is it now?"
    assert Ticket.objects.count() == 1


def test_a_forged_link_gets_a_clear_page_and_writes_nothing(client, submitted):
    token = path_of(submitted["status_url"]).split("/")[2]
    forged = f"/status/{token[:-3]}abc/"

    page = client.get(forged)
    posted = client.post(forged, {"text": "let me in"})

    assert page.status_code == 404 and posted.status_code == 404
    assert "This link is not valid" in page.content.decode()
    assert (
        InboundEvent.objects.count() == 1
        and Message.objects.filter(direction=Direction.IN).count() == 1
    )


def test_an_expired_link_gets_a_clear_page_and_writes_nothing(client, submitted, settings):
    settings.HELPDESK_STATUS_LINK_DAYS = 0
    time.sleep(1.1)

    page = client.get(path_of(submitted["status_url"]))
    posted = client.post(path_of(submitted["status_url"]), {"text": "still there?"})

    assert page.status_code == 410 and posted.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert InboundEvent.objects.count() == 1


def test_a_link_to_someone_elses_number_cannot_be_made(client, submitted):
    other_token = status_links.make_token(submitted["number"] + 1, "ivan@mail.example")
    tampered = other_token.split(":")
    tampered[0] = status_links.make_token(submitted["number"], "x@y.example").split(":")[0]
    assert client.get(f"/status/{':'.join(tampered)}/").status_code == 404


def test_the_html_support_form(client, support, django_capture_on_commit_callbacks):
    page = client.get("/support/")
    assert page.status_code == 200 and 'name="website"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/support/", {**FORM, "key": "html-form-000001"})

    assert done.status_code == 201
    number = Ticket.objects.get().number
    assert f"We received your request #{number}" in done.content.decode()
    refused = client.post("/support/", {**FORM, "email": "nope", "key": "html-form-000002"})
    assert refused.status_code == 400 and "is not a valid email" in refused.content.decode()
    assert (
        'value="Parcel 48213 is three days late."' in refused.content.decode()
        or "Parcel 48213 is three days late." in refused.content.decode()
    )


def test_customer_html_stays_inert_on_the_status_page(client, support):
    from tests.conftest import inbound
    from tickets import services

    ticket = services.ticket_ingest(
        message=inbound(
            text="", html='<p>Hello</p><script>alert(1)</script><a href="javascript:x">x</a>'
        ),
        group=support,
    ).ticket

    page = client.get(f"/status/{status_links.make_token(ticket.number, 'marina@mail.example')}/")

    html = page.content.decode()
    assert "<p>Hello</p>" in html
    assert "<script>alert(1)" not in html and "javascript:" not in html


def test_a_status_page_reply_sent_twice_without_its_key_is_one_message(
    client, submitted, django_capture_on_commit_callbacks
):
    ticket = Ticket.objects.get()
    page = client.get(path_of(submitted["status_url"])).content.decode()
    again = client.get(path_of(submitted["status_url"])).content.decode()
    keys = [p.split('name="key" value="')[1].split('"')[0] for p in (page, again)]
    assert keys[0] != keys[1]  # a key per render, as the support form has

    for _ in range(2):  # a retry by a client that drops the form's key
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path_of(submitted["status_url"]), {"text": "Any news?"})
        assert response.status_code == 302

    assert ticket.messages.filter(direction="in", text="Any news?").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(submitted["status_url"]), {"text": "Something else"})
    assert ticket.messages.filter(direction="in").count() == 3
