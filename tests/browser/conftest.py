"""Real-browser fixtures: the session's app served on 127.0.0.1 by a background thread, driven by Debian's Chromium
through Playwright (never a downloaded browser). Every request that is not to that server (map tiles) is aborted,
so nothing leaves the machine and the pages are tested the way they must work anyway: without tiles."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
#: Playwright's own waits (selectors, navigations) give up after this many milliseconds.
TIMEOUT_MS = 10_000


class _QuietHandler(WSGIRequestHandler):
    """No access log: a failing test's captured output shows the test, not every static file."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class LiveServer:
    """The app on a free port in a thread. It counts the requests it is serving, so a test can wait until the
    browser's last request has finished before the database is emptied under it."""

    def __init__(self, app) -> None:
        self.app = app
        self._busy = 0
        self._idle = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def _wsgi(self, environ, start_response):
        with self._idle:
            self._busy += 1
        try:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]  # the whole body is made while the request still counts
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def wait_until_idle(self, timeout: float = 10) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, timeout):
                raise AssertionError(f"the live server still serves {self._busy} request(s) after {timeout} s")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, once per test process; skipped where it is missing unless SKOTSEL_REQUIRE_BROWSER=1."""
    if not os.path.exists(CHROMIUM):
        reason = f"Chromium saknas: apt-get install chromium ({CHROMIUM} finns inte)"
        if os.environ.get("SKOTSEL_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; SKOTSEL_REQUIRE_BROWSER=1 kräver webbläsartesterna", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable]:
    """open_page(javascript=True): a page in a fresh context (1280×900, sv-SE) whose requests go only to the live
    server. Script errors on the page fail the test. At the end the contexts close and the server finishes its
    last request before the database is emptied."""
    contexts = []
    script_errors: list[str] = []

    def keep_local(route):
        if route.request.url.startswith(live_server.url + "/"):
            route.continue_()
        else:
            route.abort()

    def open_(*, javascript: bool = True):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                      locale="sv-SE", java_script_enabled=javascript)
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", keep_local)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        return page

    yield open_
    for context in contexts:
        context.close()
    live_server.wait_until_idle()
    assert not script_errors, f"script errors on the page: {script_errors}"


@pytest.fixture
def page(open_page):
    return open_page()


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form and wait until the app has let us in."""
    page.goto("/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state()
