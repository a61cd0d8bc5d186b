"""E-mail: messages built safely, delivered to a real local SMTP server, refusals told apart as temporary or
permanent, and the outbox that keeps messages when no server is configured."""
import os
import smtplib
import socket
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser

import pytest

from skotsel.services.mail import (
    OUTBOX_NAME,
    DeliveryError,
    Mail,
    PermanentFailure,
    TemporaryFailure,
    build_message,
    deliver,
    outbox_entries,
    read_outbox,
    send_mail,
)
from tests.smtp import closed_port, smtp  # noqa: F401

SUBJECT = "Påminnelse: Klippning bruksgräsmatta – Välje badplats"
TEXT = "Hej Åsa!\n\nKlippning bruksgräsmatta på Välje badplats ska vara gjord senast 2026-06-12.\n"
HTML = "<p>Hej Åsa!</p><p>Klippning bruksgräsmatta på <b>Välje badplats</b> ska vara gjord senast 2026-06-12.</p>"


def _mail(**changes) -> Mail:
    values = {"to_name": "Åsa Öberg", "to_address": "asa@virestad.example", "subject": SUBJECT, "text": TEXT,
              "html": HTML, **changes}
    return Mail(**values)


def _send(app, **changes):
    return deliver(app.config, build_message(app.config, _mail(**changes)))


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    """No SMTP server: messages go to a fresh outbox folder, which this fixture yields."""
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "OUTBOX_FOLDER", str(folder))
    return folder


def _content(part) -> str:
    """A part's decoded text; line ends as the sender wrote them (the wire's CRLF is kept by the parser)."""
    return part.get_content().replace("\r\n", "\n")


def _write(folder, name: str, *, to="Mia Medlem <medlem@a.example>", subject="Ämne") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(
        f"From: skotsel <noreply@skotsel.invalid>\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nText\r\n".encode())


def test_a_delivered_message_has_the_text_and_the_html_part_and_swedish_names_survive(app, smtp):
    assert _send(app) is None
    [message] = smtp.messages
    assert message["Subject"] == SUBJECT
    assert message["From"] == app.config["MAIL_SENDER"]
    assert message["To"].addresses[0].display_name == "Åsa Öberg"
    assert message["To"].addresses[0].addr_spec == "asa@virestad.example"
    assert message["Message-ID"].endswith("@skotsel.invalid>") and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert _content(message.get_body(("plain",))) == TEXT
    assert _content(message.get_body(("html",))).strip() == HTML
    assert smtp.recipients == [["asa@virestad.example"]]


def test_without_html_the_message_is_plain_text(app, smtp):
    _send(app, html=None)
    [message] = smtp.messages
    assert message.get_content_type() == "text/plain" and _content(message) == TEXT


def test_a_name_or_subject_cannot_add_a_header(app, smtp):
    _send(app, to_name="Eve\r\nBcc: x@evil.example", subject="Hej\nBcc: y@evil.example\x85\u2028X-Evil: 1")
    [message] = smtp.messages
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert len(message.get_all("To")) == 1
    assert message["To"].addresses[0].display_name == "Eve Bcc: x@evil.example"
    assert message["Subject"] == "Hej Bcc: y@evil.example X-Evil: 1"
    assert smtp.recipients == [["asa@virestad.example"]]


@pytest.mark.parametrize("address", ["asa@virestad.example\r\nBcc: x@evil.example", "Eve <eve@evil.example>",
                                     "a@b.example, c@evil.example", "inte-en-adress", ""])
def test_an_address_that_is_not_one_is_refused_for_good_before_sending(app, smtp, address):
    with pytest.raises(PermanentFailure) as raised:
        build_message(app.config, _mail(to_address=address))
    assert raised.value.code is None
    assert smtp.messages == []


def test_451_on_rcpt_to_is_temporary_and_a_later_try_gets_through(app, smtp):
    smtp.rcpt_replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    for _ in range(2):
        with pytest.raises(TemporaryFailure) as raised:
            _send(app)
        assert raised.value.code == 451 and "Try again later" in raised.value.reason
    assert smtp.messages == []
    assert _send(app) is None
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("script,expected,code", [
    ({"rcpt_replies": ["550 5.1.1 Mailbox unavailable"]}, PermanentFailure, 550),
    ({"refuse_recipients": True}, PermanentFailure, 550),
    ({"mail_replies": ["451 4.3.0 Greylisted"]}, TemporaryFailure, 451),
    ({"mail_replies": ["553 5.1.8 Sender refused"]}, PermanentFailure, 553),
    ({"data_replies": ["452 4.3.1 Insufficient storage"]}, TemporaryFailure, 452),
    ({"data_replies": ["554 5.6.0 Message refused"]}, PermanentFailure, 554),
])
def test_a_refusal_at_any_stage_is_told_apart_by_its_code(app, smtp, script, expected, code):
    for key, value in script.items():
        setattr(smtp, key, value)
    with pytest.raises(expected) as raised:
        _send(app)
    assert raised.value.code == code and isinstance(raised.value, DeliveryError)
    assert smtp.messages == []


