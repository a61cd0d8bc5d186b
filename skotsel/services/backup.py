"""Backup and restore of a whole installation: the database and the uploaded files, in one archive.

An archive is a gzip-compressed tar file holding

- ``database.sqlite`` (a copy made with SQLite's online backup API) or ``database.dump`` (``pg_dump -Fc``),
- ``uploads/...``, every file under UPLOAD_FOLDER (hidden and half-written ``.upload-*.part`` files left out),
- ``manifest.json``: the engine, the Alembic revision, per table the row count and a checksum, and the sha256 of
  every other member,
- ``manifest.sha256``: the sha256 of manifest.json.

The counts and checksums describe exactly the snapshot in the archive, even while the app keeps writing: on
SQLite they are computed from the copy itself; on PostgreSQL in a REPEATABLE READ transaction whose snapshot
pg_dump is given (``--snapshot``). A table's checksum is the sha256 over its rows ordered by primary key, each row
a JSON list of its values by column name, normalised (UTC timestamps, decimals without trailing zeros, JSON with
sorted keys) so that the same data gives the same checksum on SQLite and PostgreSQL.

The archive is written to a temporary file next to PATH, fsynced and renamed: there is never a half-written
archive under PATH. restore() checks the whole archive (gzip CRC, manifest digest, every member's sha256, and on
SQLite the database copy's counts and checksums) before it changes anything, refuses a database or upload folder
that holds data unless ``force=True``, and afterwards checks the restored database and files against the manifest.
Passwords reach pg_dump and pg_restore through PGPASSWORD, never on the command line.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from sqlalchemy import Integer, MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import Connection, URL, make_url

FORMAT = "skotsel-backup"
VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
SQLITE_MEMBER = "database.sqlite"
POSTGRES_MEMBER = "database.dump"
UPLOADS = "uploads"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Backup or restore failed; the message says why (in English, for the command line)."""


@dataclass
class BackupResult:
    path: Path
    engine: str
    revision: str | None
    tables: dict[str, dict]
    files: int
    upload_bytes: int
    archive_bytes: int
    seconds: float


@dataclass
class RestoreResult:
    engine: str
    revision: str | None
    tables: dict[str, dict]
    files: int
    removed_files: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# --- checksums -----------------------------------------------------------------------------------------------------


def _normalise(value: Any) -> Any:
    """One value as JSON that reads the same from SQLite and PostgreSQL."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(value)).decode()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def table_summary(connection: Connection) -> dict[str, dict]:
    """Row count and checksum of every table in the database, by table name."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    summary = {}
    for name in sorted(metadata.tables):
        table = metadata.tables[name]
        columns = sorted(table.columns, key=lambda c: c.name)
        digest = hashlib.sha256(json.dumps([c.name for c in columns]).encode())
        pk = list(table.primary_key.columns)
        integer_pk = bool(pk) and all(isinstance(c.type, Integer) for c in pk)
        query = select(*columns)
        if integer_pk:
            query = query.order_by(*pk)
        rows: Iterable = connection.execute(query)
        lines = (json.dumps([_normalise(v) for v in row], ensure_ascii=False) for row in rows)
        if not integer_pk:  # text keys sort differently by collation: order in Python instead
            lines = sorted(lines)
        count = 0
        for line in lines:
            digest.update(line.encode() + b"\n")
            count += 1
        summary[name] = {"rows": count, "sha256": digest.hexdigest()}
    return summary


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _has_rows(connection: Connection) -> bool:
    for name in inspect(connection).get_table_names():
        if name == "alembic_version":
            continue
        if connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
            return True
    return False


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- configuration ------------------------------------------------------------------------------------------------


def _url(config: Mapping) -> URL:
    url = config.get("SQLALCHEMY_DATABASE_URI") or config.get("DATABASE_URL")
    if not url:
        raise BackupError("No database is configured (DATABASE_URL).")
    return make_url(url)


def _engine_name(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported (SQLite and PostgreSQL are).")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"Cannot back up or restore the SQLite database {url.database!r}: give a file path.")
    return Path(url.database)


def _upload_folder(config: Mapping) -> Path:
    folder = config.get("UPLOAD_FOLDER")
    if not folder:
        raise BackupError("No UPLOAD_FOLDER is configured.")
    return Path(folder)


def _upload_files(folder: Path) -> list[tuple[str, Path]]:
    """(relative POSIX name, path) of every regular file kept under the upload folder, sorted."""
    found = []
    if not folder.is_dir():
        return found
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):  # .upload-*.part: a file still being written
                continue
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(folder).as_posix(), path))
    return found


