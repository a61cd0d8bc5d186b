"""Outgoing e-mail: build a message, hand it to the SMTP server (MAIL_* settings passed in by the caller) or, when
no server is configured, keep it as an .eml file in the outbox folder that admins can read."""
from __future__ import annotations

import os
import re
import secrets
import smtplib
import ssl
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Mapping

#: Server-made outbox file names: the UTC time of writing (so names sort by age) and 8 random hex digits.
OUTBOX_NAME = re.compile(r"(\d{8}T\d{6}Z)-[0-9a-f]{8}\.eml")
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


class DeliveryError(Exception):
    """The message was not handed over. `code` is the SMTP reply code, when the server gave one."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"{code} {reason}" if code is not None else reason)
        self.code = code
        self.reason = reason


class TemporaryFailure(DeliveryError):
    """Trying again later may work: a 4xx reply, no connection, a timeout, a dropped connection."""


class PermanentFailure(DeliveryError):
    """Trying again will not help: a 5xx reply (such as 550 for an unknown mailbox) or an unusable address."""


#: Names the municipality a message was sent for, so a shared outbox shows each municipality only its own.
MUNICIPALITY_HEADER = "X-Skotsel-Municipality"


@dataclass(frozen=True)
class Mail:
    """One message to one person, before it becomes a MIME message."""

    to_name: str
    to_address: str
    subject: str
    text: str
    html: str | None = None
    #: The municipality the message is sent for; the outbox shows it to that municipality's admins only.
    municipality_id: int | None = None


@dataclass(frozen=True)
class OutboxEntry:
    """An .eml file in the outbox, as the admin list shows it."""

    name: str
    #: When the file was written (UTC, from its name).
    written_at: datetime
    #: The To header as written, e.g. "Mia Medlem <medlem@a.example>".
    to: str
    subject: str
    #: The addresses in the To header, lower-case.
    to_addresses: tuple[str, ...] = ()
    #: The municipality it was sent for (None for a message without one).
    municipality_id: int | None = None


def header_text(value: str) -> str:
    """One line of header text: every control or line-breaking character becomes a space, runs of spaces one."""
    spaced = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in value or ""
    )
    return " ".join(spaced.split())


def build_message(config: Mapping, mail: Mail) -> EmailMessage:
    """A complete message: From, To, Subject, Date, Message-ID, the text and, if given, an HTML alternative.

    Names and subjects are cleaned to one line, and the address must be a plain address, so nothing a person
    typed can add a header. An address that is not one raises PermanentFailure: it can never be delivered.
    """
    try:
        to = Address(display_name=header_text(mail.to_name), addr_spec=(mail.to_address or "").strip())
    except (ValueError, IndexError) as error:  # the header parser's defects are ValueErrors
        raise PermanentFailure(None, f"not an e-mail address: {mail.to_address!r}") from error
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = header_text(mail.subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="skotsel.invalid")
    if mail.municipality_id is not None:
        message[MUNICIPALITY_HEADER] = str(int(mail.municipality_id))
    # Quoted-printable keeps the body 7-bit, which every server takes, and still readable in an .eml file.
    message.set_content(mail.text, cte="quoted-printable")
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    return message


def deliver(config: Mapping, message: EmailMessage) -> str | None:
    """Send over SMTP when MAIL_SERVER is set (returns None), else write to the outbox (returns the file name).

    Raises TemporaryFailure or PermanentFailure when the server does not take the message.
    """
    if not config.get("MAIL_SERVER"):
        return _write_to_outbox(config["OUTBOX_FOLDER"], message)
    try:
        _send_over_smtp(config, message)
    except smtplib.SMTPRecipientsRefused as error:
        raise _refusal(error.recipients) from error
    except smtplib.SMTPResponseException as error:  # sender refused, data refused, connect/helo/auth replies
        raise _from_reply(error.smtp_code, error.smtp_error) from error
    except smtplib.SMTPServerDisconnected as error:
        raise TemporaryFailure(None, f"the server closed the connection: {error}") from error
    except smtplib.SMTPException as error:  # no STARTTLS or AUTH offered, no usable login method
        raise TemporaryFailure(None, str(error) or type(error).__name__) from error
    except OSError as error:  # refused, unreachable, timed out, TLS handshake failed
        raise TemporaryFailure(None, str(error) or type(error).__name__) from error
    return None


def _send_over_smtp(config: Mapping, message: EmailMessage) -> None:
    host, port, timeout = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), config.get("MAIL_TIMEOUT") or 10
    context = ssl.create_default_context()
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=context)
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        refused = smtp.send_message(message)
    finally:
        _hang_up(smtp)
    if refused:  # some recipients took it; our messages have one, so this is only a safety net
        raise smtplib.SMTPRecipientsRefused(refused)


def _hang_up(smtp: smtplib.SMTP) -> None:
    """Say QUIT; once the server has the message, a bad answer to QUIT must not make it look unsent."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _from_reply(code: int, reply: bytes | str) -> DeliveryError:
    """5xx is permanent; 4xx, and anything that is not a proper reply code, is worth another try."""
    if 500 <= code <= 599:
        return PermanentFailure(code, _text(reply))
    return TemporaryFailure(code if 400 <= code <= 499 else None, _text(reply))


