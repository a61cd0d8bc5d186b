"""Sessions that end for good (sign-out, new password, deactivation, idle time), cookie flags, throttled sign-in,
common passwords refused, and `next=` kept on this site."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from skotsel import create_app
from skotsel.config import secure_cookies
from skotsel.extensions import db
from skotsel.models import LoginAttempt, User
from skotsel.services.users import check_password_rules, is_common_password
from skotsel.domain.errors import ValidationError
from tests.conftest import PASSWORD, login

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
NEW_PASSWORD = "sju-sorters-kakor-på-logen"
THROTTLED = "För många misslyckade inloggningar."
WRONG = "Fel e-postadress eller lösenord."


def _signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def _replay(app, cookie: str):
    """A second browser that sends a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _cookie(client) -> str:
    return client.get_cookie("session").value


@pytest.fixture
def at_now(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOW", NOW)
    return lambda moment: monkeypatch.setitem(app.config, "NOW", moment)


# --- Sessions ---------------------------------------------------------------------------------------------------


def test_a_copied_session_cookie_works_until_sign_out_and_never_after(app, client, world):
    login(client, "admin@home.example")
    copy = _cookie(client)
    assert _signed_in(_replay(app, copy))
    client.submit("/logout", page="/profile")
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, copy))


def test_changing_the_password_ends_every_other_session_but_keeps_this_one(app, client, world):
    login(client, "admin@home.example")
    other_device = app.test_client()
    login(other_device, "admin@home.example")
    copy = _cookie(client)
    response = client.submit("/password", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/profile"
    assert "Ditt lösenord är bytt." in client.get("/profile").get_data(as_text=True)
    assert _signed_in(client)
    assert not _signed_in(other_device)
    assert not _signed_in(_replay(app, copy))
    client.submit("/logout", page="/profile")
    login(client, "admin@home.example", NEW_PASSWORD)


def test_changing_the_password_needs_the_current_one(client, world):
    login(client, "admin@home.example")
    response = client.submit("/password", {"current_password": "inte-det-rätta-lösenordet", "password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD})
    assert response.status_code == 200
    assert "Det nuvarande lösenordet stämmer inte." in response.get_data(as_text=True)
    assert db.session.get(User, world.admin.id).check_password(PASSWORD)


def test_the_password_page_is_for_signed_in_people_only(client, world):
    assert client.get("/password").headers["Location"].startswith("/login")


@pytest.mark.parametrize("password", ["Sommar2026!!", "password1234", "lösenordlösenord", "123456789012",
                                      "qwertyuiop123"])
def test_a_common_password_is_refused(client, world, password):
    login(client, "admin@home.example")
    response = client.submit("/password", {"current_password": PASSWORD, "password": password, "confirm": password})
    assert response.status_code == 200
    assert "Lösenordet är för vanligt" in response.get_data(as_text=True)
    assert db.session.get(User, world.admin.id).check_password(PASSWORD)


def test_the_common_password_rule_applies_to_every_password_and_lets_a_passphrase_through():
    assert is_common_password("Välkommen2026") and is_common_password("aaaaaaaaaaaaaaaa")
    assert is_common_password("hejhejhejhej") and is_common_password("ABABABABABAB")
    assert not is_common_password(PASSWORD) and not is_common_password(NEW_PASSWORD)
    with pytest.raises(ValidationError) as caught:
        check_password_rules("password12345", min_length=12)
    assert caught.value.field == "password"
    check_password_rules(NEW_PASSWORD, min_length=12)


def test_deactivation_ends_the_session_and_reactivation_does_not_bring_it_back(app, client, world):
    login(client, "admin@home.example")
    copy = _cookie(client)
    admin = db.session.get(User, world.admin.id)
    db.session.expire(admin)  # as any object is after a commit: the old value is not at hand
    admin.is_active = False
    db.session.commit()
    assert not _signed_in(_replay(app, copy))
    admin.is_active = True
    db.session.commit()
    assert not _signed_in(_replay(app, copy))
    assert not _signed_in(client)


@pytest.mark.parametrize("idle_minutes,still_signed_in", [(7 * 60, True), (8 * 60 + 1, False)])
def test_a_session_ends_after_eight_idle_hours(client, world, idle_minutes, still_signed_in):
    login(client, "admin@home.example")
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - idle_minutes * 60
    assert _signed_in(client) is still_signed_in


def test_using_the_session_keeps_it_alive(client, world):
    login(client, "admin@home.example")
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 7 * 60 * 60
    assert _signed_in(client)
    with client.session_transaction() as session:
        assert session["last_seen"] >= int(time.time()) - 5


def test_the_idle_time_is_a_setting(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    login(client, "admin@home.example")
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 31 * 60
    assert not _signed_in(client)


def test_signing_in_starts_a_fresh_session_but_keeps_the_language(client, world):
    client.submit("/language", {"locale": "en", "next": "/login"}, page="/login")
    with client.session_transaction() as session:
        session["left_over"] = "från före inloggningen"
    login(client, "admin@home.example")
    with client.session_transaction() as session:
        assert "left_over" not in session and session["locale"] == "en"


# --- Cookie flags -----------------------------------------------------------------------------------------------


def test_the_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = login(client, "admin@home.example")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # tests run over plain http


def test_the_session_cookie_is_secure_in_production(database_url, tmp_path):
    production = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "BASE_URL": "https://skotsel.example",
                             "OUTBOX_FOLDER": str(tmp_path)})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    response = production.test_client().get("/login", base_url="https://skotsel.example")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with production.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("config,secure", [
    ({"BASE_URL": "https://skotsel.example"}, True),
    ({"BASE_URL": "http://127.0.0.1:5000"}, False),
    ({"BASE_URL": "https://skotsel.example", "TESTING": True}, False),
    ({"BASE_URL": "https://skotsel.example", "DEBUG": True}, False),
    ({"BASE_URL": "http://127.0.0.1:5000", "SESSION_COOKIE_SECURE": True}, True),
    ({"BASE_URL": "https://skotsel.example", "SESSION_COOKIE_SECURE": False}, False),
])
def test_when_the_cookie_is_secure(config, secure):
    assert secure_cookies({"SESSION_COOKIE_SECURE": None, **config}) is secure


# --- Throttling -------------------------------------------------------------------------------------------------


def _try(client, email, password="fel-lösenord-igen", address="192.0.2.1"):
    return client.submit("/login", {"email": email, "password": password}, page="/login",
                         environ_base={"REMOTE_ADDR": address})


def test_ten_failures_lock_the_account_for_fifteen_minutes_even_for_the_right_password(client, world, at_now):
    for _ in range(10):
        assert WRONG in _try(client, "admin@home.example").get_data(as_text=True)
    response = _try(client, "admin@home.example", PASSWORD, address="198.51.100.7")
    assert response.status_code == 429 and THROTTLED in response.get_data(as_text=True)
    assert not _signed_in(client)
    at_now(NOW + timedelta(minutes=14))
    assert _try(client, "admin@home.example", PASSWORD, address="198.51.100.7").status_code == 429
    at_now(NOW + timedelta(minutes=15, seconds=1))
    assert _try(client, "admin@home.example", PASSWORD, address="198.51.100.7").status_code == 302
    assert _signed_in(client)


def test_an_unknown_account_is_throttled_with_the_same_answer(client, world, at_now):
    for email in ("admin@home.example", "ingen@home.example"):
        for _ in range(10):
            _try(client, email, address="192.0.2.1" if email.startswith("admin") else "192.0.2.2")
    known = _try(client, "admin@home.example", address="198.51.100.7")
    unknown = _try(client, "ingen@home.example", address="198.51.100.8")
    assert known.status_code == unknown.status_code == 429

    def text(response):
        return response.get_data(as_text=True).replace("admin@home.example", "").replace("ingen@home.example", "")

    def without_token(page):
        import re
        return re.sub(r'value="[^"]*"', "", page)

    assert without_token(text(known)) == without_token(text(unknown))


def test_ten_failures_from_one_address_stop_guessing_at_other_accounts(client, world, at_now):
    for n in range(10):
        _try(client, f"gissning{n}@home.example", address="203.0.113.9")
    assert _try(client, "admin@home.example", PASSWORD, address="203.0.113.9").status_code == 429
    assert _try(client, "admin@home.example", PASSWORD, address="198.51.100.7").status_code == 302


def test_a_successful_sign_in_forgets_the_account_failures(client, world, at_now):
    for _ in range(9):
        _try(client, "admin@home.example", address=f"198.51.100.{_}")
    assert _try(client, "admin@home.example", PASSWORD, address="192.0.2.50").status_code == 302
    assert db.session.query(LoginAttempt).filter_by(email="admin@home.example").count() == 0


def test_throttling_counts_the_address_as_typed_in_any_case(client, world, at_now):
    for _ in range(10):
        _try(client, " Admin@Home.Example ", address="192.0.2.1")
    assert _try(client, "admin@home.example", PASSWORD, address="198.51.100.7").status_code == 429


def test_failed_sign_ins_keep_no_ip_address_and_are_gone_after_a_day(client, world, at_now):
    _try(client, "admin@home.example", address="192.0.2.77")
    [attempt] = db.session.query(LoginAttempt).all()
    assert "192.0.2.77" not in attempt.address and len(attempt.address) == 64
    at_now(NOW + timedelta(days=1, minutes=1))
    _try(client, "ingen@home.example", address="192.0.2.78")
    assert [a.email for a in db.session.query(LoginAttempt).all()] == ["ingen@home.example"]


# --- next= -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target,expected", [
    ("/profile", "/profile"),
    ("javascript:alert(1)", "/"),
    ("http:/evil.example", "/"),
    ("/\t/evil.example", "/"),
    ("https://evil.example/", "/"),
    ("//evil.example", "/"),
    ("/\\evil.example", "/"),
])
def test_next_leads_only_to_a_local_path(client, world, target, expected):
    response = client.submit("/login", {"email": "admin@home.example", "password": PASSWORD}, page="/login",
                             query_string={"next": target})
    assert response.headers["Location"] == expected
