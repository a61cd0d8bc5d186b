"""Issue 8, point 6: 20 clients log 1,000 completions at once through gunicorn with 4 workers, on SQLite and (with
SKOTSEL_TEST_DATABASE_URL) on PostgreSQL: exactly 1,000 rows, no duplicates, none lost, no 5xx, no "database is
locked"."""
from __future__ import annotations

import pytest

from tests.reliability.harness import LOCKED, completion_counts, concurrent_completions, seed

pytestmark = pytest.mark.reliability

COMPLETIONS = 1000
CLIENTS = 20
#: Sent a second time (same Idempotency-Key and body) by another client while the first may still be running.
REPEATS = 200


def test_twenty_clients_log_a_thousand_completions_at_once(server_factory):
    server = server_factory(workers=4)
    seeded = seed(server, occurrences=COMPLETIONS, api_users=CLIENTS)
    server.start()
    try:
        result = concurrent_completions(server.port, seeded, completions=COMPLETIONS, clients=CLIENTS,
                                        repeats=REPEATS)
    finally:
        server.kill()
    log = server.log()
    rows, distinct, duplicated = completion_counts(server.database_url)
    rate = result.requests / result.seconds
    print(f"\n{server.database_url.split(':')[0]}: {result.requests} requests ({COMPLETIONS} completions, "
          f"{REPEATS} repeats) from {CLIENTS} clients in {result.seconds:.2f} s = {rate:.0f} requests/s; "
          f"statuses {result.statuses}")

    assert result.errors == [], result.errors[:3]
    assert not any(status >= 500 for status in result.statuses), result.statuses
    assert sum(result.statuses.values()) == COMPLETIONS + REPEATS
    assert len(result.created) == COMPLETIONS  # every occurrence acknowledged
    assert len(set(result.created.values())) == COMPLETIONS  # each with a completion of its own
    assert (rows, distinct, duplicated) == (COMPLETIONS, COMPLETIONS, 0)
    assert LOCKED not in log.lower()
    assert "Traceback" not in log
