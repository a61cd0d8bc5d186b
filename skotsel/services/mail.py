"""Outgoing e-mail over SMTP, configured by MAIL_* settings passed in by the caller."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Mapping


def send_mail(config: Mapping, *, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; raises OSError/SMTPException when the server will not take it."""
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
