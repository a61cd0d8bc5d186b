#!/usr/bin/env python3
"""Crash safety (issue 8, point 7), at length: start the production server (gunicorn, 127.0.0.1 only) on a database
of its own, let clients write (API completions and workspace logs, some with a photo), SIGKILL the whole server at a
random moment, restart, and check that every acknowledged write is there; SQLite's integrity check after every
kill; at the end, no photo row without its files.

    .venv/bin/python scripts/crash_test.py --rounds 200
    .venv/bin/python scripts/crash_test.py --rounds 200 \
        --database-url postgresql+psycopg://skotsel:skotsel@127.0.0.1/skotsel_test

With a PostgreSQL URL, a database "<name>_crash_script" is made next to it and dropped afterwards. --cold executes
`gunicorn` afresh every round instead of forking it from a process that has imported the app (slower, same server).
Exits 1 if anything acknowledged was lost, a request failed, or a check did not pass.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.harness import Server, crash_rounds, drop_database, new_database, seed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4, help="client threads writing at once (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--database-url", default=os.environ.get("SKOTSEL_TEST_DATABASE_URL"),
                        help="a PostgreSQL URL to make the test database next to; default: a temporary SQLite file")
    parser.add_argument("--cold", action="store_true", help="execute gunicorn afresh every round")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random kill moments")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, log, photos)")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="skotsel-crash-"))
    database_url = new_database(base, postgres_url=args.database_url, name="crash_script")
    server = Server(base, database_url, workers=args.workers, rate_limit=1_000_000, warm=not args.cold)
    engine = database_url.split(":")[0]
    try:
        began = time.monotonic()
        seeded = seed(server, occurrences=args.rounds * 40 + 1000, api_users=args.clients)
        print(f"{engine}: seeded {len(seeded.occurrence_ids)} occurrences in {time.monotonic() - began:.1f} s; "
              f"{args.rounds} rounds, {args.clients} clients, {args.workers} workers"
              f"{' (cold starts)' if args.cold else ''}", flush=True)

        def progress(done: int, figures) -> None:
            if done % 10 == 0 or done == args.rounds:
                print(f"  round {done}: {figures.summary()}", flush=True)

        figures = crash_rounds(server, seeded, rounds=args.rounds, clients=args.clients, seed_=args.seed,
                               progress=progress)
    finally:
        server.close()
        if not args.keep:
            drop_database(database_url)
    print(f"{engine}: {figures.summary()}")
    print(f"  server starts: {server.starts}; writes cut off by a kill: {figures.sent - figures.acknowledged}")
    for title, found in (("lost", figures.lost), ("failed requests", figures.server_errors),
                         ("integrity", figures.integrity), ("photos", figures.photo_problems)):
        for line in found[:20]:
            print(f"  {title}: {line}")
    if args.keep:
        print(f"  kept {base}")
    ok = not (figures.lost or figures.server_errors or figures.integrity or figures.photo_problems)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