def _pg_tool(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else the newest /usr/lib/postgresql/<version>/bin (Debian's layout)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = []
    for path in Path("/usr/lib/postgresql").glob(f"*/bin/{name}"):
        try:
            candidates.append((float(path.parent.parent.name), path))
        except ValueError:
            continue
    if not candidates:
        raise BackupError(f"{name} was not found (install the PostgreSQL client tools).")
    return str(max(candidates)[1])


def _pg_env(url: URL) -> dict[str, str]:
    """Connection settings for the PostgreSQL tools as environment variables: nothing secret on a command line."""
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
        elif key == "PGPASSWORD":
            env.pop(key, None)
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                             ("sslkey", "PGSSLKEY")):
        if isinstance(url.query.get(option), str):
            env[variable] = url.query[option]
    return env


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


# --- backup -------------------------------------------------------------------------------------------------------


def backup(path: str | os.PathLike, *, config: Mapping) -> BackupResult:
    """Write one archive of the database and the uploaded files to `path` (a new file, or a folder to put
    skotsel-backup-<UTC time>.tar.gz in)."""
    started = time.monotonic()
    url = _url(config)
    engine_name = _engine_name(url)
    uploads = _upload_folder(config)
    target = Path(path)
    if target.is_dir():
        target = target / f"skotsel-backup-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.tar.gz"
    if target.exists():
        raise BackupError(f"{target} exists already; give a new file name or a folder.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")

    with tempfile.TemporaryDirectory(prefix=".skotsel-backup-", dir=target.parent) as work:
        work = Path(work)
        if engine_name == "sqlite":
            member, database_file = SQLITE_MEMBER, work / SQLITE_MEMBER
            revision, tables = _sqlite_snapshot(_sqlite_path(url), database_file)
        else:
            member, database_file = POSTGRES_MEMBER, work / POSTGRES_MEMBER
            revision, tables = _postgres_snapshot(url, database_file)

        # The files after the database: every file a row of the snapshot names exists by now (they are written
        # before their row commits, and deleted only after).
        partial = work / "archive.partial"
        files: dict[str, str] = {}
        upload_bytes = 0
        # Only the owner may read it: it holds password hashes and personal data.
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
                files[member], _ = _add_file(archive, member, database_file)
                for name, file_path in _upload_files(uploads):
                    try:
                        files[f"{UPLOADS}/{name}"], size = _add_file(archive, f"{UPLOADS}/{name}", file_path)
                    except FileNotFoundError:  # removed since the listing: its row is gone too
                        continue
                    upload_bytes += size
                manifest = {
                    "format": FORMAT, "version": VERSION,
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "engine": engine_name, "database": member, "alembic_revision": revision,
                    "tables": tables, "files": files,
                }
                manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode()
                _add_bytes(archive, MANIFEST, manifest_bytes)
                _add_bytes(archive, MANIFEST_DIGEST, (hashlib.sha256(manifest_bytes).hexdigest() + "\n").encode())
            raw.flush()
            os.fsync(raw.fileno())
        if target.exists():
            raise BackupError(f"{target} appeared while the backup was made; nothing was overwritten.")
        os.replace(partial, target)
        _fsync_folder(target.parent)
    return BackupResult(path=target, engine=engine_name, revision=revision, tables=tables,
                        files=len(files) - 1, upload_bytes=upload_bytes, archive_bytes=target.stat().st_size,
                        seconds=time.monotonic() - started)


def _sqlite_snapshot(source: Path, copy: Path) -> tuple[str | None, dict]:
    """Copy the live database with the online backup API (one step: one consistent read transaction), then
    summarise the copy itself."""
    if not source.is_file():
        raise BackupError(f"The SQLite database {source} does not exist.")
    live = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True, timeout=30)
    try:
        live.execute("PRAGMA busy_timeout=30000")
        destination = sqlite3.connect(copy)
        try:
            live.backup(destination, pages=-1)
            destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            destination.close()
    finally:
        live.close()
    return _summarise_sqlite_file(copy)


