"""Connecting a bot at Viber: `set_webhook` from the admin or a command, Viber's own check of
the address answered by our webhook, and the bot's page showing Viber's view
(`get_account_info`) next to ours (the last callback, the last failure)."""

import time

import pytest
from django.core.management import CommandError, call_command

from channels_inbound import inbox
from channels_inbound.models import InboundEvent
from channels_inbound.viber.models import ViberBot
from tests.viber_helpers import TOKEN, corpus_bytes

ADMIN = "/admin/channels_inbound/viberbot/"


@pytest.fixture
def live_bot(transactional_db, live_server, settings, support):
    """A bot on a running server, as Viber reaches it."""
    settings.SITE_URL = live_server.url
    bot = ViberBot(name="Shop support", group=support)
    bot.token = TOKEN
    bot.save()
    return bot


def test_the_admin_action_sets_the_webhook_and_vibers_check_is_answered(
    live_bot, fake_viber, admin_user, client, live_server
):
    client.force_login(admin_user)

    page = client.post(ADMIN, {"action": "set_webhook", "_selected_action": [live_bot.pk]},
                       follow=True)  # fmt: skip

    url = f"{live_server.url}/api/v1/inbound/viber/{live_bot.pk}/"
    [call] = [c for c in fake_viber.calls if c.method == "set_webhook"]
    assert call.token == TOKEN and call.body["url"] == url
    assert set(call.body["event_types"]) == {"delivered", "seen", "failed", "subscribed",
                                             "unsubscribed", "conversation_started"}  # fmt: skip
    assert f"Shop support: Viber sends its callbacks to {url}" in page.content.decode()
    check = InboundEvent.objects.get()
    assert check.payload == {"bot": live_bot.pk} and bytes(check.raw).startswith(
        b'{"event": "webhook"'
    )
    # What the worker does with it (the live server's own eager task may be at it: "busy").
    deadline = time.monotonic() + 10
    while (outcome := inbox.process(event_id=check.pk)) == "busy" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outcome == "ignored"
    check.refresh_from_db()
    assert check.error == "Viber checked the webhook."


def test_the_command_connects_every_active_bot(live_bot, fake_viber, capsys, live_server):
    call_command("viber_set_webhook")

    out = capsys.readouterr().out
    assert out == (
        f"Shop support: Viber sends its callbacks to {live_server.url}/api/v1/inbound/viber/"
        f"{live_bot.pk}/\n"
    )
    assert fake_viber.webhook.endswith(f"/api/v1/inbound/viber/{live_bot.pk}/")


def test_an_address_viber_cannot_reach_is_refused_with_vibers_words(
    bot, fake_viber, settings, admin_user, client, capsys
):
    settings.SITE_URL = "http://127.0.0.1:9"
    client.force_login(admin_user)

    page = client.post(ADMIN, {"action": "set_webhook", "_selected_action": [bot.pk]},
                       follow=True)  # fmt: skip
    with pytest.raises(CommandError, match="1 bot"):
        call_command("viber_set_webhook", bot=bot.pk)

    assert "Shop support: Viber refused: invalidUrl (1)" in page.content.decode()
    assert "Shop support: Viber refused: invalidUrl (1)" in capsys.readouterr().err
    assert not InboundEvent.objects.exists()


def test_the_bots_page_shows_vibers_view_and_ours(bot, fake_viber, deliver, admin_user, client):
    fake_viber.webhook = "https://help.example.com/api/v1/inbound/viber/1/"
    deliver(b'{"event":"message","message_token":1}')  # fails: no sender
    deliver(corpus_bytes("subscribed.json"))
    client.force_login(admin_user)

    html = client.get(f"{ADMIN}{bot.pk}/change/").content.decode()

    assert "Account: Shop support (shopsupport)" in html
    assert "Webhook: https://help.example.com/api/v1/inbound/viber/1/" in html
    assert "Subscribers: 35" in html
    assert "Last callback received: " in html and "Last callback received: never" not in html
    assert "The Viber message callback lacks sender." in html
    [info] = [c for c in fake_viber.calls if c.method == "get_account_info"]
    assert info.token == TOKEN


def test_the_bots_page_says_when_viber_refuses_the_token(bot, fake_viber, admin_user, client):
    bot.token = "revoked"
    bot.save()
    client.force_login(admin_user)

    html = client.get(f"{ADMIN}{bot.pk}/change/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Viber отказал: invalidAuthToken (2)" in html
    assert "Последний полученный вызов: никогда" in html
