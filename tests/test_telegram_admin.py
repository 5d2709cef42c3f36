"""Connecting a Telegram bot in the admin: the token is write-only and stored encrypted, the
texts the customer receives are validated."""

from __future__ import annotations

import pytest

from channels_inbound.models import TelegramBot

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def form(group, **changes):
    data = {
        "name": "ACME", "username": "acme_helpdesk_bot", "group": group.pk, "is_active": "on",
        "webhook_secret": "hd_Xk3-9qPzL2vW7_tN", "token": TOKEN,
        "greeting_en": "Hello!", "greeting_ru": "Здравствуйте!",
        "acknowledgement_en": "Your request #{{ number }} is registered.",
        "acknowledgement_ru": "Обращение №{{ number }} зарегистрировано.",
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_token_is_stored_encrypted_and_never_shown_again(client, admin_user, support):
    client.force_login(admin_user)

    response = client.post("/admin/channels_inbound/telegrambot/add/", form(support))

    assert response.status_code == 302
    bot = TelegramBot.objects.get()
    assert bot.token == TOKEN and TOKEN not in bot.token_encrypted
    page = client.get(f"/admin/channels_inbound/telegrambot/{bot.pk}/change/").content.decode()
    assert TOKEN not in page and bot.token_encrypted not in page
    assert f"/api/v1/inbound/telegram/{bot.pk}/" in page
    # Saving without typing the token again keeps it.
    client.post(f"/admin/channels_inbound/telegrambot/{bot.pk}/change/",
                form(support, token="", name="ACME 2"))  # fmt: skip
    bot.refresh_from_db()
    assert bot.name == "ACME 2" and bot.token == TOKEN


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("token", "", "A new bot needs its token."),
        ("acknowledgement_ru", "Обращение зарегистрировано.", "Put {{ number }} in it"),
        ("acknowledgement_en", "Request #{{ number|no_such_filter }}", "The template has an error"),
        ("greeting_ru", "{% if %}", "The template has an error"),
        ("greeting_en", "   ", "This field is required."),
        ("webhook_secret", "with:colon", "letters, digits, _ or - only"),
    ],
)
def test_a_bot_that_would_fail_its_customers_is_refused(client, admin_user, support, field,
                                                        value, words):  # fmt: skip
    client.force_login(admin_user)

    response = client.post(
        "/admin/channels_inbound/telegrambot/add/", form(support, **{field: value})
    )

    assert response.status_code == 200
    assert words in response.content.decode().replace("&#x27;", "'")
    assert not TelegramBot.objects.exists()


# --- Connecting to Telegram: the webhook, and the connection's state ---------------------------


@pytest.fixture
def bot(support, fake_telegram):
    from tests.helpers_telegram import make_bot

    return make_bot(fake_telegram, support, username="")


def run_action(client, action, bot):
    return client.post("/admin/channels_inbound/telegrambot/",
                       {"action": action, "_selected_action": [bot.pk]}, follow=True)  # fmt: skip


def test_the_admin_action_sets_the_webhook_with_the_secret_and_polling_stops(
    client, admin_user, bot, fake_telegram, settings
):
    settings.SITE_URL = "https://help.example.com"
    client.force_login(admin_user)

    response = run_action(client, "set_webhook", bot)

    assert f"Webhook set for {bot.name}" in response.content.decode()
    assert fake_telegram.webhook == {
        "url": f"https://help.example.com/api/v1/inbound/telegram/{bot.pk}/",
        "secret_token": bot.webhook_secret,
        "allowed_updates": ["message", "edited_message", "callback_query", "my_chat_member"],
    }
    bot.refresh_from_db()
    assert bot.use_polling is False and bot.username == "acme_helpdesk_bot"

    response = run_action(client, "delete_webhook", bot)

    assert "its updates are polled" in response.content.decode()
    assert fake_telegram.webhook == {}
    bot.refresh_from_db()
    assert bot.use_polling is True


def test_a_webhook_telegram_refuses_is_shown_to_the_admin_and_changes_nothing(
    client, admin_user, bot, fake_telegram, settings
):
    settings.SITE_URL = "http://localhost:8000"
    client.force_login(admin_user)

    response = run_action(client, "set_webhook", bot)

    assert "Telegram refused it for ACME: Telegram 400: Bad Request: bad webhook: An HTTPS URL" in (
        response.content.decode())  # fmt: skip
    bot.refresh_from_db()
    assert bot.use_polling is True and fake_telegram.webhook == {}


def test_the_bot_page_shows_telegrams_view_and_ours(client, admin_user, bot, fake_telegram):
    from channels_inbound.models import InboundEvent

    fake_telegram.webhook = {
        "url": "https://help.example.com/hook",
        "last_error_date": 1718006400,
        "last_error_message": "Wrong response from the webhook: 502",
    }
    InboundEvent.objects.create(channel="telegram", external_key=f"{bot.pk}:1",
                                payload={"bot": bot.pk, "body": "x"}, status="failed",
                                error="The update is not a JSON object")  # fmt: skip
    client.force_login(admin_user)

    page = client.get(f"/admin/channels_inbound/telegrambot/{bot.pk}/change/").content.decode()

    assert "https://help.example.com/hook" in page
    assert "Wrong response from the webhook: 502" in page
    assert f"{bot.pk}:1: The update is not a JSON object" in page
    assert "last update received" in page and "none yet" not in page


def test_the_bot_page_says_so_when_telegram_refuses_the_token(client, admin_user, bot):
    bot.token = "123:wrong"
    bot.save()
    client.force_login(admin_user)

    page = client.get(f"/admin/channels_inbound/telegrambot/{bot.pk}/change/").content.decode()

    assert "Telegram 401: Unauthorized" in page


def test_the_command_sets_and_deletes_the_webhook(bot, fake_telegram, settings):
    from io import StringIO

    from django.core.management import CommandError, call_command

    settings.SITE_URL = "https://help.example.com"
    out = StringIO()

    call_command("telegram_webhook", "set", stdout=out)
    assert fake_telegram.webhook["url"].endswith(f"/api/v1/inbound/telegram/{bot.pk}/")
    call_command("telegram_webhook", "info", "--bot", str(bot.pk), stdout=out)
    assert "'pending_update_count': 0" in out.getvalue()
    call_command("telegram_webhook", "delete", stdout=out)
    assert fake_telegram.webhook == {} and "updates are polled" in out.getvalue()
    settings.SITE_URL = "http://localhost"
    with pytest.raises(CommandError, match="Telegram refused some of it"):
        call_command("telegram_webhook", "set", stdout=out, stderr=StringIO())