def _summarise_sqlite_file(path: Path) -> tuple[str | None, dict]:
    """Revision and table summary of a database copy (left a single file in rollback-journal mode)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return _revision(conn), table_summary(conn)
    finally:
        engine.dispose()
        connection = sqlite3.connect(path)  # every app connection turns on WAL; fold it back into the file
        try:
            connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            connection.close()


def _postgres_snapshot(url: URL, dump: Path) -> tuple[str | None, dict]:
    """pg_dump from a snapshot exported by a REPEATABLE READ transaction that also computes the summary."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
                revision, tables = _revision(conn), table_summary(conn)
                # The transaction stays open (and the snapshot valid) until pg_dump has started from it.
                _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                      f"--snapshot={snapshot}", f"--file={dump}"], env=_pg_env(url), what="pg_dump")
    finally:
        engine.dispose()
    return revision, tables


def _add_file(archive: tarfile.TarFile, name: str, path: Path) -> tuple[str, int]:
    """Add a file to the archive; return its sha256 (of exactly the bytes written) and size."""
    with open(path, "rb") as fh:
        info = tarfile.TarInfo(name)
        stat = os.fstat(fh.fileno())
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        hashing = _HashingReader(fh)
        archive.addfile(info, hashing)
        return hashing.digest.hexdigest(), info.size


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    archive.addfile(info, io.BytesIO(data))


class _HashingReader:
    def __init__(self, fh) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- restore ------------------------------------------------------------------------------------------------------


def read_manifest(path: str | os.PathLike, staging: Path) -> dict:
    """Unpack the archive into `staging` and check it whole; return its manifest. Raises BackupError."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    try:
        with gzip.open(path, "rb") as fh:  # the whole stream: its CRC is checked at the end
            while fh.read(CHUNK):
                pass
        names = set()
        with tarfile.open(path, mode="r:gz") as archive:
            for info in archive:
                name = _safe_name(info)
                if name in names:
                    raise BackupError(f"The archive holds {name} twice.")
                names.add(name)
                destination = staging / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(info)
                with open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
    except (OSError, EOFError, zlib.error, tarfile.TarError, UnicodeDecodeError) as error:
        raise BackupError(f"{path} is not a readable skotsel backup (damaged or not a .tar.gz): {error}") from error

    manifest_path, digest_path = staging / MANIFEST, staging / MANIFEST_DIGEST
    if not manifest_path.is_file() or not digest_path.is_file():
        raise BackupError(f"{path} has no manifest: it is not a skotsel backup.")
    if _sha256_file(manifest_path) != digest_path.read_text().strip():
        raise BackupError("The manifest does not match its checksum: the archive is damaged.")
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as error:
        raise BackupError(f"The manifest is not valid JSON: {error}") from error
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"Unknown archive format {manifest.get('format')!r} version {manifest.get('version')!r}.")
    if manifest.get("database") not in (SQLITE_MEMBER, POSTGRES_MEMBER) or \
            manifest.get("engine") not in ("sqlite", "postgresql"):
        raise BackupError("The manifest names no database.")
    files = manifest.get("files") or {}
    present = names - {MANIFEST, MANIFEST_DIGEST}
    if set(files) != present:
        missing, extra = sorted(set(files) - present), sorted(present - set(files))
        raise BackupError(f"The archive does not hold what its manifest lists (missing {missing[:5]}, "
                          f"unlisted {extra[:5]}).")
    if manifest["database"] not in files:
        raise BackupError("The archive holds no database.")
    for name, expected in files.items():
        if name != manifest["database"] and not name.startswith(f"{UPLOADS}/"):
            raise BackupError(f"Unexpected member {name} in the archive.")
        if _sha256_file(staging / name) != expected:
            raise BackupError(f"{name} does not match its checksum in the manifest: the archive is damaged.")
    return manifest


def _safe_name(info: tarfile.TarInfo) -> str:
    name = info.name
    pure = PurePosixPath(name)
    if not info.isfile() or pure.is_absolute() or ".." in pure.parts or name != pure.as_posix() or "\\" in name \
            or not name:
        raise BackupError(f"The archive holds {name!r}, which a skotsel backup never does; refusing it.")
    return name


def restore(path: str | os.PathLike, *, config: Mapping, force: bool = False) -> RestoreResult:
    """Restore the database and the uploaded files from the archive at `path`. Changes nothing unless the whole
    archive checks out and (without `force`) the database and the upload folder are empty."""
    started = time.monotonic()
    url = _url(config)
    engine_name = _engine_name(url)
    uploads = _upload_folder(config)
    uploads.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".skotsel-restore-", dir=uploads.parent) as staging:
        staging = Path(staging)
        manifest = read_manifest(path, staging)
        if manifest["engine"] != engine_name:
            raise BackupError(f"The archive holds a {manifest['engine']} database; this installation uses "
                              f"{engine_name}. Restore into the same kind of database.")
        database_file = staging / manifest["database"]
        if engine_name == "sqlite":
            revision, tables = _summarise_sqlite_file(database_file)
            _compare(manifest, tables, revision, where="the archive's database copy")
        else:
            _run([_pg_tool("pg_restore"), "--list", str(database_file)], env=_pg_env(url),
                 what="Reading the database dump")

        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                occupied = _has_rows(conn)
        finally:
            engine.dispose()
        kept_files = _upload_files(uploads)
        if (occupied or kept_files) and not force:
            what = " and ".join(w for w, yes in (("the database", occupied),
                                                  (f"the upload folder {uploads}", bool(kept_files))) if yes)
            raise BackupError(f"{what[0].upper()}{what[1:]} already hold data; give --force to replace it. "
                              f"Nothing was changed.")

        if engine_name == "sqlite":
            _restore_sqlite(database_file, _sqlite_path(url))
        else:
            _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                  "--single-transaction", "--exit-on-error", f"--dbname={url.database}", str(database_file)],
                 env=_pg_env(url), what="pg_restore")
        removed = _restore_uploads(staging / UPLOADS, uploads)

    result = verify(manifest, config=config)
    result.removed_files = removed
    result.seconds = time.monotonic() - started
    return result


def _restore_sqlite(copy: Path, target: Path) -> None:
    """Copy the archive's database into the target with the backup API: right even if the target is in WAL mode
    or open elsewhere (the app should be stopped all the same)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{quote(str(copy))}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target, timeout=30)
        try:
            source.backup(destination, pages=-1)
            destination.execute("PRAGMA journal_mode=WAL")
        finally:
            destination.close()
    finally:
        source.close()


