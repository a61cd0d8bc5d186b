"""API tokens on the profile page: made (shown once), listed, revoked — each person only their own."""
from __future__ import annotations

import re

from sqlalchemy import select

from skotsel.extensions import db
from skotsel.models.api import ApiToken
from skotsel.services import api_tokens
from tests.conftest import login


def make_token(client, name="GIS-kopplingen") -> str:
    response = client.submit("/profile/api-tokens", {"name": name})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    [token] = re.findall(r'id="api-token"[^>]*value="([A-Za-z0-9_-]{43})"', page)
    return token


def test_a_token_is_shown_once_and_works_until_revoked(client, world):
    login(client, "samordnare@a.example")
    assert "/profile/api-tokens" in client.get("/profile").get_data(as_text=True)
    response = client.submit("/profile/api-tokens", {"name": "GIS-kopplingen"})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    token = make_token(client, "Ekonomisystemet")
    found = api_tokens.find(token)
    assert found is not None and found[1].email == "samordnare@a.example"

    listing = client.get("/profile/api-tokens").get_data(as_text=True)
    assert "GIS-kopplingen" in listing and "Ekonomisystemet" in listing and token not in listing
    assert token not in {row.token_hash for row in db.session.scalars(select(ApiToken))}

    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Ekonomisystemet"))
    response = client.submit(f"/profile/api-tokens/{row.id}/revoke", {}, page="/profile/api-tokens")
    assert response.status_code == 302
    assert api_tokens.find(token) is None
    listing = client.get("/profile/api-tokens").get_data(as_text=True)
    assert "API-nyckeln ”Ekonomisystemet” är återkallad." in listing
    assert "<td>Ekonomisystemet</td>" not in listing and "<td>GIS-kopplingen</td>" in listing


def test_a_name_too_long_is_refused_with_the_reason_and_nothing_is_made(client, world):
    login(client, "medlem@a.example")
    response = client.submit("/profile/api-tokens", {"name": "x" * 101})
    assert response.status_code == 200
    assert "Namnet får vara högst 100 tecken." in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_nobody_revokes_another_persons_token(client, world):
    login(client, "samordnare@a.example")
    token = make_token(client)
    row = db.session.scalar(select(ApiToken))
    client.submit("/logout", page="/profile")
    login(client, "admin@home.example")
    assert "GIS-kopplingen" not in client.get("/profile/api-tokens").get_data(as_text=True)
    response = client.submit(f"/profile/api-tokens/{row.id}/revoke", {}, page="/profile/api-tokens")
    assert response.status_code == 404
    assert api_tokens.find(token) is not None


def test_without_a_csrf_token_nothing_is_made(client, world):
    login(client, "samordnare@a.example")
    response = client.post("/profile/api-tokens", data={"name": "Utan token"})
    assert response.status_code == 400
    assert db.session.scalar(select(ApiToken)) is None


def test_anonymous_are_sent_to_login(client, world):
    response = client.get("/profile/api-tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
