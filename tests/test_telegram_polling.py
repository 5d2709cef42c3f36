"""Long polling against the fake Bot API: updates stored once with the offset that confirms
them; no update skipped or stored twice across pollers killed and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from channels_inbound.models import InboundEvent, TelegramBot
from channels_inbound.telegram.polling import poll
from tests.helpers_telegram import make_bot, post, text_update


def channel_post(update_id: int) -> dict:
    return {"update_id": update_id, "channel_post": {"message_id": update_id, "date": 1718006400,
            "chat": {"id": -1001765432109, "type": "channel", "title": "ACME news"},
            "text": f"post {update_id}"}}  # fmt: skip


def stored_keys() -> list[str]:
    return list(InboundEvent.objects.order_by("external_key").values_list("external_key",
                                                                           flat=True))  # fmt: skip


@pytest.fixture
def bot(support, fake_telegram):
    return make_bot(fake_telegram, support)


def test_a_round_stores_the_updates_and_the_next_confirms_them(bot, fake_telegram):
    fake_telegram.pending = [channel_post(n) for n in (500, 501, 502)]

    assert poll(bot_id=bot.pk) == 3
    bot.refresh_from_db()
    assert bot.update_offset == 503 and bot.last_error == "" and bot.last_polled_at
    assert stored_keys() == [f"{bot.pk}:500", f"{bot.pk}:501", f"{bot.pk}:502"]
    assert len(fake_telegram.pending) == 3  # Telegram forgets them only when told

    fake_telegram.pending.append(channel_post(503))
    assert poll(bot_id=bot.pk) == 1

    assert [params["offset"] for params in fake_telegram.sent("getUpdates")] == [0, 503]
    assert [u["update_id"] for u in fake_telegram.pending] == [503]
    assert len(stored_keys()) == 4


def test_an_update_both_posted_and_polled_is_stored_once(client, bot, fake_telegram):
    update = text_update("Здравствуйте")
    post(client, bot, update)
    fake_telegram.pending = [update]

    poll(bot_id=bot.pk)

    assert InboundEvent.objects.count() == 1


def test_polling_while_a_webhook_is_set_records_telegrams_refusal(bot, fake_telegram):
    fake_telegram.webhook = {"url": "https://help.example.com/hook"}
    fake_telegram.pending = [channel_post(600)]

    assert poll(bot_id=bot.pk) == 0

    bot.refresh_from_db()
    assert "409" in bot.last_error and "webhook is active" in bot.last_error
    assert bot.update_offset == 0 and not InboundEvent.objects.exists()


def test_a_bot_on_the_webhook_is_not_polled(bot, fake_telegram):
    TelegramBot.objects.filter(pk=bot.pk).update(use_polling=False)
    fake_telegram.pending = [channel_post(700)]

    assert poll(bot_id=bot.pk) == 0
    assert fake_telegram.sent("getUpdates") == []


@pytest.fixture
def poller(fake_telegram):
    """`poller()`: `manage.py telegram_poll` in a process of its own, on the test database;
    any still running when the test ends is killed."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        started.append(start_poller(fake_telegram))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def start_poller(fake_telegram) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "PYTEST_XDIST_WORKER", "TEST_DATABASE_NAME")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="helpdesk.settings", DEBUG="1", SECRET_KEY="test-only-secret-key",
        DATABASE_URL=f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}"
                     f":{db.get('PORT') or '5432'}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL, REDIS_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        DATABASE_POOL_SIZE="0", CELERY_TASK_ALWAYS_EAGER="true", LOG_LEVEL="ERROR",
        TELEGRAM_API_BASE_URL=fake_telegram.url,
    )  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "manage.py", "telegram_poll", "--timeout", "1"],
        env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_no_update_is_skipped_or_repeated_across_pollers_killed_and_restarted(
    support, fake_telegram, poller
):
    # Given: a bot with 40 updates waiting at Telegram, more arriving while pollers run.
    bot = make_bot(fake_telegram, support)
    ids = list(range(1000, 1060))
    fake_telegram.pending = [channel_post(n) for n in ids[:40]]
    current: dict = {}
    kills = iter([0, 0.001, 0.002, 0.004, 0.008])

    def kill_after_answer(updates):
        """The poller dies just after Telegram answered: before or while it stores them."""
        delay = next(kills, None) if updates else None
        if delay is not None and current.get("process"):
            time.sleep(delay)
            current["process"].send_signal(signal.SIGKILL)

    fake_telegram.after_updates = kill_after_answer

    # When: five pollers in a row are killed right after an answer; a sixth runs on.
    for _ in range(5):
        current["process"] = process = poller()
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
    fake_telegram.pending += [channel_post(n) for n in ids[40:]]
    current["process"] = process = poller()
    deadline = time.monotonic() + 60
    # Until all are stored and a further round has confirmed the last offset to Telegram.
    while (InboundEvent.objects.count() < len(ids) or fake_telegram.pending) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    process.terminate()
    _, errors = process.communicate(timeout=10)

    # Then: every update is in the inbox exactly once, and Telegram had them all confirmed.
    assert b"Traceback" not in errors, errors.decode()
    assert stored_keys() == [f"{bot.pk}:{n}" for n in ids]
    bot.refresh_from_db()
    assert bot.update_offset == ids[-1] + 1 and fake_telegram.pending == []


def test_the_beat_task_polls_every_polling_bot(bot, fake_telegram, support):
    from channels_inbound.tasks import poll_telegram_bots

    make_bot(fake_telegram, support, name="Off").__class__.objects.filter(name="Off").update(
        is_active=False
    )
    fake_telegram.pending = [channel_post(800)]

    assert poll_telegram_bots() == 1

    assert stored_keys() == [f"{bot.pk}:800"]
