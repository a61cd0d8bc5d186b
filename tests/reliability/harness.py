"""The reliability harness: a dedicated database, the production server (gunicorn) on 127.0.0.1 as a subprocess, the
rows it needs, HTTP clients for the JSON API and the workspace form, and the crash rounds.

Shared by tests/reliability/ and scripts/crash_test.py. Nothing here talks to anything but 127.0.0.1.
"""
from __future__ import annotations

import http.client
import io
import json
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from skotsel.domain.organisations import complete_org_number
from tests.conftest import _fresh_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN = str(BIN / "gunicorn")
HOST = "127.0.0.1"
#: The app's "today" under test; every occurrence seeded lies before it, inside the agreement.
TODAY = date(2026, 6, 30)
FIRST_DAY = date(2021, 1, 1)
#: Occurrences per agreed task (one per day from FIRST_DAY, so they stay before TODAY).
PER_TASK = 2000
PASSWORD = "tillförlitlig-häst-batteri"
LOCKED = "database is locked"


# --- databases ------------------------------------------------------------------------------------------------


def new_database(base: Path, *, postgres_url: str | None, name: str) -> str:
    """A new, empty database: a SQLite file under `base`, or `<database>_<name>` next to the PostgreSQL URL's."""
    if not postgres_url:
        return f"sqlite:///{base / 'server.sqlite'}"
    return _fresh_postgres_database(postgres_url, name)


def drop_database(database_url: str) -> None:
    """Drop a PostgreSQL database made by new_database (a SQLite file goes with its temporary folder)."""
    if not database_url.startswith("sqlite"):
        drop_postgres_database(database_url)


# --- the server -----------------------------------------------------------------------------------------------


