"""Point Viber at this helpdesk's webhook, for one bot or every active one."""

from django.core.management.base import BaseCommand, CommandError

from channels_inbound.viber.connect import set_webhook
from channels_inbound.viber.models import ViberBot
from helpdesk.errors import ApplicationError


class Command(BaseCommand):
    help = "Call Viber's set_webhook for the active Viber bots (or the one given by --bot)."

    def add_arguments(self, parser):
        parser.add_argument("--bot", type=int, help="The bot's id (default: every active bot).")

    def handle(self, *args, bot: int | None = None, **options):
        bots = ViberBot.objects.filter(**({"pk": bot} if bot else {"is_active": True}))
        if not bots:
            raise CommandError("There is no such Viber bot." if bot else "No active Viber bot.")
        failed = 0
        for each in bots:
            try:
                url = set_webhook(bot=each)
            except ApplicationError as error:
                failed += 1
                self.stderr.write(f"{each}: {error.message}")
            else:
                self.stdout.write(f"{each}: Viber sends its callbacks to {url}")
        if failed:
            raise CommandError(f"{failed} bot(s) could not be connected.")
