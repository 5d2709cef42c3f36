"""A real SMTP server for the tests (aiosmtpd in the test process)."""

from __future__ import annotations

import email
import socket
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    """An aiosmtpd handler that keeps what it accepts and refuses on demand."""

    def __init__(self) -> None:
        self.received: list = []
        self.refuse_rcpt = ""  # an SMTP answer to give to RCPT TO while set
        self.refuse_data = ""  # an SMTP answer to give to DATA while set

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self, index: int = 0):
        return email.message_from_bytes(self.received[index].content, policy=policy.default)


def point_django_at(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


def smtp_fixture(settings):
    """A started server with Django's mail pointed at it, stopped afterwards."""
    server = MailServer()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    point_django_at(settings, port)
    try:
        yield server
    finally:
        controller.stop()
