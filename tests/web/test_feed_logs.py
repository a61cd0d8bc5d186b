"""The calendar token is a secret in a URL: it must not reach any log. The app is served by the real development
server (what `make run` uses) on 127.0.0.1, and the log files are read afterwards."""
from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from datetime import date

import pytest
from werkzeug.serving import make_server

from skotsel.extensions import db
from skotsel.services import feeds
from skotsel.services.access import Principal
from skotsel.web.logs import RedactFeedTokens, redact


@pytest.fixture
def served(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2026, 6, 20))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def log_file(app, tmp_path):
    """Every line the access log and the app's error log write, in a file."""
    path = tmp_path / "server.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    loggers = [logging.getLogger("werkzeug"), app.logger]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield path
    for logger, level in zip(loggers, levels):
        logger.removeHandler(handler)
        logger.setLevel(level)
    handler.close()


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_token_never_reaches_the_access_log_or_the_error_log(app, world, served, log_file, monkeypatch):
    db.session.refresh(world.member_a)
    _row, token = feeds.create_token(principal=Principal.of(world.member_a), kind="personal")
    assert fetch(f"{served}/feeds/{token}.ics") == 200
    assert fetch(f"{served}/feeds/{token[:-1]}x.ics") == 404  # an unknown token is logged the same way

    # A failure while building the feed: Flask logs "Exception on <path>" with the traceback.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def broken(*args, **kwargs):
        raise RuntimeError("trasig")

    monkeypatch.setattr(feeds, "glance", broken)  # the first step of every poll
    assert fetch(f"{served}/feeds/{token}.ics") == 500

    logged = log_file.read_text(encoding="utf-8")
    assert logged.count("GET /feeds/[hemlig] HTTP/1.1") == 3
    assert "Exception on /feeds/[hemlig] [GET]" in logged and "RuntimeError: trasig" in logged
    assert token not in logged and token[:20] not in logged


@pytest.mark.parametrize("path", ["/feeds/{token}", "/feeds/{token}.ICS", "/feeds//{token}.ics",
                                  "/feeds/./{token}.ics", "/FEEDS/{token}.ics", "/feeds/{token}.ics/"])
def test_a_mistyped_feed_path_is_a_404_without_redirect_and_is_not_logged(world, served, log_file, path):
    db.session.refresh(world.member_a)
    _row, token = feeds.create_token(principal=Principal.of(world.member_a), kind="personal")
    url = served + path.format(token=token)
    request = urllib.request.Request(url, method="GET")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as error:
        status, headers = error.code, error.headers
    assert status == 404, url
    assert "Location" not in headers
    if path.startswith("/feeds/"):
        assert headers["Referrer-Policy"] == "no-referrer"
    assert token not in log_file.read_text(encoding="utf-8")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_filter_redacts_formatted_records_and_leaves_others_alone():
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s',
                               ({"h": "127.0.0.1", "r": "GET /feeds/AbC-123_xyz.ics?x=1 HTTP/1.1", "s": "200"},),
                               None)
    assert RedactFeedTokens().filter(record)
    assert record.getMessage() == '127.0.0.1 "GET /feeds/[hemlig]?x=1 HTTP/1.1" 200'
    other = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "GET %s", ("/workspace/",), None)
    assert RedactFeedTokens().filter(other) and other.getMessage() == "GET /workspace/"
    assert redact("/feeds/abc.ics och /Feeds//def") == "/feeds/[hemlig] och /Feeds/[hemlig]"
    assert redact("GET /password/reset/AbC_1 och /invitation/xyz?a=1") == (
        "GET /password/reset/[hemlig] och /invitation/[hemlig]?a=1")
