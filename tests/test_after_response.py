"""Work deferred until the client has its answer: the inbox wake-up of a web-form submission."""

import json

from django.core.signals import request_finished, request_started

from channels_inbound import inbox
from helpdesk import after_response


def test_deferred_work_runs_when_the_response_is_closed_and_at_once_outside_a_request(db):
    done = []
    after_response.defer(lambda: done.append("outside"))
    assert done == ["outside"]

    request_started.send(sender=None)
    after_response.defer(lambda: done.append("first"))
    after_response.defer(lambda: 1 / 0)  # logged; the rest still runs
    after_response.defer(lambda: done.append("second"))
    assert done == ["outside"]
    request_finished.send(sender=None)
    assert done == ["outside", "first", "second"]

    after_response.defer(lambda: done.append("after"))  # the request is over: at once
    assert done[-1] == "after"


def test_work_left_by_a_response_never_closed_runs_when_the_next_request_starts(db):
    done = []
    request_started.send(sender=None)
    after_response.defer(lambda: done.append("left"))
    request_started.send(sender=None)
    assert done == ["left"]
    request_finished.send(sender=None)


def test_a_web_form_submission_wakes_the_drainers_after_its_answer_is_complete(
    transactional_db, client, support, monkeypatch, settings
):
    """The answer (with the ticket number) is built before the wake-up's round trip to Redis,
    and the wake-up still happens, once, when the response is closed."""
    from django.http import HttpResponse

    settings.HELPDESK_WEBFORM_RATE_LIMIT = "1000/second"
    events = []
    monkeypatch.setattr(inbox, "wake", lambda: events.append("wake"))
    real_close = HttpResponse.close

    def close(response):
        events.append("answer complete")
        real_close(response)

    monkeypatch.setattr(HttpResponse, "close", close)
    response = client.post(
        "/api/v1/public/tickets/",
        json.dumps({"email": "ivan@mail.example", "text": "Where is my parcel?"}),
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["number"]
    assert events == ["answer complete", "wake"]
