"""The scheduled jobs (each idempotent, each in its own app context) and the one scheduler process that runs them."""
from __future__ import annotations

import fcntl
import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from flask import Flask, current_app

log = logging.getLogger(__name__)

STOCKHOLM = ZoneInfo("Europe/Stockholm")

#: How late a job may still start after its time (the process was busy or suspended); later runs are dropped, and
#: coalescing makes a backlog run once.
MISFIRE_GRACE_SECONDS = 6 * 60 * 60

#: pg_try_advisory_lock key of the scheduler: "skotsel" in ASCII followed by 0x01. Advisory locks are per database,
#: so it only has to be unique among this application's locks.
SCHEDULER_LOCK_KEY = 0x736B6F7473656C01

LOCK_FILE_NAME = "scheduler.lock"


def extend_horizon_job(today: date) -> object:
    """Plan occurrences up to the horizon."""
    from skotsel.services.schedule import extend_horizon

    return extend_horizon(today=today)


def status_pass_job(today: date) -> object:
    """Record missed occurrences and raise their deviations; then remind associations of deviations past their
    fix-by date (once each); tell residents whose reports are fixed (once each) and forget reporters' e-mail
    addresses 90 days after the fix was verified; drop the API's remembered answers to Idempotency-Keys after 7 days."""
    from skotsel.services.api_tokens import forget_idempotency
    from skotsel.services.clock import now
    from skotsel.services.deviations import remind_due_deviations
    from skotsel.services.reports import forget_reporters, notify_reporters
    from skotsel.services.schedule import status_pass

    result = status_pass(today=today)
    reminded = remind_due_deviations(today=today, config=current_app.config)
    notified = notify_reporters(today=today, config=current_app.config)
    forgotten = forget_reporters(today=today)
    done = [str(summary) for summary in (reminded, notified, forgotten) if summary.anything]
    keys = forget_idempotency(now=now())
    if keys:
        done.append(f"{keys} gamla svar på Idempotency-Key borttagna")
    return "; ".join([str(result), *done]) if done else result


def feeds_job(today: date) -> object:
    """Compare every published calendar event with what it shows today, so that a status that flipped overnight
    (due → försenad → missad) raises the event's SEQUENCE now, before the next poll."""
    from skotsel.services.clock import now
    from skotsel.services.feeds import refresh_all

    return refresh_all(today=today, now=now())


def reminders_job(today: date) -> object:
    """Send reminder e-mails and the weekly digests."""
    from skotsel.services.reminders import send_reminders

    return send_reminders(today=today, config=current_app.config)


@dataclass(frozen=True)
class Job:
    """One scheduled job: a fixed id, when it runs (CronTrigger fields, Europe/Stockholm) and what it calls."""

    id: str
    run: Callable[[date], object]
    #: CronTrigger keyword arguments, read in Europe/Stockholm.
    cron: dict = field(hash=False)
    #: How the schedule reads in the startup line.
    when: str = ""


# The nightly jobs run at 03:15 and 03:45, not at 02:xx: in Europe/Stockholm 02:00–02:59 does not exist on the spring
# Sunday and happens twice on the autumn Sunday, and APScheduler 3.11 fires a 02:15 cron job twice on the autumn
# Sunday (tests/test_jobs.py pins this). Every time from 03:00 on exists exactly once every day.
# The order is the order run_once and the startup catch-up use: plan first, then judge what was missed, then stamp
# the calendar events whose status flipped, then remind.
JOBS: tuple[Job, ...] = (
    Job("extend-horizon", extend_horizon_job, {"hour": 3, "minute": 15}, "03:15"),
    Job("status-pass", status_pass_job, {"hour": 3, "minute": 45}, "03:45"),
    Job("feeds", feeds_job, {"hour": 4, "minute": 0}, "04:00"),
    Job("reminders", reminders_job, {"hour": "7-20", "minute": 0}, "07–20 varje timme"),
)


def run_job(app: Flask, job: Job, today: date | None = None) -> object:
    """Run one job in an app context of its own; log a failure with its traceback and return the exception."""
    with app.app_context():
        if today is None:
            from skotsel.services.clock import today as clock_today

            today = clock_today()
        try:
            result = job.run(today)
        except Exception as error:  # one broken job must not stop the scheduler or the jobs after it
            log.exception("Job %s failed for %s", job.id, today)
            return error
    log.info("Job %s done for %s: %s", job.id, today, result)
    return result


