"""Outgoing e-mail over SMTP, configured by MAIL_* settings passed in by the caller."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Mapping

#: Seconds to wait for the SMTP server before giving up; a coordinator is waiting for the page.
TIMEOUT_SECONDS = 10


def send_mail(config: Mapping, *, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; raises OSError/SMTPException when the server will not take it."""
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # a line break in a name must not start a new header
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="skotsel.invalid")
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=TIMEOUT_SECONDS) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