def group_running(pgid: int) -> bool:
    """Whether a process of the group still runs (a zombie waiting for its parent to reap it does not: it is dead
    and writes nothing)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: a zombie counts as running here, which only makes the wait longer
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (command) ": state, ppid, pgrp, …
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving create_app() against one database, with its own instance folder, in a process group of its
    own so that SIGKILL reaches the master and every worker at once.

    With `warm=True` each start forks the gunicorn master from a process that has imported the app already
    (tests/reliability/zygote.py) instead of executing `gunicorn` afresh: the same server, a second faster to start.
    """

    def __init__(self, base: Path, database_url: str, *, workers: int = 4, rate_limit: int | None = None,
                 warm: bool = False) -> None:
        self.base = base
        self.database_url = database_url
        self.workers = workers
        self.warm = warm
        self.instance = base / "instance"
        self.uploads = base / "uploads"
        self.log_path = base / "server.log"
        self.process: subprocess.Popen | None = None
        self.pid: int | None = None
        self.port: int | None = None
        self.starts = 0
        self._zygote: subprocess.Popen | None = None
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("SKOTSEL_")}
        self.env.update({
            "SKOTSEL_INSTANCE_PATH": str(self.instance),
            "SKOTSEL_DATABASE_URL": database_url,
            "SKOTSEL_SECRET_KEY": "reliability-" + secrets.token_hex(16),
            "SKOTSEL_UPLOAD_FOLDER": str(self.uploads),
            "SKOTSEL_OUTBOX_FOLDER": str(base / "outbox"),
            "SKOTSEL_TODAY": TODAY.isoformat(),
            "PYTHONUNBUFFERED": "1",
        })
        if rate_limit is not None:
            self.env["SKOTSEL_API_RATE_LIMIT"] = str(rate_limit)

    def app(self):
        """An app on the same settings, for migrating, seeding and checking from this process."""
        from skotsel import create_app

        return create_app({"DATABASE_URL": self.database_url, "SECRET_KEY": self.env["SKOTSEL_SECRET_KEY"],
                           "UPLOAD_FOLDER": str(self.uploads),
                           "OUTBOX_FOLDER": str(self.base / "outbox"), "TODAY": TODAY.isoformat()})

    def arguments(self) -> list[str]:
        return ["--workers", str(self.workers), "--no-control-socket", "--bind", f"{HOST}:{self.port}", "--preload",
                "--timeout", "60", "--log-level", "warning", "skotsel:create_app()"]

    def start(self, *, timeout: float = 90) -> None:
        self.port = free_port()
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start {self.starts + 1} on port {self.port} ===\n".encode())
        if self.warm:
            self.pid = self._fork(self.arguments())
        else:
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen([GUNICORN, *self.arguments()], cwd=ROOT, env=self.env, stdout=log,
                                                stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
            self.pid = self.process.pid
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"gunicorn exited:\n{self.log()[-3000:]}")
            try:
                status, _headers, body = request(self.port, "GET", "/healthz", timeout=5)
                if status == 200 and body == b"ok":
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.03)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout} s:\n{self.log()[-3000:]}")

    def _fork(self, arguments: list[str]) -> int:
        if self._zygote is None:
            self._zygote = subprocess.Popen([sys.executable, "-m", "tests.reliability.zygote"], cwd=ROOT,
                                            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                            start_new_session=True)
        self._zygote.stdin.write(" ".join(["start", str(self.log_path), *arguments]) + "\n")
        self._zygote.stdin.flush()
        line = self._zygote.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the zygote did not fork a server: {line!r}")
        return int(line)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (master and workers) and wait until none of it is left."""
        if self.pid is None:
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass
        if self.process is not None:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        for _ in range(1500):
            if not group_running(self.pid):
                break
            time.sleep(0.005)
        self.process = None
        self.pid = None

    def close(self) -> None:
        """Kill the server and the zygote, if there is one."""
        self.kill()
        if self._zygote is not None:
            try:
                self._zygote.stdin.write("quit\n")
                self._zygote.stdin.flush()
                self._zygote.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._zygote.kill()
                self._zygote.wait()
            self._zygote = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# --- HTTP -----------------------------------------------------------------------------------------------------


def request(port: int, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> tuple[int, dict, bytes]:
    """One request on a connection of its own (gunicorn's sync workers close each one anyway)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def api_completion(port: int, token: str, occurrence_id: int, key: str, *, notes: str = "") -> tuple[int, dict]:
    body = json.dumps({"occurrence_id": occurrence_id, "notes": notes}).encode()
    status, _headers, data = request(port, "POST", "/api/v1/completions", body=body, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Type": "application/json"})
    try:
        payload = json.loads(data) if data else {}
    except ValueError:
        payload = {"raw": data[:200].decode(errors="replace")}
    return status, payload


class Browser:
    """A signed-in session on the web pages: the session cookie and the CSRF token that goes with it (both survive
    a server restart, being signed with the same secret key)."""

    def __init__(self) -> None:
        self.cookie = ""
        self.csrf = ""

    def _keep_cookie(self, headers: dict) -> None:
        found = re.search(r"(?:^|,\s*)session=([^;]*)", headers.get("set-cookie", ""))
        if found:
            self.cookie = f"session={found.group(1)}"

    def get(self, port: int, path: str) -> tuple[int, dict, bytes]:
        status, headers, body = request(port, "GET", path, headers={"Cookie": self.cookie} if self.cookie else {})
        self._keep_cookie(headers)
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
        if found:
            self.csrf = found.group(1).decode()
        return status, headers, body

    def post_form(self, port: int, path: str, fields: dict, files: dict | None = None, *,
                  keep_cookie: bool = False) -> tuple[int, dict, bytes]:
        """POST a multipart form with the CSRF token. The session cookie of the answer is kept only when asked
        (signing in): the flash messages of a log would otherwise pile up in it."""
        boundary = "----skotsel" + uuid.uuid4().hex
        out = io.BytesIO()
        for name, value in {"csrf_token": self.csrf, **fields}.items():
            out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
        for name, (filename, content, content_type) in (files or {}).items():
            out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                      f"Content-Type: {content_type}\r\n\r\n".encode())
            out.write(content)
            out.write(b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": self.cookie}
        status, headers, body = request(port, "POST", path, body=out.getvalue(), headers=headers)
        if keep_cookie:
            self._keep_cookie(headers)
        return status, headers, body

    def login(self, port: int, email: str, password: str = PASSWORD) -> None:
        self.get(port, "/login")
        status, headers, _body = self.post_form(port, "/login", {"email": email, "password": password},
                                                  keep_cookie=True)
        if status != 302:
            raise RuntimeError(f"login as {email} answered {status}")


def small_jpeg(seed: int) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (64, 48), ((seed * 37) % 256, (seed * 91) % 256, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


# --- the rows the load needs ----------------------------------------------------------------------------------


@dataclass
class Seeded:
    occurrence_ids: list[int]
    tokens: list[str]                   # one API token per API user
    user_ids: list[int]                 # the API users, in the order of `tokens`
    web_email: str
    web_user_id: int


def seed(server: Server, *, occurrences: int, api_users: int) -> Seeded:
    """Migrate the database (`flask db upgrade`, in this process), then add a municipality, an association with an
    active agreement, one agreed task per PER_TASK occurrences (each on a site of its own), the occurrences
    themselves (all due before TODAY), `api_users` members with an API token each and one member who signs in on
    the web."""
    from sqlalchemy import insert, select

    from skotsel.extensions import db
    from skotsel.models import (
        AgreedTask, Agreement, Association, Membership, Municipality, Occurrence, Site, TaskType, User,
    )
    from skotsel.services import api_tokens
    from skotsel.services.access import Principal

    from flask_migrate import upgrade

    app = server.app()
    with app.app_context():
        upgrade()  # what `flask db upgrade` does, in this process
        municipality = Municipality(name="Tillförlitlighets kommun", code="9999")
        db.session.add(municipality)
        db.session.flush()
        association = Association(municipality_id=municipality.id, name="Lastprovets byalag",
                                  org_number=complete_org_number(802999001), contact_name="Kim", email="byalag@example.org")
        task_type = TaskType(municipality_id=municipality.id, name_sv="Klippning", name_en="Mowing",
                             standard_sv="Klart", standard_en="Done", default_rrule="FREQ=WEEKLY",
                             season_start="01-01", season_end="12-31", site_kinds=["green_space"])
        db.session.add_all([association, task_type])
        db.session.flush()
        agreement = Agreement(municipality_id=municipality.id, association_id=association.id, title="Lastavtal",
                              starts_on=date(2020, 1, 1), ends_on=date(2030, 12, 31), status="active",
                              compensation_model="fixed_per_year", compensation_amount=1000)
        db.session.add(agreement)
        db.session.flush()
        task_ids = []
        for n in range((occurrences + PER_TASK - 1) // PER_TASK):
            site = Site(municipality_id=municipality.id, association_id=association.id, name=f"Park {n + 1}",
                        kind="green_space", geometry={"type": "Point", "coordinates": [14.13, 56.55]},
                        lat=56.55, lon=14.13, area_m2=1000)
            db.session.add(site)
            db.session.flush()
            task = AgreedTask(municipality_id=municipality.id, agreement_id=agreement.id, site_id=site.id,
                              task_type_id=task_type.id, level_text="högst 10 cm", rrule="FREQ=DAILY",
                              season_start="01-01", season_end="12-31")
            db.session.add(task)
            db.session.flush()
            task_ids.append(task.id)
        rows = []
        for i in range(occurrences):
            day = FIRST_DAY + timedelta(days=i % PER_TASK)
            rows.append({"municipality_id": municipality.id, "agreed_task_id": task_ids[i // PER_TASK],
                         "planned_on": day, "due_on": day, "window_starts_on": day})
        db.session.execute(insert(Occurrence), rows)
        template = User(email="x@example.org")
        template.set_password(PASSWORD)
        users = []
        for n in range(api_users + 1):
            user = User(email=f"last{n}@example.org", name=f"Last {n}", password_hash=template.password_hash,
                        is_active=True)
            user.memberships.append(Membership(municipality_id=municipality.id, association_id=association.id,
                                               role="member"))
            users.append(user)
        db.session.add_all(users)
        db.session.commit()
        tokens = [api_tokens.create_token(principal=Principal.of(user), name="last")[1] for user in users[:-1]]
        occurrence_ids = list(db.session.scalars(select(Occurrence.id).order_by(Occurrence.id)))
        result = Seeded(occurrence_ids=occurrence_ids, tokens=tokens, user_ids=[u.id for u in users[:-1]],
                        web_email=users[-1].email, web_user_id=users[-1].id)
        db.session.remove()
        db.engine.dispose()
    return result


# --- what the database holds ----------------------------------------------------------------------------------


def completion_counts(database_url: str) -> tuple[int, int, int]:
    """(rows, distinct occurrences, rows sharing an occurrence with another)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.scalar(text("SELECT count(*) FROM completion"))
            distinct = conn.scalar(text("SELECT count(DISTINCT occurrence_id) FROM completion"))
            dupes = conn.scalar(text("SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM completion "
                                     "GROUP BY occurrence_id HAVING count(*) > 1) AS d"))
    finally:
        engine.dispose()
    return rows, distinct, dupes


def sqlite_integrity(database_url: str) -> str:
    path = make_url(database_url).database
    conn = sqlite3.connect(path, timeout=30)
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        fk = list(conn.execute("PRAGMA foreign_key_check"))
    finally:
        conn.close()
    text_ = "; ".join(result)
    return text_ if not fk else f"{text_}; foreign key violations: {fk[:5]}"


def photo_problems(database_url: str, upload_folder: Path) -> list[str]:
    """Photo rows whose file or thumbnail is missing, and completions said to have photos that are gone."""
    engine = create_engine(database_url)
    problems = []
    try:
        with engine.connect() as conn:
            photos = conn.execute(text("SELECT id, storage_key, content_type, completion_id FROM photo")).all()
            dangling = conn.execute(text(
                "SELECT p.id FROM photo p LEFT JOIN completion c ON c.id = p.completion_id "
                "WHERE p.completion_id IS NOT NULL AND c.id IS NULL")).all()
    finally:
        engine.dispose()
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
    for photo_id, key, content_type, _completion_id in photos:
        for path in (upload_folder / "photos" / f"{key}.{extension[content_type]}",
                     upload_folder / "photos" / f"{key}.thumb.jpg"):
            if not path.is_file() or path.stat().st_size == 0:
                problems.append(f"photo {photo_id}: {path.name} missing")
    problems += [f"photo {row[0]} points at a missing completion" for row in dangling]
    return problems


def orphan_photo_files(database_url: str, upload_folder: Path) -> int:
    """Files in the photo folder that no photo row names (left by a kill between writing them and the commit;
    harmless, nothing points at them)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            keys = {row[0] for row in conn.execute(text("SELECT storage_key FROM photo"))}
    finally:
        engine.dispose()
    folder = upload_folder / "photos"
    if not folder.is_dir():
        return 0
    return sum(1 for path in folder.iterdir() if path.name.split(".")[0] not in keys)


# --- concurrency ------------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    created: dict[int, int] = field(default_factory=dict)   # occurrence id → completion id, from the answers
    seconds: float = 0.0
    requests: int = 0


def concurrent_completions(port: int, seeded: Seeded, *, completions: int, clients: int,
                           repeats: int = 0) -> LoadResult:
    """`clients` threads log `completions` occurrences through the API at once, each with its own token's
    Idempotency-Key; `repeats` of them are sent a second time (same key, same body) by another thread, racing the
    first."""
    occurrence_ids = seeded.occurrence_ids[:completions]
    jobs = [(i, occurrence_ids[i], f"load-{i:06d}") for i in range(completions)]
    jobs += [jobs[i] for i in random.Random(7).sample(range(completions), repeats)]
    random.Random(11).shuffle(jobs)
    result = LoadResult(requests=len(jobs))
    lock = threading.Lock()
    position = iter(range(len(jobs)))
    start = threading.Barrier(clients)

    def client() -> None:
        start.wait()
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                return
            i, occurrence_id, key = jobs[index]
            token = seeded.tokens[i % len(seeded.tokens)]
            try:
                status, payload = api_completion(port, token, occurrence_id, key, notes=f"last {i}")
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    result.errors.append(f"{occurrence_id}: {error!r}")
                continue
            with lock:
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status in (200, 201):
                    previous = result.created.setdefault(occurrence_id, payload.get("id"))
                    if previous != payload.get("id"):
                        result.errors.append(f"{occurrence_id}: two answers name {previous} and {payload.get('id')}")
                else:
                    result.errors.append(f"{occurrence_id}: {status} {payload}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    return result


# --- crash rounds -----------------------------------------------------------------------------------------------


@dataclass
class Write:
    kind: str                # "api" or "web"
    occurrence_id: int
    key: str                 # Idempotency-Key (api) or the form's submission key (web)
    user_id: int
    photo: bool = False
    completion_id: int | None = None   # from the API's answer


@dataclass
class CrashFigures:
    rounds: int = 0
    sent: int = 0
    acknowledged: int = 0
    acknowledged_photos: int = 0
    retried: int = 0          # writes cut off by a kill and sent again after the restart
    lost: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    integrity_checks: int = 0
    photo_problems: list[str] = field(default_factory=list)
    orphan_files: int = 0     # photo files no row names: written, then the server died before the commit
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"rounds={self.rounds} sent={self.sent} acknowledged={self.acknowledged} "
                f"(with photo {self.acknowledged_photos}) resent after a kill={self.retried} lost={len(self.lost)} "
                f"non-2xx answers={len(self.server_errors)} "
                f"integrity={self._integrity()} "
                f"photo problems={len(self.photo_problems)} orphan photo files={self.orphan_files} "
                f"seconds={self.seconds:.1f}")

    def _integrity(self) -> str:
        if not self.integrity_checks:
            return "n/a"
        return f"ok x{self.integrity_checks}" if not self.integrity else f"FAILED {self.integrity[:3]}"


def missing_writes(database_url: str, writes: list[Write]) -> list[str]:
    """The acknowledged writes the database does not have. An API write: the completion its answer named, on its
    occurrence, and the remembered answer to its Idempotency-Key. A workspace log: the completion carrying the
    form's submission key, on its occurrence, with its photo when one was sent."""
    if not writes:
        return []
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.id, c.occurrence_id, c.submission_key, count(p.id) FROM completion c "
                "LEFT JOIN photo p ON p.completion_id = c.id GROUP BY c.id, c.occurrence_id, c.submission_key")).all()
            keys = {(row[0], row[1]) for row in conn.execute(text("SELECT user_id, key FROM idempotency_record"))}
    finally:
        engine.dispose()
    by_id = {row[0]: row for row in rows}
    by_key = {row[2]: row for row in rows if row[2]}
    missing = []
    for write in writes:
        row = by_id.get(write.completion_id) if write.kind == "api" else by_key.get(write.key)
        if row is None or row[1] != write.occurrence_id:
            missing.append(f"the {write.kind} completion of occurrence {write.occurrence_id} is gone")
        elif write.photo and row[3] < 1:
            missing.append(f"the photo of occurrence {write.occurrence_id} is gone")
        elif write.kind == "api" and (write.user_id, write.key) not in keys:
            missing.append(f"the answer to Idempotency-Key {write.key} is gone")
    return missing


def crash_rounds(server: Server, seeded: Seeded, *, rounds: int, clients: int = 4, window: tuple = (0.1, 1.0),
                 photo_every: int = 2, seed_: int = 1, progress=None) -> CrashFigures:
    """Each round: start the server, check that every write acknowledged so far is there, send writes from
    `clients` threads (API completions and workspace logs, some with a photo), and SIGKILL the whole server at a
    random moment within `window` seconds. Then one last start and check, SQLite's integrity check after every
    kill, and the photos' files at the end.

    A write cut off by a kill (no answer) is sent again, unchanged, first thing in the next round, as a client
    would: it must succeed then, and still make only one completion."""
    rng = random.Random(seed_)
    figures = CrashFigures()
    acknowledged: list[Write] = []
    occurrences = iter(seeded.occurrence_ids)
    lock = threading.Lock()
    sqlite = server.database_url.startswith("sqlite")
    browser = Browser()
    began = time.monotonic()
    counter = 0
    retry: list[Write] = []

    def next_write(thread_no: int) -> Write | None:
        nonlocal counter
        with lock:
            if retry:
                figures.retried += 1
                return retry.pop()
            occurrence_id = next(occurrences, None)
            counter += 1
            n = counter
        if occurrence_id is None:
            return None
        if thread_no % 2 == 0:
            i = n % len(seeded.tokens)
            return Write("api", occurrence_id, f"crash-{n}-{secrets.token_hex(4)}", seeded.user_ids[i])
        return Write("web", occurrence_id, secrets.token_urlsafe(16), seeded.web_user_id, photo=n % photo_every == 0)

    def send(port: int, write: Write) -> tuple[int, str]:
        if write.kind == "api":
            token = seeded.tokens[seeded.user_ids.index(write.user_id)]
            status, payload = api_completion(port, token, write.occurrence_id, write.key)
            if status in (200, 201):
                write.completion_id = payload.get("id")
                return status, ""
            return status, str(payload)[:300]
        files = {"photos": (f"bild-{write.occurrence_id}.jpg", small_jpeg(write.occurrence_id), "image/jpeg")} \
            if write.photo else None
        status, headers, body = browser.post_form(
            port, f"/workspace/occurrences/{write.occurrence_id}/log",
            {"token": write.key, "completed_on": TODAY.isoformat(), "notes": "krasch"}, files)
        location = headers.get("location", "")
        if status == 302 and "/workspace/" in location and "login" not in location:
            return 200, ""
        return (status if status != 302 else 400), f"{status} {headers.get('location')} {body[:300]!r}"

    for round_no in range(rounds + 1):
        server.start()
        if round_no == 0:
            browser.login(server.port, seeded.web_email)
            browser.get(server.port, f"/workspace/occurrences/{seeded.occurrence_ids[0]}/log")
        for problem in missing_writes(server.database_url, acknowledged):
            if not any(problem in seen for seen in figures.lost):
                figures.lost.append(f"after kill {round_no}: {problem}")
        if round_no == rounds:
            server.kill()
            break
        stop = threading.Event()
        port = server.port

        def client(thread_no: int) -> None:
            while not stop.is_set():
                write = next_write(thread_no)
                if write is None:
                    return
                try:
                    status, detail = send(port, write)
                except (OSError, http.client.HTTPException):  # the connection died with the server: no answer
                    status, detail = 0, ""
                with lock:
                    figures.sent += 1
                    if not status:
                        retry.append(write)
                        return  # the server is gone; this round is over for this client
                    if status in (200, 201):
                        acknowledged.append(write)
                        figures.acknowledged += 1
                        figures.acknowledged_photos += write.photo
                    elif status:  # an answer, but not a success: a refusal or a server error
                        figures.server_errors.append(f"round {round_no}: {write.kind} {status} {detail}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(*window))
        server.kill(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join()
        figures.rounds += 1
        if sqlite:
            result = sqlite_integrity(server.database_url)
            figures.integrity_checks += 1
            if result != "ok":
                figures.integrity.append(f"round {round_no}: {result}")
        if progress:
            progress(round_no + 1, figures)
    figures.photo_problems = photo_problems(server.database_url, server.uploads)
    figures.orphan_files = orphan_photo_files(server.database_url, server.uploads)
    figures.seconds = time.monotonic() - began
    return figures
