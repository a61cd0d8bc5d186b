"""bench.seed: a tiny seeded world (2 municipalities, scale 0.15, 2 past seasons) that the app agrees with."""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from bench.seed import PASSWORD, TABLES, SeedRefused, main, seed
from skotsel import create_app
from skotsel.extensions import db
from tests.conftest import PG_URL, CSRFClient, _fresh_postgres_database, drop_postgres_database, login

TODAY = date(2026, 11, 27)
MUNICIPALITIES, SCALE, SEASONS = 2, 0.15, 2


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, worker_id):
    if PG_URL:
        url = _fresh_postgres_database(PG_URL, f"bench_{worker_id}")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.sqlite'}"
    counts = seed(url, municipalities=MUNICIPALITIES, today=TODAY, seasons=SEASONS, scale=SCALE, progress=False)
    yield url, counts
    if PG_URL:
        drop_postgres_database(url)


@pytest.fixture(scope="module")
def bench_app(seeded, tmp_path_factory):
    url, _ = seeded
    app = create_app({
        "TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret", "SERVER_NAME": None,
        "TODAY": TODAY.isoformat(),
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("bench_uploads")),
        "OUTBOX_FOLDER": str(tmp_path_factory.mktemp("bench_outbox")),
    })
    app.test_client_class = CSRFClient
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def bench_ctx(bench_app):
    with bench_app.app_context():
        yield
        db.session.remove()


def test_counts_per_table_are_in_the_expected_ranges(seeded, bench_ctx):
    _, counts = seeded
    stored = {table: db.session.scalar(text(f'SELECT count(*) FROM "{table}"')) for table in TABLES}
    assert stored == counts
    associations = MUNICIPALITIES * round(20 * SCALE)
    assert counts["municipality"] == MUNICIPALITIES
    assert counts["task_type"] == MUNICIPALITIES * 24
    assert counts["association"] == counts["agreement"] == associations
    assert 3 * associations <= counts["site"] <= 6 * associations
    assert 4 * counts["site"] <= counts["agreed_task"] <= 7 * counts["site"]
    # Admin and reviewer per municipality, a coordinator and five members per association.
    assert counts["user"] == counts["membership"] == MUNICIPALITIES * 2 + associations * 6
    # About 110 occurrences a site and year; two past seasons, this year and the next.
    years = SEASONS + 2
    assert 70 * years * counts["site"] <= counts["occurrence"] <= 160 * years * counts["site"]
    assert 0.5 * counts["occurrence"] <= counts["completion"] <= 0.8 * counts["occurrence"]
    assert counts["inspection"] >= associations * SEASONS
    assert counts["inspection_result"] >= counts["inspection"]
    sources = dict(db.session.execute(text("SELECT source, count(*) FROM deviation GROUP BY source")).all())
    assert sources.get("missed_occurrence", 0) > 0 and sources.get("inspection", 0) > 0
    assert sources.get("report", 0) > 0
    assert db.session.scalar(text("SELECT count(*) FROM deviation WHERE source = 'report' "
                                  "AND (category IS NULL OR reporter_email IS NOT NULL)")) == 0
    names = set(db.session.scalars(text("SELECT name FROM municipality")))
    assert "Älmhult kommun" in names


def test_the_app_agrees_with_the_plan(bench_ctx):
    from skotsel.models import AgreedTask
    from skotsel.services import schedule

    tasks = db.session.scalars(select(AgreedTask).options(selectinload(AgreedTask.agreement))).all()
    summary = schedule.regenerate(tasks, today=TODAY)
    assert (summary.created, summary.deleted, summary.updated) == (0, 0, 0)
    assert summary.kept > 0
    # The nightly status pass finds every missed occurrence that asks for a deviation already has one.
    assert schedule.status_pass(today=TODAY).deviations == 0


def test_a_past_season_has_a_plausible_mix_of_statuses(bench_ctx):
    from skotsel.domain.schedule import Status
    from skotsel.models import Occurrence
    from skotsel.services import schedule

    occurrences = db.session.scalars(select(Occurrence).where(
        Occurrence.due_on >= date(2025, 1, 1), Occurrence.due_on <= date(2025, 12, 31))).all()
    tally = Counter(state.status for state in schedule.states(occurrences, today=TODAY))
    total = sum(tally.values())
    assert total > 1000
    assert tally[Status.DONE] / total > 0.75
    assert 0.02 < tally[Status.MISSED] / total < 0.15
    assert 0.01 < tally[Status.DONE_LATE] / total < 0.10
    assert 0.005 < tally[Status.EXCUSED] / total < 0.08
    assert tally[Status.DUE] == tally[Status.UPCOMING] == 0


def test_new_rows_get_fresh_ids(seeded, bench_ctx):
    """The sequences (and SQLite's AUTOINCREMENT counter of occurrence ids) continue after the seeded ids."""
    from skotsel.models import AgreedTask, Occurrence

    _, counts = seeded
    task = db.session.scalars(select(AgreedTask).order_by(AgreedTask.id)).first()
    occurrence = Occurrence(municipality_id=task.municipality_id, agreed_task_id=task.id, planned_on=date(2031, 1, 1),
                            due_on=date(2031, 1, 1), window_starts_on=date(2031, 1, 1))
    db.session.add(occurrence)
    db.session.flush()
    assert occurrence.id == counts["occurrence"] + 1
    db.session.rollback()


def test_a_seeded_member_and_reviewer_can_sign_in(bench_app):
    member = bench_app.test_client()
    login(member, "medlem1-1@k0765.bench.example", PASSWORD)
    page = member.get("/workspace/")
    assert page.status_code == 200
    reviewer = bench_app.test_client()
    login(reviewer, "granskare@k0765.bench.example", PASSWORD)
    assert reviewer.get("/review/").status_code == 200


def test_a_second_run_without_reset_refuses(seeded, capsys):
    url, _ = seeded
    with pytest.raises(SeedRefused):
        seed(url, municipalities=1, today=TODAY, seasons=1, scale=0.05, progress=False)
    assert main(["--municipalities", "1", "--database-url", url, "--today", TODAY.isoformat(), "--scale", "0.05",
                 "--no-progress"]) == 1
    assert "--reset" in capsys.readouterr().err
