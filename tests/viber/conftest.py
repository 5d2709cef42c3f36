"""The Viber tests' fixtures: the local Viber API, a connected bot, a signed delivery."""

import pytest

from tests.viber_helpers import TOKEN, post


@pytest.fixture
def fake_viber(settings):
    """The local Viber API, knowing the bot's token."""
    from tests.fake_viber import fake_viber_fixture

    yield from fake_viber_fixture(settings, {TOKEN: "Shop support"})


@pytest.fixture
def bot(support):
    from channels_inbound.viber.models import ViberBot

    bot = ViberBot(name="Shop support", group=support)
    bot.token = TOKEN
    bot.save()
    return bot


@pytest.fixture
def deliver(client, bot, django_capture_on_commit_callbacks):
    """Post a body signed for the bot; the (eager) worker processes it as it commits."""

    def deliver(body: bytes, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(client, bot, body, **kwargs)

    return deliver
