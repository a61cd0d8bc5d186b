"""A real SMTP server on 127.0.0.1 for tests that send e-mail: `from tests.smtp import smtp  # noqa: F401`.

The fixture starts aiosmtpd on a free port, points the app's MAIL_SERVER/MAIL_PORT at it and yields the mailbox;
received messages are parsed EmailMessage objects. Nothing ever leaves the machine.
"""
from __future__ import annotations

import email
import email.policy
import re
import socket
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class Mailbox:
    """The aiosmtpd handler: keeps what arrives; `refuse_recipients` makes the server answer 550 to RCPT TO."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_recipients = False
        self.port: int | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def links(self, message: EmailMessage | None = None) -> list[str]:
        """The http(s) links in a message's text (the last message by default)."""
        message = message if message is not None else self.messages[-1]
        return re.findall(r"https?://\S+", message.get_content())


class _Controller(Controller):
    """Controller that listens on port 0 and learns the port the system chose before it checks the server."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """Run a local SMTP server for one test and send the app's e-mail to it."""
    mailbox = Mailbox()
    controller = _Controller(mailbox, hostname="127.0.0.1", port=0)
    controller.start()
    mailbox.port = controller.port
    saved = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
    try:
        yield mailbox
    finally:
        app.config.update(saved)
        controller.stop()
