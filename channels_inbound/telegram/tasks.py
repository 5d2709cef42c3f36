from __future__ import annotations

from celery import shared_task

from channels_inbound.telegram.api import TelegramError

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_text(self, bot_id: int, chat_id: int, text: str) -> bool:
    """A bot message that belongs to no ticket (the greeting). Temporary failures wait
    (Telegram's retry_after when it gives one); others are given up."""
    from channels_inbound.telegram.sender import send_chunks

    try:
        send_chunks(bot_id=bot_id, chat_id=chat_id, text=text)
    except TelegramError as error:
        if not error.is_temporary:
            return False
        countdown = error.retry_after or 30 * 2**self.request.retries
        raise self.retry(countdown=countdown) from None
    return True


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def call(self, bot_id: int, method: str, params: dict) -> bool:
    """One Bot API call that belongs to no ticket (answerCallbackQuery), retried like
    `send_text`."""
    from channels_inbound.models_telegram import TelegramBot
    from channels_inbound.telegram.api import BotApi

    bot = TelegramBot.objects.filter(pk=bot_id, is_active=True).first()
    if bot is None:
        return False
    try:
        BotApi(bot.token).call(method, **params)
    except TelegramError as error:
        if not error.is_temporary:
            return False
        raise self.retry(countdown=error.retry_after or 30 * 2**self.request.retries) from None
    return True
