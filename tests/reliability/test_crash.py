"""Issue 8, point 7: the server is killed with SIGKILL (master and workers at once) at random moments while clients
write — API completions and workspace logs, some with a photo — for 50 rounds. After every restart each write that
was acknowledged is there, and each write the kill cut off is sent again and must succeed without a second
completion; SQLite's integrity check says ok after every kill; at the end no photo row lacks its files and no photo
points at a missing completion. scripts/crash_test.py runs the same for 200 rounds."""
from __future__ import annotations

import pytest

from tests.reliability.harness import LOCKED, crash_rounds, seed

pytestmark = pytest.mark.reliability

ROUNDS = 50


def test_acknowledged_writes_survive_sigkill_at_random_moments(server_factory):
    server = server_factory(workers=2, rate_limit=1_000_000, warm=True)
    seeded = seed(server, occurrences=4000, api_users=4)
    figures = crash_rounds(server, seeded, rounds=ROUNDS, clients=4)
    print(f"\n{server.database_url.split(':')[0]}: {figures.summary()}")

    assert figures.rounds == ROUNDS
    assert figures.acknowledged >= 10  # the rounds did write (about two a round on an idle machine)
    assert figures.sent > figures.acknowledged  # some writes were cut off by a kill
    assert figures.acknowledged_photos > 0
    assert figures.lost == []
    assert figures.server_errors == []
    assert figures.integrity == []
    if server.database_url.startswith("sqlite"):
        assert figures.integrity_checks == ROUNDS  # after every kill
    assert figures.photo_problems == []
    assert server.starts == ROUNDS + 1
    assert LOCKED not in server.log().lower()
