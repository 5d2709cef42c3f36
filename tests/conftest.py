from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from tests.factories import CustomerFactory, GroupFactory, IdentityFactory, UserFactory
from tickets.models import Channel, IdentityKind
from tickets.types import InboundAttachment, NormalizedMessage, ThreadHints


@pytest.fixture(autouse=True)
def fresh_process_caches():
    """Per-process caches outlive a test's rolled-back transaction: start each test clean."""
    from accounts.selectors import forget_active_colleagues
    from channels_inbound.selectors import forget_mailboxes
    from tickets.selectors import forget_active_groups

    forgetters = (forget_active_groups, forget_active_colleagues, forget_mailboxes)
    for forget in forgetters:
        forget()
    yield
    for forget in forgetters:
        forget()


@pytest.fixture(autouse=True)
def no_request_left_open():
    """A test client request that raised leaves its response unclosed, and work deferred until
    after the response (`helpdesk.after_response`) would then wait for the next request, in
    another test: each test starts and ends outside any request."""
    from helpdesk import after_response

    after_response.finish()
    yield
    after_response.finish()


@pytest.fixture(autouse=True)
def default_language():
    """A request leaves its user's language active in the thread (in production the next
    request's LocaleMiddleware sets its own): a test that calls services directly must not
    inherit the language of the test before it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def own_channel_layer():
    """A channel layer instance of this test's own, for tests that `receive()` in their own
    event loop. The e2e server is a session-long uvicorn loop in the same xdist worker, and a
    browser that just closed may leave its consumer receiving there a moment longer; the Redis
    layer lets only one event loop at a time receive on an instance ("Two event loops are
    trying to receive() on one channel layer at once!"). Sending is unaffected: the publisher
    looks the layer up for every batch, so it sends through this one while the test runs."""
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

    shared = channel_layers.backends.get(DEFAULT_CHANNEL_LAYER)
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    channel_layers.backends[DEFAULT_CHANNEL_LAYER] = layer
    yield layer
    if shared is None:
        channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    else:
        channel_layers.backends[DEFAULT_CHANNEL_LAYER] = shared


@pytest.fixture(autouse=True)
def default_auto_replies(request):
    """The acknowledgement templates the data migration installs, as every real desk has
    them. Transactional tests (e2e, concurrency) flush every table, migration data included,
    so without this a test would see them or not depending on what ran before it."""
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names:
        request.getfixturevalue("db")
    else:
        return
    from importlib import import_module

    from django.apps import apps

    import_module("channels_inbound.migrations.0004_default_auto_replies").create(apps, None)


@pytest.fixture
def support(db):
    return GroupFactory(name="Support", tier=1)


@pytest.fixture
def billing(db):
    return GroupFactory(name="Billing", tier=2)


@pytest.fixture
def agent(support):
    return UserFactory(full_name="Vasya Pupkin", email="vasya@desk.example", groups=[support])


@pytest.fixture
def colleague(support):
    return UserFactory(full_name="Anna Smirnova", email="anna@desk.example", groups=[support])


@pytest.fixture
def other_agent(billing):
    """An agent of another group."""
    return UserFactory(full_name="Petr Billing", email="petr@desk.example", groups=[billing])


@pytest.fixture
def admin_user(db):
    return UserFactory(full_name="Ada Admin", email="ada@desk.example", role=Role.ADMIN)


@pytest.fixture
def internal(db):
    return UserFactory(
        full_name="Dima Developer", email="dima@corp.example", role=Role.INTERNAL, handle="dima"
    )


@pytest.fixture
def internal_other(db):
    return UserFactory(
        full_name="Olga Accountant", email="olga@corp.example", role=Role.INTERNAL, handle="olga"
    )


@pytest.fixture
def customer(db):
    customer = CustomerFactory(name="Marina Sokolova", language="ru")
    IdentityFactory(customer=customer, kind=IdentityKind.EMAIL, value="marina@mail.example")
    return customer


def inbound(
    *,
    sender: str = "marina@mail.example",
    kind: str = IdentityKind.EMAIL,
    channel: str = Channel.EMAIL,
    subject: str = "Backpack discount",
    text: str = "I was charged 5% off instead of 10%.",
    external_id: str = "",
    hints: ThreadHints | None = None,
    name: str = "Marina Sokolova",
    html: str = "",
    attachments: tuple[InboundAttachment, ...] = (),
) -> NormalizedMessage:
    return NormalizedMessage(
        channel=channel,
        sender_kind=kind,
        sender_value=sender,
        sender_name=name,
        subject=subject,
        text=text,
        html=html,
        external_id=external_id,
        hints=hints or ThreadHints(),
        attachments=attachments,
    )


@pytest.fixture
def api():
    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def dovecot():
    """A real IMAP server (Dovecot) with a throwaway mail store, for this test."""
    from tests.imap_server import dovecot_fixture

    yield from dovecot_fixture()


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) that Django's mail goes to, keeping what it accepts."""
    from tests.smtp_server import smtp_fixture

    yield from smtp_fixture(settings)


@pytest.fixture
def fake_telegram(settings):
    """A local Bot API server (tests/fake_telegram.py) the helpdesk is pointed at."""
    from tests.fake_telegram import fake_telegram_fixture

    yield from fake_telegram_fixture(settings)
