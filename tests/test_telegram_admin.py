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
