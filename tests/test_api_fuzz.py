"""Schemathesis over every operation of the API schema at /api/schema/: whatever it sends,
authenticated as an admin against the real database, no answer is a 5xx.

Each operation is one test; a bounded number of generated cases per operation (plus the
schema's examples and schemathesis' coverage cases: boundaries, wrong types, missing fields)
keeps the whole file well under two minutes on two cores. A valid id in a path is replaced by
the id of a real ticket, customer, attachment or mailbox, so the cases reach the views' logic
and not only their 404s; an invalid one (a string, a negative number) is sent as generated."""

import os
import re

import pytest
import schemathesis
from django.core import signals
from django.core.files.base import ContentFile
from django.db import close_old_connections, transaction
from django.urls import get_resolver
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from accounts.models import Role
from channels_inbound.models import Mailbox
from helpdesk.wsgi import application
from tests.factories import CustomerFactory, MessageFactory, TicketFactory, UserFactory
from tickets.models import Attachment

# Generated cases per operation in the fuzzing phase.
MAX_EXAMPLES = 15
# The same cases on every run, so a red run can be repeated; `API_FUZZ_SEED=<n>` explores
# others (a failure prints the seed that found it).
SEED = int(os.environ.get("API_FUZZ_SEED", "20261203"))

CONFIG = schemathesis.Config.from_dict(
    {"seed": SEED, "generation": {"max-examples": MAX_EXAMPLES, "database": "none"}}
)
# The raw-email endpoint takes the message itself as its body.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")


def in_test_transaction(environ, start_response):
    """The real WSGI application, without closing the database connection at the end of each
    request (as Django's test client does), so every request runs in the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        return application(environ, start_response)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Read from the running application (building the schema reads no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", in_test_transaction, config=CONFIG)


@pytest.fixture
def desk(db, support, settings):
    settings.HELPDESK_WEBFORM_RATE_LIMIT = "1000000/minute"
    admin = UserFactory(role=Role.ADMIN, groups=[support])
    customer = CustomerFactory()
    ticket = TicketFactory(group=support, customer=customer)
    message = MessageFactory(ticket=ticket)
    attachment = Attachment(message=message, name="a.txt", content_type="text/plain", size=1)
    attachment.file.save("a.txt", ContentFile(b"x"))
    mailbox = Mailbox.objects.create(
        name="Support", address="support@desk.example", group=support, inbound_key="k" * 32
    )
    return {
        "token": Token.objects.create(user=admin).key,
        "ids": {
            "number": ticket.number,
            "customer_id": customer.pk,
            "attachment_id": attachment.pk,
            "mailbox_id": mailbox.pk,
        },
    }


@schema.parametrize()
# Each call runs in a savepoint rolled back after it, so the fixture's rows are the same for
# every generated case.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_operation_answers_5xx(case, desk):
    for name, value in (case.path_parameters or {}).items():
        if name in desk["ids"] and isinstance(value, int) and value > 0:
            case.path_parameters[name] = desk["ids"][name]
    with transaction.atomic():
        response = case.call(headers={"Authorization": f"Token {desk['token']}"})
        transaction.set_rollback(True)
    case.validate_response(response, checks=(not_a_server_error,))


def api_routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from api_routes(pattern.url_patterns, route)
        elif route.startswith("api/v1/"):
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_api_route_is_in_the_schema_that_is_fuzzed():
    fuzzed = {result.ok().path for result in schema.get_all_operations()}

    assert set(api_routes(get_resolver().url_patterns)) == fuzzed
    assert len(fuzzed) >= 25  # the schema did not shrink to a few routes
