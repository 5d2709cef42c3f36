"""Set, delete or show the Telegram webhook of the active bots (or one)."""

from django.core.management.base import BaseCommand, CommandError

from channels_inbound.models import TelegramBot
from channels_inbound.telegram import connection
from helpdesk.errors import ApplicationError


class Command(BaseCommand):
    help = "Set, delete or show the Telegram webhook of the active bots (or of --bot ID)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["set", "delete", "info"])
        parser.add_argument("--bot", type=int, help="The bot's id (default: every active bot).")

    def handle(self, *args, action: str, bot: int | None, **options):
        bots = TelegramBot.objects.filter(is_active=True).order_by("pk")
        if bot is not None:
            bots = TelegramBot.objects.filter(pk=bot)
        if not bots:
            raise CommandError("No such active Telegram bot.")
        failed = False
        for each in bots:
            try:
                if action == "set":
                    url = connection.webhook_set(bot=each)
                    self.stdout.write(f"{each}: webhook set to {url}")
                elif action == "delete":
                    connection.webhook_delete(bot=each)
                    self.stdout.write(f"{each}: webhook deleted; updates are polled")
                else:
                    state = connection.connection_state(bot=each)
                    self.stdout.write(f"{each}: {state.provider or state.provider_error}")
            except ApplicationError as error:
                failed = True
                self.stderr.write(error.message)
        if failed:
            raise CommandError("Telegram refused some of it (see above).")
