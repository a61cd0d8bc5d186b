"""`flask backup` / `flask restore`: one archive of database and uploads, a consistent snapshot under write load,
restored into a separate database and upload folder that then match the manifest and serve the app."""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from skotsel import create_app
from skotsel.extensions import db
from skotsel.services import backup as backups
from tests.conftest import PG_URL, CSRFClient, _fresh_postgres_database, drop_postgres_database, login

DEMO_DAY = date(2026, 7, 15)


def _make_app(url: str, uploads) -> object:
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret", "SERVER_NAME": None,
                       "UPLOAD_FOLDER": str(uploads), "TODAY": DEMO_DAY.isoformat(),
                       "OUTBOX_FOLDER": str(uploads.parent / f"{uploads.name}-outbox")})


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def source(tmp_path_factory, worker_id):
    """A database at head with the demo data (and its photos and documents), loaded once for this module."""
    folder = tmp_path_factory.mktemp("backup-source")
    url = _fresh_postgres_database(PG_URL, f"{worker_id}_backup") if PG_URL \
        else f"sqlite:///{folder / 'source.sqlite'}"
    app = _make_app(url, folder / "uploads")
    with app.app_context():
        from flask_migrate import upgrade

        from skotsel.services.demo import load_demo_data

        upgrade()
        load_demo_data(upload_folder=app.config["UPLOAD_FOLDER"], today=DEMO_DAY)
    yield app
    _dispose(app)
    if PG_URL:
        drop_postgres_database(url)


@pytest.fixture
def target(tmp_path, source):
    """An empty, separate database (PostgreSQL: <source name>_restore) and upload folder to restore into."""
    source_url = source.config["SQLALCHEMY_DATABASE_URI"]
    if PG_URL:
        url = make_url(source_url)
        url = _fresh_postgres_database(url.render_as_string(hide_password=False), "restore")
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    app = _make_app(url, tmp_path / "restored-uploads")
    app.test_client_class = CSRFClient
    yield app
    _dispose(app)
    if PG_URL:
        drop_postgres_database(url)


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory):
    """A backup of the demo data, made once (no load) for the tests that damage or reuse it."""
    path = tmp_path_factory.mktemp("archives") / "demo.tar.gz"
    result = backups.backup(path, config=source.config)
    return result.path


def _summary(app) -> dict:
    with app.app_context():
        with db.engine.connect() as conn:
            return backups.table_summary(conn)


def _manifest(path) -> dict:
    with tarfile.open(path, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


class Writer(threading.Thread):
    """Keeps logging ad-hoc completions, two per transaction ("load N a" and "load N b"), through its own
    connection pool until stopped: a consistent snapshot holds both rows of a pair or neither."""

    def __init__(self, url: str, *, municipality_id: int, site_id: int, association_id: int) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url)
        self.row = dict(municipality_id=municipality_id, site_id=site_id, association_id=association_id,
                        completed_on=DEMO_DAY, hours=None, people=None)
        self.commits = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from skotsel.models import Completion

        try:
            while not self.stop.is_set():
                with self.engine.begin() as conn:
                    n = self.commits
                    conn.execute(insert(Completion.__table__), [dict(self.row, notes=f"load {n} a"),
                                                                dict(self.row, notes=f"load {n} b")])
                self.commits += 1
                time.sleep(0.002)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error
        finally:
            self.engine.dispose()


def _pairs(app) -> tuple[int, int]:
    from skotsel.models import Completion

    with app.app_context():
        a = db.session.scalar(select(func.count(Completion.id)).where(Completion.notes.like("load % a")))
        b = db.session.scalar(select(func.count(Completion.id)).where(Completion.notes.like("load % b")))
        db.session.remove()
    return a, b


