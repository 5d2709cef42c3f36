"""Building Bot API updates for the Telegram tests, and posting them to a bot's webhook."""

from __future__ import annotations

import itertools
import json

from channels_inbound.models import TelegramBot

SECRET = "hd_Xk3-9qPzL2vW7_tN"
_ids = itertools.count(900_000_001)

IRINA = {"id": 5123456789, "is_bot": False, "first_name": "Ирина", "last_name": "Смирнова",
         "username": "irina_s", "language_code": "ru"}  # fmt: skip
JOHN = {"id": 6000000001, "is_bot": False, "first_name": "John", "language_code": "en"}


def make_bot(fake, group, *, name="ACME", username="acme_helpdesk_bot") -> TelegramBot:
    bot = TelegramBot(name=name, username=username, group=group, webhook_secret=SECRET)
    bot.token = fake.token
    bot.save()
    return bot


def text_update(text: str, *, user=IRINA, chat_id=None, reply_to: int | None = None) -> dict:
    n = next(_ids)
    chat = {"id": chat_id or user["id"], "type": "private", "first_name": user["first_name"]}
    message = {"message_id": n % 100_000, "from": user, "chat": chat, "date": 1718006400,
               "text": text}  # fmt: skip
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]),
                                "type": "bot_command"}]  # fmt: skip
    if reply_to is not None:
        message["reply_to_message"] = {"message_id": reply_to, "chat": chat, "date": 1718006300,
                                       "text": "earlier"}  # fmt: skip
    return {"update_id": n, "message": message}


def post(client, bot, update: dict | bytes, secret: str = SECRET):
    body = update if isinstance(update, bytes) else json.dumps(update, ensure_ascii=False)
    response = client.post(f"/api/v1/inbound/telegram/{bot.pk}/", body,
                           content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=secret)  # fmt: skip
    assert response.status_code == 200, response.content
    return response
