"""Configuration layers (defaults → instance/config.py → SKOTSEL_* → test mapping) and SQLite's settings."""
from sqlalchemy import text

from skotsel import create_app
from skotsel.extensions import db


def test_each_layer_overrides_the_one_before(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("MAIL_PORT = 2525\nINVITATION_DAYS = 3\nMAIL_SENDER = 'instans'\n")
    monkeypatch.setenv("SKOTSEL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SKOTSEL_INVITATION_DAYS", "5")
    monkeypatch.setenv("SKOTSEL_MAIL_SENDER", "miljö")
    app = create_app({"MAIL_SENDER": "test"})
    assert app.config["PASSWORD_MIN_LENGTH"] == 12  # default
    assert app.config["MAIL_PORT"] == 2525  # instance/config.py
    assert app.config["INVITATION_DAYS"] == 5  # environment, parsed as a number
    assert app.config["MAIL_SENDER"] == "test"  # test mapping


def test_sqlite_in_the_instance_folder_by_default_with_wal_foreign_keys_and_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("SKOTSEL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SKOTSEL_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'skotsel.sqlite'}"
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        db.engine.dispose()


def test_the_secret_key_is_created_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SKOTSEL_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    assert len(first) == 64 and (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert create_app().config["SECRET_KEY"] == first


def test_a_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SKOTSEL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SKOTSEL_SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_trusted_hosts_refuse_a_forged_host_header(tmp_path, monkeypatch):
    """Invitation links are built from the request's host; production pins the host names it answers to."""
    monkeypatch.setenv("SKOTSEL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SKOTSEL_TRUSTED_HOSTS", '["skotsel.almhult.example"]')
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite'}"})
    client = app.test_client()
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "skotsel.almhult.example"}).status_code == 200


def test_forwarded_headers_count_only_behind_a_trusted_proxy(tmp_path, monkeypatch):
    """Behind nginx (SKOTSEL_TRUSTED_PROXIES=1) https is what the proxy says, so HSTS is sent; without it a client
    cannot claim https (or another address) by sending the header itself."""
    monkeypatch.setenv("SKOTSEL_INSTANCE_PATH", str(tmp_path))
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    direct = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    assert "Strict-Transport-Security" not in direct.test_client().get("/login", headers=forwarded).headers
    monkeypatch.setenv("SKOTSEL_TRUSTED_PROXIES", "1")
    proxied = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    assert "max-age=" in proxied.test_client().get("/login", headers=forwarded).headers["Strict-Transport-Security"]