def run_once(app: Flask, today: date | None = None) -> list[tuple[str, object]]:
    """Run every job once, in order, for `today` (default: today in Sweden or the configured TODAY).

    Returns (job id, summary) pairs; a failed job's summary is the exception it raised."""
    if today is None:
        from skotsel.services.clock import today as clock_today

        with app.app_context():
            today = clock_today()
    return [(job.id, run_job(app, job, today)) for job in JOBS]


def build_scheduler(app: Flask):
    """A BlockingScheduler with every job on its cron schedule, and each due once right away to catch up.

    One worker thread: jobs never overlap and the startup catch-up runs in table order."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = BlockingScheduler(timezone=STOCKHOLM, executors={"default": ThreadPoolExecutor(max_workers=1)})
    now = datetime.now(STOCKHOLM)
    for position, job in enumerate(JOBS):
        scheduler.add_job(
            run_job, CronTrigger(**job.cron, timezone=STOCKHOLM), args=(app, job), id=job.id, name=job.id,
            coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS, replace_existing=True,
            # A scheduler that was down catches up at once; the milliseconds keep the table's order.
            next_run_time=now + timedelta(milliseconds=position),
        )
    return scheduler


def describe_schedule() -> str:
    """The line the scheduler prints when it has started."""
    jobs = ", ".join(f"{job.id} {job.when}" for job in JOBS)
    return f"Schemaläggaren startad: {jobs} (Europe/Stockholm)"


class SchedulerAlreadyRunning(Exception):
    """Another scheduler process holds the lock."""

    def __init__(self, pid: int | None = None) -> None:
        held_by = f" (pid {pid})" if pid else ""
        self.pid = pid
        self.message_sv = f"Schemaläggaren körs redan{held_by}. Bara en får köras åt gången."
        self.message_en = f"The scheduler is already running{held_by}. Only one may run at a time."
        super().__init__(f"{self.message_sv}\n{self.message_en}")


class SchedulerLock:
    """The held single-instance lock; keep it for the life of the process, release() on the way out."""

    def __init__(self, release: Callable[[], None], description: str) -> None:
        self._release = release
        self.description = description

    def release(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None


def acquire_scheduler_lock(app: Flask) -> SchedulerLock:
    """Take the lock that lets one scheduler run per database, or raise SchedulerAlreadyRunning at once.

    PostgreSQL: a session advisory lock on a dedicated connection (the lock goes when the process dies).
    Otherwise (SQLite): an exclusive flock on <instance>/scheduler.lock holding our pid."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        return _advisory_lock(url)
    return _file_lock(Path(app.instance_path) / LOCK_FILE_NAME)


def _file_lock(path: Path) -> SchedulerLock:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip()
        os.close(fd)
        raise SchedulerAlreadyRunning(int(holder) if holder.isdigit() else None) from None
    # Only the holder writes, so the pid a refused process reads is the running scheduler's.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    # The file stays: removing it while another process waits to open it would let two processes lock two files.
    return SchedulerLock(lambda: os.close(fd), f"flock {path}")


def _advisory_lock(url: str) -> SchedulerLock:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                           connect_args={"application_name": f"skotsel-scheduler pid={os.getpid()}"})
    connection = engine.connect()
    try:
        taken = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY})
        pid = None if taken else _advisory_lock_holder(connection)
    except BaseException:
        connection.close()
        engine.dispose()
        raise
    if not taken:
        connection.close()
        engine.dispose()
        raise SchedulerAlreadyRunning(pid)

    def release() -> None:
        # Closing the session would free it anyway; unlocking first keeps a pooled proxy from ever holding it.
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY})
        finally:
            connection.close()
            engine.dispose()

    return SchedulerLock(release, f"pg_advisory_lock {SCHEDULER_LOCK_KEY}")


def _advisory_lock_holder(connection) -> int | None:
    """The pid the scheduler holding the advisory lock put in its application_name, if it can be seen."""
    from sqlalchemy import text

    # A bigint advisory key shows in pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid = 1.
    name = connection.scalar(text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND l.classid = CAST(:high AS oid) AND l.objid = CAST(:low AS oid)"
    ), {"high": SCHEDULER_LOCK_KEY >> 32, "low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF})
    prefix = "skotsel-scheduler pid="
    if name and name.startswith(prefix) and name[len(prefix):].isdigit():
        return int(name[len(prefix):])
    return None
