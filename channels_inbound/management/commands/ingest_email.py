"""Take a raw RFC 5322 message on standard input (an MTA pipe: `| manage.py ingest_email
--mailbox support@example.com`) into the inbox."""

import sys

from django.core.management.base import BaseCommand, CommandError

from channels_inbound.mailboxes import receive_raw
from channels_inbound.models import Mailbox


class Command(BaseCommand):
    help = "Store a raw email read from standard input in the inbox of a mailbox."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", required=True, help="The mailbox's address or id.")

    def handle(self, *args, mailbox: str, **options):
        found = Mailbox.objects.filter(
            **({"pk": int(mailbox)} if mailbox.isdigit() else {"address__iexact": mailbox})
        ).first()
        if found is None:
            raise CommandError(f"There is no mailbox {mailbox}.")
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("Nothing on standard input: pipe the raw message in.")
        received = receive_raw(mailbox=found, raw=raw)
        word = "stored" if received.created else "already stored"
        self.stdout.write(f"Message {word} as inbox event {received.event_id}.")
