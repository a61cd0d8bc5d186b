"""Fixtures for the reliability tests: the production server (gunicorn) on 127.0.0.1 against a database of its own
(a temporary SQLite file, or a PostgreSQL database made for the test and dropped after it, when
SKOTSEL_TEST_DATABASE_URL is set, like the rest of the suite), always killed at teardown."""
from __future__ import annotations

import os
import re
import uuid

import pytest

from tests.reliability.harness import Server, drop_database, new_database

PG_URL = os.environ.get("SKOTSEL_TEST_DATABASE_URL")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "reliability: starts the production server (gunicorn) as a subprocess; slower than the rest, "
                   "still part of `make test` (select with -m reliability, leave out with -m 'not reliability')")


@pytest.fixture
def server_factory(tmp_path):
    """Make a Server on a fresh database (harness.seed migrates and fills it); after the test, whatever happened,
    every server made is killed (the whole process group) and its PostgreSQL database dropped."""
    made: list[Server] = []
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    def make(*, workers: int = 4, rate_limit: int | None = None, warm: bool = False) -> Server:
        base = tmp_path / f"server{len(made)}"
        base.mkdir()
        name = f"rel_{re.sub(r'[^a-z0-9]', '_', worker.lower())}_{uuid.uuid4().hex[:10]}"
        server = Server(base, new_database(base, postgres_url=PG_URL, name=name), workers=workers,
                        rate_limit=rate_limit, warm=warm)
        made.append(server)
        return server

    yield make
    for server in made:
        try:
            server.close()
        finally:
            drop_database(server.database_url)