def test_backup_under_write_load_restores_a_consistent_snapshot(source, target, tmp_path):
    from skotsel.models import Photo, Site

    with source.app_context():
        site = db.session.scalars(select(Site).where(Site.association_id.is_not(None)).order_by(Site.id)).first()
        writer = Writer(source.config["SQLALCHEMY_DATABASE_URI"], municipality_id=site.municipality_id,
                        site_id=site.id, association_id=site.association_id)
        db.session.remove()
    writer.start()
    try:
        while writer.commits < 5 and writer.error is None and writer.is_alive():
            time.sleep(0.01)
        before = writer.commits
        result = source.test_cli_runner().invoke(args=["backup", str(tmp_path)])
        during = writer.commits - before
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert during > 0, "the writer committed nothing while the backup ran"
    archives = list(tmp_path.glob("skotsel-backup-*.tar.gz"))
    assert len(archives) == 1 and "Saved" in result.output and str(archives[0]) in result.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left behind"
    manifest = _manifest(archives[0])

    restored = target.test_cli_runner().invoke(args=["restore", str(archives[0])])
    assert restored.exit_code == 0, restored.output
    assert "all match the manifest" in restored.output

    # The restored database is exactly the snapshot the manifest describes ...
    assert _summary(target) == manifest["tables"]
    assert manifest["tables"]["photo"]["rows"] >= 7 and manifest["tables"]["completion"]["rows"] > 2000
    # ... which was taken at one moment: every pair whole, some written before it, the last ones after it.
    a, b = _pairs(target)
    assert a == b and before <= a <= writer.commits
    assert _pairs(source)[0] == writer.commits > a

    # Every photo row has its file, byte for byte as backed up.
    uploads = tmp_path / "restored-uploads"
    with target.app_context():
        from skotsel.services.photos import path_of, thumbnail_path_of

        photos = db.session.scalars(select(Photo)).all()
        assert len(photos) == manifest["tables"]["photo"]["rows"]
        for photo in photos:
            for path in (path_of(photo, upload_folder=str(uploads)),
                         thumbnail_path_of(photo, upload_folder=str(uploads))):
                name = "uploads/" + path.relative_to(uploads).as_posix()
                assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest["files"][name]
        db.session.remove()
    source_files = sorted(p.relative_to(source.config["UPLOAD_FOLDER"]).as_posix()
                          for p in Path(source.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file())
    assert sorted(p.relative_to(uploads).as_posix() for p in uploads.rglob("*") if p.is_file()) == source_files

    # And the app works on it: the demo admin signs in and opens the admin pages.
    from skotsel.services.demo import DEMO_PASSWORD

    client = target.test_client()
    login(client, "admin@almhult.example", DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_a_damaged_archive_is_refused_and_nothing_changes(archive, target, tmp_path):
    data = archive.read_bytes()
    # A flipped byte fails in different places depending on where it lands (a bad block header raises zlib's
    # error, bad data the CRC check, ...): flip several, each its own archive.
    flips = []
    for share in (1, 2, 3, 5, 8, 13):
        damaged = bytearray(data)
        damaged[len(data) * share // 14] ^= 0xFF
        flips.append(tmp_path / f"flipped-{share}.tar.gz")
        flips[-1].write_bytes(bytes(damaged))
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: len(data) - 100])

    # A consistent-looking archive whose photo was swapped after the manifest was written.
    swapped = tmp_path / "swapped.tar.gz"
    with tarfile.open(archive, "r:gz") as old, tarfile.open(swapped, "w:gz") as new:
        for info in old:
            content = old.extractfile(info).read()
            if info.name.startswith("uploads/photos/") and not info.name.endswith(".thumb.jpg"):
                content = content[:-10] + b"\0" * 10
            new.addfile(info, io.BytesIO(content))
    # And one whose manifest was edited (more rows) without its digest.
    edited = tmp_path / "edited.tar.gz"
    with tarfile.open(archive, "r:gz") as old, tarfile.open(edited, "w:gz") as new:
        for info in old:
            content = old.extractfile(info).read()
            if info.name == "manifest.json":
                manifest = json.loads(content)
                manifest["tables"]["photo"]["rows"] += 1
                content = json.dumps(manifest).encode()
                info.size = len(content)
            new.addfile(info, io.BytesIO(content))

    uploads = tmp_path / "restored-uploads"
    for bad, reason in (*((flip, "damaged") for flip in flips), (truncated, "damaged"), (swapped, "does not match its checksum"),
                        (edited, "manifest does not match")):
        result = target.test_cli_runner().invoke(args=["restore", str(bad)])
        assert result.exit_code == 1, (bad.name, result.output)
        assert "restore failed" in result.output and reason in result.output, (bad.name, result.output)
        with target.app_context():
            from sqlalchemy import inspect

            assert inspect(db.engine).get_table_names() == [], bad.name
            db.engine.dispose()
        assert not uploads.exists() or not any(uploads.rglob("*")), bad.name
        assert not [p for p in uploads.parent.iterdir() if p.name.startswith(".skotsel-")], "staging left behind"


def test_restore_refuses_a_database_with_data_unless_forced(archive, target, tmp_path):
    first = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert first.exit_code == 0, first.output
    stray = tmp_path / "restored-uploads" / "stray.txt"
    stray.write_text("not in the backup")
    with target.app_context():
        from skotsel.models import Village

        db.session.execute(insert(Village.__table__).values(municipality_id=1, name="Extra", lat=56.5, lon=14.1))
        db.session.commit()
        db.session.remove()

    again = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert again.exit_code == 1 and "already hold data" in again.output and "--force" in again.output
    assert stray.exists()
    assert _summary(target) != _manifest(archive)["tables"]

    forced = target.test_cli_runner().invoke(args=["restore", str(archive), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Removed 1 files" in forced.output and not stray.exists()
    assert _summary(target) == _manifest(archive)["tables"]


def test_backup_never_overwrites_and_never_leaves_a_partial_archive(source, archive, tmp_path, monkeypatch):
    before = archive.read_bytes()
    result = source.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 1 and "exists already" in result.output
    assert archive.read_bytes() == before

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(backups, "_add_bytes", broken)
    path = tmp_path / "new.tar.gz"
    with pytest.raises(OSError):
        backups.backup(path, config=source.config)
    assert list(tmp_path.iterdir()) == []


def test_the_manifest_lists_revision_counts_and_file_hashes(source, archive):
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds password hashes: owner only"
    manifest = _manifest(archive)
    with source.app_context():
        with db.engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert manifest["alembic_revision"] == revision
    assert manifest["engine"] == ("postgresql" if PG_URL else "sqlite")
    assert manifest["database"] in manifest["files"]
    assert {"municipality", "completion", "photo", "alembic_version"} <= set(manifest["tables"])
    photos = [n for n in manifest["files"] if n.startswith("uploads/photos/")]
    documents = [n for n in manifest["files"] if n.startswith("uploads/agreements/")]
    assert len(photos) == 2 * manifest["tables"]["photo"]["rows"] and documents


def test_checksums_normalise_values_alike_on_both_engines():
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal

    stockholm = timezone(timedelta(hours=2))
    assert backups._normalise(datetime(2026, 7, 15, 12, 0, tzinfo=stockholm)) == \
        backups._normalise(datetime(2026, 7, 15, 10, 0)) == "2026-07-15 10:00:00"
    assert backups._normalise(Decimal("1.50")) == backups._normalise(Decimal("1.5")) == "1.5"
    assert backups._normalise(Decimal("100")) == "100"
    assert backups._normalise({"b": 1, "a": [2]}) == backups._normalise({"a": [2], "b": 1})
    assert backups._normalise(True) is True and backups._normalise(None) is None


def test_postgres_passwords_go_through_the_environment_never_the_command_line(source, tmp_path, monkeypatch):
    url = make_url("postgresql+psycopg://skotsel:s%40cret-pw@db.example:5433/skotsel?sslmode=require")
    env = backups._pg_env(url)
    assert (env["PGPASSWORD"], env["PGUSER"], env["PGHOST"], env["PGPORT"], env["PGDATABASE"], env["PGSSLMODE"]) \
        == ("s@cret-pw", "skotsel", "db.example", "5433", "skotsel", "require")
    if not PG_URL:
        return
    seen = []
    real_run = backups.subprocess.run

    def spy(command, **kwargs):
        seen.append((command, kwargs["env"]))
        return real_run(command, **kwargs)

    monkeypatch.setattr(backups.subprocess, "run", spy)
    backups.backup(tmp_path / "pg.tar.gz", config=source.config)
    password = make_url(source.config["SQLALCHEMY_DATABASE_URI"]).password
    for command, env in seen:  # (the password of the test role is also a word of paths and names: look for URLs)
        assert env["PGPASSWORD"] == password
        assert not [arg for arg in command if "@" in arg or "password=" in arg.lower() or "://" in arg], command
    assert seen
