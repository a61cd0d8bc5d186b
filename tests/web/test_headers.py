"""Security headers on every response, no inline script anywhere, and error pages without a traceback."""
import logging
import re
from pathlib import Path

import pytest

from skotsel import ROOT
from tests.conftest import login

PAGES = ["/", "/login", "/password/forgot", "/healthz", "/static/skotsel.css", "/finns-inte", "/profile",
         "/password/reset/" + "x" * 43, "/api/v1/openapi.json", "/api/v1/docs"]


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("signed_in", [False, True])
def test_every_response_has_the_security_headers(client, world, path, signed_in):
    if signed_in:
        login(client, "admin@home.example")
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = _csp(response)
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_redirects_and_refusals_have_them_too(client, world):
    for response in (client.get("/admin/"), client.post("/login", data={}), client.get("/profile")):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_map_tiles_are_the_only_outside_images(app, client):
    policy = _csp(client.get("/login"))
    assert policy["img-src"] == "img-src 'self' data: https://tile.openstreetmap.org"
    assert policy["default-src"] == "default-src 'self'" and policy["object-src"] == "object-src 'none'"


def test_hsts_only_over_https(client, world):
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_reset_and_invitation_links_never_leak_as_referer(client):
    assert client.get("/password/reset/" + "x" * 43).headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/invitation/" + "x" * 43).headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/login").headers["Referrer-Policy"] == "same-origin"


def _page_templates():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "email" not in path.parts:  # e-mail is read in a mail program, not under the site's CSP
            yield path


@pytest.mark.parametrize("path", list(_page_templates()), ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_template_has_inline_script_event_handlers_or_style_attributes(path: Path):
    text = path.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
        assert "src=" in tag, f"inline script in {path}"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text, flags=re.I), f"event handler attribute in {path}"
    assert not re.search(r"<[a-z][^>]*\sstyle\s*=", text, flags=re.I), f"style attribute in {path}"
    assert not re.search(r"<style\b", text, flags=re.I), f"style element in {path}"
    assert "javascript:" not in text.lower()


def test_the_404_page_is_swedish(client):
    response = client.get("/finns-inte")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


def test_a_crash_shows_a_swedish_page_with_an_incident_id_that_the_log_has_with_the_traceback(app, client, world,
                                                                                               monkeypatch, caplog):
    def crash():
        raise RuntimeError("hemlig detalj om databasen")

    monkeypatch.setitem(app.view_functions, "auth.login", crash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    with caplog.at_level(logging.ERROR, logger="skotsel.incident"):
        response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Något gick fel" in page
    found = re.search(r"incident-id ([0-9a-f]{8})", page)
    assert found, page
    assert "Traceback" not in page and "hemlig detalj" not in page and "RuntimeError" not in page
    [record] = [r for r in caplog.records if r.name == "skotsel.incident"]
    assert found.group(1) in record.getMessage()
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_each_crash_gets_its_own_incident_id(app, client, monkeypatch):
    def crash():
        raise RuntimeError("fel")

    monkeypatch.setitem(app.view_functions, "auth.login", crash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    ids = {re.search(r"incident-id ([0-9a-f]{8})", client.get("/login").get_data(as_text=True)).group(1)
           for _ in range(3)}
    assert len(ids) == 3


def test_the_api_docs_page_may_use_its_own_style_element_and_nothing_else_inline(client):
    import base64
    import hashlib

    response = client.get("/api/v1/docs")
    [css] = re.findall(r"<style>(.*?)</style>", response.get_data(as_text=True), flags=re.S)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert _csp(response)["style-src"] == f"style-src 'self' 'sha256-{digest}'"
    assert _csp(client.get("/login"))["style-src"] == "style-src 'self'"
