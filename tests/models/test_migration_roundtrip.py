"""Migrations on real data: with the demo data loaded, going down and up again loses no rows.

A downgrade drops what its revision added, and that data is gone by design; every table that exists on both sides
of a step must keep every row, and after down-and-up the schema must again be exactly what the models describe.
"""
from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from skotsel import create_app
from skotsel.extensions import db
from tests.conftest import PG_URL, _fresh_postgres_database, drop_postgres_database

DEMO_DAY = date(2026, 7, 15)


@pytest.fixture
def demo_app(tmp_path, worker_id):
    url = _fresh_postgres_database(PG_URL, f"{worker_id}_roundtrip") if PG_URL \
        else f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "TODAY": DEMO_DAY.isoformat(),
                      "UPLOAD_FOLDER": str(tmp_path / "uploads"), "OUTBOX_FOLDER": str(tmp_path / "outbox")})
    with app.app_context():
        from skotsel.services.demo import load_demo_data

        upgrade()
        load_demo_data(upload_folder=app.config["UPLOAD_FOLDER"], today=DEMO_DAY)
        db.session.remove()
        yield app
        db.session.remove()
        db.engine.dispose()
    if PG_URL:
        drop_postgres_database(url)


def _counts() -> dict[str, tuple[int, tuple[str, ...], str]]:
    """Per table (but alembic_version): row count, column names, and the backup checksum over its rows."""
    from skotsel.services.backup import table_summary

    db.session.remove()
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        summary = table_summary(conn)
        return {name: (summary[name]["rows"], tuple(sorted(c["name"] for c in inspector.get_columns(name))),
                       summary[name]["sha256"])
                for name in inspector.get_table_names() if name != "alembic_version"}


def _revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _chain() -> list:
    """The revisions from head down to the first, one line (the history has no branches)."""
    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, "the migration history has more than one head"
    return list(script.walk_revisions())


def _assert_kept(before: dict, after: dict, step: str, *, values: bool = True) -> None:
    """Every table on both sides keeps its row count, and a table whose columns the step did not touch keeps
    every value (SQLite's table rebuilds must not cascade or SET NULL through foreign keys)."""
    both = before.keys() & after.keys()
    lost = {name: (before[name][0], after[name][0]) for name in both if after[name][0] != before[name][0]}
    assert not lost, f"{step} changed row counts (before, after): {lost}"
    changed = sorted(name for name in both if values and before[name][1] == after[name][1]
                     and before[name][2] != after[name][2])
    assert not changed, f"{step} changed values in tables whose columns it did not touch: {changed}"


def _assert_schema_matches_models() -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == [], f"after the round trip the schema differs from the models: {diff}"


def test_every_step_down_and_up_again_keeps_every_row(demo_app):
    """From head: down one revision, up one, down one again, and on to the first revision; then all the way up.
    Each table that exists before and after a step keeps its row count."""
    at_head = _counts()
    assert at_head["occurrence"][0] > 1000 and at_head["completion"][0] > 1000 and at_head["photo"][0] > 0
    chain = _chain()
    assert _revision() == chain[0].revision

    for revision in chain[:-1]:  # the first revision holds the core tables: below it there is nothing
        above = _counts()
        downgrade(revision=revision.down_revision)
        assert _revision() == revision.down_revision
        below = _counts()
        _assert_kept(above, below, f"downgrade {revision.revision} → {revision.down_revision}")
        assert set(below) < set(above) or set(below) == set(above)

        upgrade(revision=revision.revision)
        assert _revision() == revision.revision
        again = _counts()
        _assert_kept(below, again, f"upgrade {revision.down_revision} → {revision.revision}")
        assert set(again) == set(above)

        downgrade(revision=revision.down_revision)
        _assert_kept(below, _counts(), f"second downgrade {revision.revision} → {revision.down_revision}")

    first = _counts()
    assert _revision() == chain[-1].revision
    assert {"municipality", "user", "site", "agreement", "agreed_task", "audit_event"} <= set(first)
    _assert_kept(at_head, first, "downgrade from head to the first revision")

    upgrade()
    assert _revision() == chain[0].revision
    back = _counts()
    # Columns added after the first revision come back with their defaults: compare counts only here.
    _assert_kept({name: at_head[name] for name in first}, back, "down to the first revision and up to head",
                 values=False)
    assert set(back) == set(at_head)
    _assert_schema_matches_models()


def test_upgrade_downgrade_upgrade_of_the_latest_revisions_loses_no_rows(demo_app):
    """The path a deployment rolled back and forth takes: head → three revisions down → head, in one go each."""
    at_head = _counts()
    chain = _chain()
    target = chain[min(3, len(chain) - 1)].revision
    downgrade(revision=target)
    assert _revision() == target
    below = _counts()
    _assert_kept(at_head, below, f"downgrade head → {target}")
    upgrade()
    again = _counts()
    _assert_kept(below, again, f"upgrade {target} → head")
    assert set(again) == set(at_head)
    _assert_schema_matches_models()
