"""Fixtures for the JSON API: tokens for the world's people, and a client that sends a bearer token (the app is
tests/conftest.py's: the web layer registers the API)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limit(request):
    """Each test starts with nobody's requests counted."""
    if "app" in request.fixturenames:
        from skotsel.api import limiter

        limiter(request.getfixturevalue("app")).reset()
    yield


class Api:
    """Bearer tokens for the world's people, and requests made with them."""

    def __init__(self, client, world):
        from skotsel.services import api_tokens
        from skotsel.services.access import Principal

        self.client = client
        self.world = world
        self.tokens = {}
        for role in ("admin", "reviewer", "coordinator_a", "member_a", "coordinator_b", "other_admin"):
            user = getattr(world, role)
            self.tokens[role] = api_tokens.create_token(principal=Principal.of(user), name=f"test {role}")[1]

    def headers(self, role: str | None, **extra) -> dict:
        headers = dict(extra)
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return headers

    def get(self, url: str, role: str | None = "admin", **kwargs):
        return self.client.get(url, headers=self.headers(role, **kwargs.pop("headers", {})), **kwargs)

    def post(self, url: str, json=None, role: str | None = "admin", **kwargs):
        return self.client.post(url, json=json, headers=self.headers(role, **kwargs.pop("headers", {})), **kwargs)


@pytest.fixture
def api(client, world) -> Api:
    return Api(client, world)
