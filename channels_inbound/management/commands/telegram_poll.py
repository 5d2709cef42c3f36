"""Poll the Telegram bots that fetch their updates by polling, in a loop (long polling): an
alternative to the beat task for a process of its own."""

import time

from django.core.management.base import BaseCommand

from channels_inbound.telegram.polling import poll, polling_bot_ids


class Command(BaseCommand):
    help = "Fetch the updates of the polling Telegram bots (getUpdates) until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=int, default=10, help="Seconds getUpdates waits for an update."
        )
        parser.add_argument("--once", action="store_true", help="One round, then stop.")

    def handle(self, *args, timeout: int, once: bool, **options):
        while True:
            ids = polling_bot_ids()
            # Long polling holds the round open: with several bots, none may wait on the others.
            wait = timeout if len(ids) == 1 else 0
            stored = sum(poll(bot_id=bot_id, timeout=wait) for bot_id in ids)
            if once:
                self.stdout.write(f"{stored} update(s) stored")
                return
            if not ids or (not stored and wait == 0):
                time.sleep(1)
