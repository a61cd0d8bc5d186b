"""A real SMTP server on 127.0.0.1 for tests that send e-mail: `from tests.smtp import smtp  # noqa: F401`.

The fixture starts aiosmtpd on a free port, points the app's MAIL_SERVER/MAIL_PORT at it and yields the mailbox;
received messages are parsed EmailMessage objects. Nothing ever leaves the machine.

Scripting the server's answers (each list is consumed one reply per command, then the server answers as normal):

    smtp.rcpt_replies = ["451 4.3.0 Try again later"]   # the next RCPT TO gets 451, the one after it 250
    smtp.mail_replies = ["452 4.3.1 Out of memory"]     # the next MAIL FROM
    smtp.data_replies = ["554 5.6.0 Message refused"]   # the next message (end of DATA)
    smtp.refuse_recipients = True                       # every RCPT TO gets 550 until set back to False

A scripted reply that starts with 2 just lets that command through (so ["250 OK", "451 …"] refuses the second
one). `smtp.recipients` lists the envelope recipients of every accepted message, in order.
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
    """The aiosmtpd handler: keeps what arrives and answers as scripted (see the module docstring)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.refuse_recipients = False
        self.mail_replies: list[str] = []
        self.rcpt_replies: list[str] = []
        self.data_replies: list[str] = []
        self.port: int | None = None

    @staticmethod
    def _scripted(replies: list[str]) -> str | None:
        """The next scripted refusal, or None to go on as normal (also after a scripted 2xx)."""
        if not replies:
            return None
        reply = replies.pop(0)
        return None if reply.startswith("2") else reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        refusal = self._scripted(self.mail_replies)
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self._scripted(self.rcpt_replies)
        if refusal:
            return refusal
        if self.refuse_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        refusal = self._scripted(self.data_replies)
        if refusal:
            return refusal
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
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
    saved = {key: app.config.get(key)
             for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_TIMEOUT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                      MAIL_USERNAME=None, MAIL_TIMEOUT=5)
    try:
        yield mailbox
    finally:
        app.config.update(saved)
        controller.stop()
