from django.core.management.base import BaseCommand

from helpdesk import demo


class Command(BaseCommand):
    help = "Load the demo team, customers and tickets (idempotent: runs once per database)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-logins", action="store_true", help="Only print the demo logins."
        )

    def handle(self, *args, print_logins: bool = False, **options):
        if print_logins:
            self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
            for email, role, title in demo.logins():
                self.stdout.write(f"  {email:<24} {role:<15} {title}")
            return
        if demo.is_loaded():
            self.stdout.write("Demo data is already loaded.")
            return
        demo.load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