def test_a_server_that_is_not_there_is_a_temporary_failure(app, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port())
    with pytest.raises(TemporaryFailure) as raised:
        _send(app)
    assert raised.value.code is None and raised.value.reason


def test_a_server_that_never_answers_is_a_temporary_failure(app, smtp, monkeypatch):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the connection is accepted by the system, but no greeting ever comes
        monkeypatch.setitem(app.config, "MAIL_PORT", silent.getsockname()[1])
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.2)
        with pytest.raises(TemporaryFailure) as raised:
            _send(app)
    assert raised.value.code is None


def test_without_a_server_the_message_is_written_to_the_outbox(app, outbox):
    name = _send(app)
    assert OUTBOX_NAME.fullmatch(name) and (outbox / name).is_file()
    with open(outbox / name, "rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    assert message["Subject"] == SUBJECT and message["To"].addresses[0].display_name == "Åsa Öberg"
    assert _content(message.get_body(("plain",))) == TEXT
    assert read_outbox(str(outbox), name)["Message-ID"] == message["Message-ID"]
    [entry] = outbox_entries(outbox)
    assert entry.name == name and entry.subject == SUBJECT and entry.to == "Åsa Öberg <asa@virestad.example>"
    assert entry.to_addresses == ("asa@virestad.example",)
    assert abs((datetime.now(timezone.utc) - entry.written_at).total_seconds()) < 60
    assert [path.name for path in outbox.iterdir()] == [name]  # no temporary file left behind


def test_the_outbox_lists_messages_newest_first_and_ignores_other_files(outbox):
    _write(outbox, "20260601T080000Z-0000000a.eml", subject="Äldst")
    _write(outbox, "20261127T120301Z-0000000b.eml", subject="Nyast")
    _write(outbox, "20260915T235959Z-0000000c.eml", subject="Mitten")
    _write(outbox, "anteckning.txt")
    _write(outbox, "handskriven.eml")
    _write(outbox, ".20261127T120302Z-0000000d.eml.part")
    entries = outbox_entries(outbox)
    assert [entry.subject for entry in entries] == ["Nyast", "Mitten", "Äldst"]
    assert entries[0].written_at == datetime(2026, 11, 27, 12, 3, 1, tzinfo=timezone.utc)


def test_an_outbox_that_does_not_exist_yet_is_empty(tmp_path):
    assert outbox_entries(tmp_path / "inte-skapad") == []


@pytest.mark.parametrize("name", [
    "../x.eml", "x.eml", "/etc/passwd", "..", "", "20261127T120301Z-0000000b.eml/../x.eml",
    "../20261127T120301Z-0000000b.eml", "20261127T120301Z-0000000B.eml", "20261127T120301Z-0000000b.eml\n",
    "20261127T120301Z-0000000b.txt", "sub/20261127T120301Z-0000000b.eml", "20261127T120301Z-0000000b",
])
def test_read_outbox_refuses_any_name_it_did_not_make(outbox, name):
    _write(outbox, "20261127T120301Z-0000000b.eml")
    _write(outbox.parent, "x.eml")
    with pytest.raises(FileNotFoundError):
        read_outbox(outbox, name)


def test_read_outbox_of_a_missing_message_is_not_found(outbox):
    with pytest.raises(FileNotFoundError):
        read_outbox(outbox, "20261127T120301Z-0000000b.eml")


def test_send_mail_keeps_the_invitation_contract(app, smtp, monkeypatch):
    send_mail(app.config, to="ny@a.example", subject="Inbjudan\r\ntill Hallaryd", body="Hej!\n")
    [message] = smtp.messages
    assert message["To"] == "ny@a.example" and message["Subject"] == "Inbjudan till Hallaryd"
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port())
    with pytest.raises(smtplib.SMTPException) as raised:  # what the invitation code catches
        send_mail(app.config, to="ny@a.example", subject="Inbjudan", body="Hej!\n")
    assert isinstance(raised.value.__cause__, TemporaryFailure)


def test_send_mail_without_a_server_writes_to_the_outbox(app, outbox):
    send_mail(app.config, to="ny@a.example", subject="Inbjudan", body="Hej!\n")
    [entry] = outbox_entries(outbox)
    assert entry.to == "ny@a.example" and entry.subject == "Inbjudan"
    assert os.listdir(outbox) == [entry.name]
