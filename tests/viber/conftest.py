"""The Viber tests' fixtures: the local Viber API, a connected bot, a signed delivery."""

import pytest

from tests.viber_helpers import TOKEN, post

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 a tiny picture \xff\xd9"


@pytest.fixture(autouse=True)
def fake_viber(settings, monkeypatch):
    """The local Viber API, knowing the bot's token, and the media host of the corpus's
    messages (its pictures and videos are at http://viber.com)."""
    from tests.fake_viber import fake_viber_fixture, media_through

    for fake in fake_viber_fixture(settings, {TOKEN: "Shop support"}):
        fake.media["http://viber.com"] = (200, "image/jpeg", JPEG)
        media_through(fake, monkeypatch)
        yield fake


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
