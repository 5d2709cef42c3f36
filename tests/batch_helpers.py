"""Raw emails and the inbox for the batch tests."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from channels_inbound import inbox
from tests.email_helpers import raw_email

DATE = format_datetime(timezone.now())


def email(**kwargs) -> bytes:
    """`raw_email` with a fixed Date, so the same message is the same bytes in every run."""
    return re.sub(rb"Date: [^\r\n]+", f"Date: {DATE}".encode(), raw_email(**kwargs), count=1)


def with_attachment(*, sender: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = f"Dave <{sender}>", "support@desk.example"
    message["Subject"], message["Date"], message["Message-ID"] = "Invoice", DATE, message_id
    message.set_content("<p>See the <b>invoice</b>.</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf",
                           filename="invoice.pdf")  # fmt: skip
    return message.as_bytes()


def receive(mailbox, raws, tag="b") -> None:
    inbox.receive_many(channel="email", items=[
        (f"{tag}:{n}", {"mailbox": mailbox.pk}, raw) for n, raw in enumerate(raws)
    ])  # fmt: skip