def _refusal(recipients: dict) -> DeliveryError:
    """RCPT TO refused: permanent only when every recipient got a 5xx; any 4xx means try again later."""
    replies = sorted(recipients.values(), key=lambda pair: pair[0])  # 4xx first
    code, reply = replies[0] if replies else (0, b"recipient refused")
    return _from_reply(code, reply)


def _write_to_outbox(folder: str | os.PathLike, message: EmailMessage) -> str:
    """Write the message as <UTC time>-<random>.eml; a temporary name first, so a listing never sees half a file."""
    outbox = Path(folder)
    outbox.mkdir(parents=True, exist_ok=True)
    data = message.as_bytes(policy=policy.SMTP)
    while True:
        name = f"{datetime.now(timezone.utc).strftime(_STAMP_FORMAT)}-{secrets.token_hex(4)}.eml"
        if not (outbox / name).exists():
            break
    partial = outbox / f".{name}.part"
    with open(partial, "xb") as fh:
        fh.write(data)
    os.replace(partial, outbox / name)
    return name


def _outbox_path(folder: str | os.PathLike, name: str) -> Path:
    """The path of a server-made outbox file; any other name (a path, '..', a made-up name) is not found."""
    if not isinstance(name, str) or not OUTBOX_NAME.fullmatch(name):
        raise FileNotFoundError(name)
    return Path(folder) / name


def _parse(path: Path, *, headers_only: bool = False) -> EmailMessage:
    with open(path, "rb") as fh:
        return BytesParser(policy=policy.default).parse(fh, headersonly=headers_only)


def _entry(name: str, headers: EmailMessage) -> OutboxEntry:
    to = str(headers.get("To", ""))
    written_at = datetime.strptime(OUTBOX_NAME.fullmatch(name).group(1), _STAMP_FORMAT).replace(tzinfo=timezone.utc)
    return OutboxEntry(
        name=name, written_at=written_at, to=to, subject=str(headers.get("Subject", "")),
        to_addresses=tuple(address.lower() for _, address in getaddresses([to]) if address),
        municipality_id=int(sent_for) if (sent_for := str(headers.get(MUNICIPALITY_HEADER, ""))).isdigit() else None,
    )


def outbox_entries(folder: str | os.PathLike) -> list[OutboxEntry]:
    """The messages in the outbox, newest first; other files (and a folder not made yet) are ignored."""
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.is_file() and OUTBOX_NAME.fullmatch(entry.name)]
    except FileNotFoundError:
        return []
    entries = []
    for name in names:
        try:
            entries.append(_entry(name, _parse(Path(folder) / name, headers_only=True)))
        except FileNotFoundError:  # removed meanwhile
            continue
    # Names sort by the second they were written; the file's own time orders messages written in the same second.
    return sorted(entries, key=lambda entry: (entry.name[:16], _mtime(Path(folder) / entry.name), entry.name),
                  reverse=True)


def outbox_entry(folder: str | os.PathLike, name: str) -> OutboxEntry:
    """The list row of one outbox message; FileNotFoundError as for read_outbox."""
    return _entry(name, _parse(_outbox_path(folder, name), headers_only=True))


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def read_outbox(folder: str | os.PathLike, name: str) -> EmailMessage:
    """One outbox message by its server-made name; FileNotFoundError for any other name or a missing file."""
    return _parse(_outbox_path(folder, name))


def send_mail(config: Mapping, *, to: str, subject: str, body: str, municipality_id: int | None = None) -> None:
    """Send one plain-text message to an address (invitations); without MAIL_SERVER it goes to the outbox.

    Raises smtplib.SMTPException (an OSError), chained to the DeliveryError, when it cannot be handed over: the
    invitation code catches (OSError, SMTPException).
    """
    try:
        deliver(config, build_message(config, Mail(to_name="", to_address=to, subject=subject, text=body,
                                                   municipality_id=municipality_id)))
    except DeliveryError as error:
        raise smtplib.SMTPException(str(error)) from error
