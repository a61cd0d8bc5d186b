"""A forgotten password: a one-use link by e-mail (through a real local SMTP server), valid one hour, the same
answer for every address, and every old session ended."""
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from skotsel.extensions import db
from skotsel.models import PasswordReset, User
from tests.conftest import PASSWORD, login
from tests.smtp import smtp  # noqa: F401

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
NEW_PASSWORD = "tre-gröna-grodor-i-dammen"
SENT = "Om adressen finns i skotsel har vi skickat en länk dit."
INVALID = "Länken gäller inte"


@pytest.fixture
def at_now(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOW", NOW)
    return lambda moment: monkeypatch.setitem(app.config, "NOW", moment)


def _ask(client, email):
    return client.submit("/password/forgot", {"email": email})


def _link(smtp) -> str:
    [link] = smtp.links()
    return link


def _choose(client, path, password=NEW_PASSWORD, confirm=None):
    return client.submit(path, {"password": password, "confirm": password if confirm is None else confirm})


def test_the_login_page_links_to_the_reset(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)


def test_a_known_address_gets_a_link_that_sets_a_new_password(app, client, world, smtp, at_now):
    response = _ask(client, "Medlem@A.example ")
    assert response.status_code == 200 and SENT in response.get_data(as_text=True)
    [message] = smtp.messages
    assert message["To"] == "medlem@a.example" and "lösenord" in message["Subject"]
    link = _link(smtp)
    assert link.startswith("http://127.0.0.1:5000/password/reset/")  # BASE_URL, never the request's Host
    assert "2026-06-01 13:00" in message.get_content()  # valid one hour, shown in Swedish time
    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200 and "Välj ett nytt lösenord" in page.get_data(as_text=True)
    response = _choose(client, path)
    assert response.headers["Location"] == "/login"
    assert client.submit("/login", {"email": "medlem@a.example", "password": PASSWORD}).status_code == 200
    login(client, "medlem@a.example", NEW_PASSWORD)


def test_an_unknown_or_deactivated_address_gets_the_same_answer_and_no_mail(client, world, make, smtp, at_now):
    make.user("borta@home.example", role="admin", municipality=world.home, active=False)
    known = _ask(client, "medlem@a.example").get_data(as_text=True)
    for email in ("ingen@a.example", "borta@home.example"):
        assert SENT in _ask(client, email).get_data(as_text=True)
    assert len(smtp.messages) == 1 and smtp.recipients == [["medlem@a.example"]]
    assert SENT in known


def test_the_link_works_once(client, world, smtp, at_now):
    _ask(client, "medlem@a.example")
    path = urlsplit(_link(smtp)).path
    assert _choose(client, path).status_code == 302
    again = client.get(path)
    assert again.status_code == 404 and INVALID in again.get_data(as_text=True)
    assert _choose(client, path, "ännu-ett-nytt-lösenord-här").status_code == 404
    assert db.session.scalar(db.select(User).filter_by(email="medlem@a.example")).check_password(NEW_PASSWORD)


@pytest.mark.parametrize("minutes,valid", [(59, True), (60, False), (61, False)])
def test_the_link_is_valid_for_one_hour(client, world, smtp, at_now, minutes, valid):
    _ask(client, "medlem@a.example")
    path = urlsplit(_link(smtp)).path
    at_now(NOW + timedelta(minutes=minutes))
    assert client.get(path).status_code == (200 if valid else 404)
    assert _choose(client, path).status_code == (302 if valid else 404)


def test_a_new_link_and_a_used_one_end_the_others(client, world, smtp, at_now):
    _ask(client, "medlem@a.example")
    _ask(client, "medlem@a.example")
    first, second = (urlsplit(smtp.links(message)[0]).path for message in smtp.messages)
    assert _choose(client, second).status_code == 302
    assert client.get(first).status_code == 404


def test_a_reset_ends_every_session_of_the_account(app, client, world, smtp, at_now):
    browser = app.test_client()
    login(browser, "medlem@a.example")
    assert browser.get("/profile").status_code == 200
    _ask(client, "medlem@a.example")
    assert _choose(client, urlsplit(_link(smtp)).path).status_code == 302
    assert browser.get("/profile").status_code == 302


def test_a_reset_lifts_the_sign_in_lock(client, world, smtp, at_now):
    for _ in range(10):
        client.submit("/login", {"email": "medlem@a.example", "password": "fel-fel-fel-fel"})
    assert client.submit("/login", {"email": "medlem@a.example", "password": PASSWORD}).status_code == 429
    _ask(client, "medlem@a.example")
    _choose(client, urlsplit(_link(smtp)).path)
    assert client.submit("/login", {"email": "medlem@a.example", "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize("password,confirm,message", [
    ("kort-lösen", None, "Lösenordet måste ha minst 12 tecken."),
    ("Lösenord2026!", None, "Lösenordet är för vanligt"),
    (NEW_PASSWORD, "något-helt-annat-här", "Lösenorden är olika."),
])
def test_the_new_password_follows_the_rules_and_the_link_stays_usable(client, world, smtp, at_now, password,
                                                                     confirm, message):
    _ask(client, "medlem@a.example")
    path = urlsplit(_link(smtp)).path
    response = _choose(client, path, password, confirm)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _choose(client, path).status_code == 302


def test_at_most_three_links_an_hour(client, world, smtp, at_now):
    for _ in range(5):
        assert SENT in _ask(client, "medlem@a.example").get_data(as_text=True)
    assert len(smtp.messages) == 3
    at_now(NOW + timedelta(minutes=61))
    _ask(client, "medlem@a.example")
    assert len(smtp.messages) == 4


def test_only_the_hash_of_the_link_is_stored(client, world, smtp, at_now):
    _ask(client, "medlem@a.example")
    token = urlsplit(_link(smtp)).path.rsplit("/", 1)[1]
    [reset] = db.session.scalars(db.select(PasswordReset)).all()
    assert token not in reset.token_hash and len(reset.token_hash) == 64


def test_a_mail_server_that_refuses_changes_nothing_in_the_answer(client, world, smtp, at_now):
    smtp.refuse_recipients = True
    assert SENT in _ask(client, "medlem@a.example").get_data(as_text=True)


@pytest.mark.parametrize("token", ["x" * 43, "kort", "x" * 44])
def test_a_made_up_link_is_not_found(client, token):
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 404 and INVALID in response.get_data(as_text=True)


def test_the_reset_page_sends_no_referer(client, world, smtp, at_now):
    _ask(client, "medlem@a.example")
    assert client.get(urlsplit(_link(smtp)).path).headers["Referrer-Policy"] == "no-referrer"