def _restore_uploads(staged: Path, uploads: Path) -> int:
    """Move the archive's files into the upload folder; remove the files it held before that the archive does
    not (restore() only gets here for an empty folder or with force). Returns how many were removed."""
    wanted = {name for name, _ in _upload_files(staged)}
    removed = 0
    for name, path in _upload_files(uploads):
        if name not in wanted:
            path.unlink()
            removed += 1
    for name, path in _upload_files(staged):
        destination = uploads / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
    _fsync_folder(uploads)
    return removed


def verify(manifest: dict, *, config: Mapping) -> RestoreResult:
    """Check the configured database and upload folder against a manifest; raise BackupError on a difference."""
    url = _url(config)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            revision, tables = _revision(conn), table_summary(conn)
    finally:
        engine.dispose()
    _compare(manifest, tables, revision, where="the restored database")
    uploads = _upload_folder(config)
    expected = {name[len(UPLOADS) + 1:]: digest for name, digest in manifest["files"].items()
                if name.startswith(f"{UPLOADS}/")}
    actual = {name: _sha256_file(path) for name, path in _upload_files(uploads)}
    if actual != expected:
        different = sorted(n for n in set(actual) | set(expected) if actual.get(n) != expected.get(n))
        raise BackupError(f"The restored upload folder differs from the archive: {different[:5]}")
    return RestoreResult(engine=manifest["engine"], revision=revision, tables=tables, files=len(actual))


def _compare(manifest: dict, tables: dict, revision: str | None, *, where: str) -> None:
    if revision != manifest.get("alembic_revision"):
        raise BackupError(f"{where} is at revision {revision}, the manifest says {manifest.get('alembic_revision')}.")
    expected = manifest.get("tables") or {}
    if tables != expected:
        different = sorted(n for n in set(tables) | set(expected) if tables.get(n) != expected.get(n))
        raise BackupError(f"{where} does not match the manifest in the tables {different}.")
