"""The scheduled jobs: their table, their times across the DST Sundays, run-once order and failure isolation, the
run-jobs and scheduler commands, and the single-instance lock between two real scheduler processes."""
from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from flask import has_app_context

from skotsel import jobs
from skotsel.jobs import STOCKHOLM

ROOT = Path(__file__).resolve().parent.parent
JOB_IDS = ["extend-horizon", "status-pass", "feeds", "reminders"]


class Calls:
    """What the faked jobs were called with, in order; add a job id to `fail` to make that job raise."""

    def __init__(self) -> None:
        self.recorded: list[tuple[str, date, bool]] = []
        self.fail: set[str] = set()

    @property
    def ids(self) -> list[str]:
        return [job_id for job_id, _, _ in self.recorded]

    def job(self, job_id: str):
        def run(today: date) -> str:
            self.recorded.append((job_id, today, has_app_context()))
            if job_id in self.fail:
                raise RuntimeError(f"{job_id} gick sönder")
            return f"{job_id} klar för {today}"
        return run


@pytest.fixture
def calls(monkeypatch) -> Calls:
    """Replace what every job calls with a recorder, keeping ids, order and times."""
    calls = Calls()
    monkeypatch.setattr(jobs, "JOBS", tuple(replace(job, run=calls.job(job.id)) for job in jobs.JOBS))
    return calls


def fire_times(trigger: CronTrigger, start: datetime, end: datetime) -> list[datetime]:
    """Every time `trigger` fires from `start` (inclusive) to `end` (exclusive), as the scheduler would walk it."""
    fired, previous, now = [], None, start
    while (next_time := trigger.get_next_fire_time(previous, now)) is not None and next_time < end:
        fired.append(next_time)
        previous = now = next_time
    return fired


def local_day(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight in Sweden (23 or 25 hours on the DST Sundays)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=STOCKHOLM)
    return midnight, midnight + timedelta(days=1)


def wall_clock(moment: datetime) -> str:
    """The local time a person in Sweden reads on the clock at `moment` (normalised through UTC)."""
    return moment.astimezone(timezone.utc).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z")



def test_the_scheduler_has_its_jobs_with_fixed_ids_and_safe_options(app, monkeypatch):
    added = []
    from apscheduler.schedulers.blocking import BlockingScheduler

    real_add_job = BlockingScheduler.add_job

    def spy(self, func, trigger=None, **kwargs):
        added.append(kwargs)
        return real_add_job(self, func, trigger, **kwargs)

    monkeypatch.setattr(BlockingScheduler, "add_job", spy)
    before = datetime.now(STOCKHOLM)
    scheduler = jobs.build_scheduler(app)

    assert str(scheduler.timezone) == "Europe/Stockholm"
    assert not scheduler.running
    scheduled = scheduler.get_jobs()
    assert [job.id for job in scheduled] == JOB_IDS
    assert [str(job.trigger) for job in scheduled] == [
        "cron[hour='3', minute='15']", "cron[hour='3', minute='45']", "cron[hour='4', minute='0']",
        "cron[hour='7-20', minute='0']",
    ]
    for job in scheduled:
        assert str(job.trigger.timezone) == "Europe/Stockholm"
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 60 * 60)
    assert all(kwargs["replace_existing"] for kwargs in added)
    # Each job is due at once, in table order, so a scheduler that was down catches up on start.
    starts = [job.next_run_time for job in scheduled]
    assert starts == sorted(starts) and len(set(starts)) == len(JOB_IDS)
    assert before <= starts[0] and starts[-1] - before < timedelta(seconds=5)


def test_the_startup_line_names_every_job_and_its_time():
    assert jobs.describe_schedule() == ("Schemaläggaren startad: extend-horizon 03:15, status-pass 03:45, "
                                        "feeds 04:00, reminders 07–20 varje timme (Europe/Stockholm)")



@pytest.mark.parametrize("day", [date(2026, 10, 25), date(2026, 3, 29)])
def test_apscheduler_would_run_a_0215_job_twice_or_an_hour_late_on_the_dst_sundays(day):
    """Why the nightly jobs are at 03:15/03:45: APScheduler 3.11 in Europe/Stockholm fires a 02:15 cron job twice
    when the clocks go back (02:15 CEST and 02:15 CET) and at 03:15 CEST when 02:15 does not exist (spring)."""
    fired = [wall_clock(t) for t in fire_times(CronTrigger(hour=2, minute=15, timezone=STOCKHOLM), *local_day(day))]
    if day.month == 10:
        assert fired == ["2026-10-25 02:15 CEST", "2026-10-25 02:15 CET"]
    else:
        assert fired == ["2026-03-29 03:15 CEST"]


@pytest.mark.parametrize(("job_id", "clock"), [("extend-horizon", "03:15"), ("status-pass", "03:45"),
                                              ("feeds", "04:00")])
@pytest.mark.parametrize("days", [
    pytest.param((date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)), id="spring-forward"),
    pytest.param((date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)), id="fall-back"),
])
def test_nightly_jobs_run_exactly_once_every_local_day_across_the_dst_sundays(app, job_id, clock, days):
    trigger = jobs.build_scheduler(app).get_job(job_id).trigger
    fired = fire_times(trigger, local_day(days[0])[0], local_day(days[-1])[1])
    assert [wall_clock(t)[:16] for t in fired] == [f"{day.isoformat()} {clock}" for day in days]
    # 23 hours between the runs around the spring Sunday, 25 around the autumn one: wall-clock time is kept.
    instants = [t.astimezone(timezone.utc) for t in fired]
    gaps = {later - earlier for earlier, later in zip(instants, instants[1:])}
    assert gaps == ({timedelta(hours=23), timedelta(hours=24)} if days[0].month == 3
                    else {timedelta(hours=24), timedelta(hours=25)})


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 1)])
def test_reminders_run_once_every_local_hour_from_7_to_20(app, day):
    trigger = jobs.build_scheduler(app).get_job("reminders").trigger
    fired = fire_times(trigger, *local_day(day))
    assert [wall_clock(t)[11:16] for t in fired] == [f"{hour:02d}:00" for hour in range(7, 21)]
    assert len({t.timestamp() for t in fired}) == 14



def test_run_once_runs_the_jobs_in_order_each_in_an_app_context(app, calls):
    results = jobs.run_once(app, date(2026, 6, 1))
    assert calls.recorded == [(job_id, date(2026, 6, 1), True) for job_id in JOB_IDS]
    assert results == [(job_id, f"{job_id} klar för 2026-06-01") for job_id in JOB_IDS]


def test_a_failing_job_is_logged_with_its_traceback_and_the_next_jobs_still_run(app, calls, caplog):
    calls.fail.add("status-pass")
    with caplog.at_level(logging.ERROR, logger="skotsel.jobs"):
        results = jobs.run_once(app, date(2026, 6, 1))
    assert calls.ids == JOB_IDS
    assert results[0] == ("extend-horizon", "extend-horizon klar för 2026-06-01")
    assert results[1][0] == "status-pass" and isinstance(results[1][1], RuntimeError)
    assert results[3] == ("reminders", "reminders klar för 2026-06-01")
    [record] = caplog.records
    assert "status-pass" in record.getMessage() and record.exc_info[0] is RuntimeError


def test_run_once_takes_today_from_the_configured_date(app, calls, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", "2026-08-15")
    jobs.run_once(app)
    assert {today for _, today, _ in calls.recorded} == {date(2026, 8, 15)}


def test_the_real_jobs_call_the_services_with_today_and_the_config(app, monkeypatch):
    """The contract with skotsel.services.schedule / reminders, checked without depending on their code."""
    import types

    seen = []
    schedule = types.ModuleType("skotsel.services.schedule")
    schedule.extend_horizon = lambda *, today: seen.append(("extend_horizon", today)) or "planerat"
    schedule.status_pass = lambda *, today: seen.append(("status_pass", today)) or "granskat"
    reminders = types.ModuleType("skotsel.services.reminders")
    reminders.send_reminders = lambda *, today, config: seen.append(("send_reminders", today, config)) or "skickat"
    feeds = types.ModuleType("skotsel.services.feeds")
    feeds.refresh_all = lambda *, today, now: seen.append(("refresh_all", today, now.tzinfo is not None)) or "stämplat"
    monkeypatch.setitem(sys.modules, "skotsel.services.schedule", schedule)
    monkeypatch.setitem(sys.modules, "skotsel.services.reminders", reminders)
    monkeypatch.setitem(sys.modules, "skotsel.services.feeds", feeds)

    results = jobs.run_once(app, date(2026, 6, 1))

    assert results == [("extend-horizon", "planerat"), ("status-pass", "granskat"), ("feeds", "stämplat"),
                       ("reminders", "skickat")]
    assert seen == [("extend_horizon", date(2026, 6, 1)), ("status_pass", date(2026, 6, 1)),
                    ("refresh_all", date(2026, 6, 1), True), ("send_reminders", date(2026, 6, 1), app.config)]


def test_run_jobs_once_prints_a_line_per_job_for_the_given_day(app, calls):
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once", "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{job_id}: {job_id} klar för 2026-06-01" for job_id in JOB_IDS]
    assert {today for _, today, _ in calls.recorded} == {date(2026, 6, 1)}


def test_run_jobs_reports_a_failed_job_runs_the_rest_and_exits_1(app, calls):
    calls.fail.add("extend-horizon")
    result = app.test_cli_runner().invoke(args=["run-jobs", "--once", "--today", "2026-06-01"])
    assert result.exit_code == 1
    assert calls.ids == JOB_IDS
    assert "extend-horizon: misslyckades / failed: RuntimeError: extend-horizon gick sönder" in result.output
    assert "reminders: reminders klar för 2026-06-01" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["run-jobs", "--once", "--today", "2026-13-01"], "är inget datum, skriv ÅÅÅÅ-MM-DD"),
    (["run-jobs", "--once", "--today", "1 juni"], "is not a date, write YYYY-MM-DD"),
    (["run-jobs"], "flask --app skotsel scheduler"),
    (["run-jobs", "--today", "2026-06-01"], "Ange --once"),
])
def test_run_jobs_refuses_bad_usage_without_running_anything(app, calls, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert calls.recorded == []



def test_a_started_scheduler_catches_up_at_once_in_table_order(app, calls):
    scheduler = jobs.build_scheduler(app)
    thread = threading.Thread(target=scheduler.start, name="test-scheduler", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(calls.recorded) < len(JOB_IDS) and time.monotonic() < deadline:
            time.sleep(0.02)
        next_runs = {job.id: wall_clock(job.next_run_time)[11:16] for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=True)
        thread.join(5)
    assert calls.ids == JOB_IDS
    assert all(in_context for _, _, in_context in calls.recorded)
    # After catching up, each job waits for its regular time.
    assert next_runs["extend-horizon"] == "03:15" and next_runs["status-pass"] == "03:45"
    assert next_runs["feeds"] == "04:00"
    assert next_runs["reminders"].endswith(":00")
    assert not thread.is_alive()


def test_the_lock_refuses_a_second_holder_until_released(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    first = jobs.acquire_scheduler_lock(app)
    try:
        with pytest.raises(jobs.SchedulerAlreadyRunning) as refused:
            jobs.acquire_scheduler_lock(app)
        assert refused.value.pid == os.getpid()
        message = str(refused.value)
        assert f"Schemaläggaren körs redan (pid {os.getpid()}). Bara en får köras åt gången." in message
        assert f"The scheduler is already running (pid {os.getpid()}). Only one may run at a time." in message
    finally:
        first.release()
    again = jobs.acquire_scheduler_lock(app)
    again.release()


def test_creating_the_app_starts_no_scheduler(database_url, tmp_path, monkeypatch):
    from apscheduler.schedulers.base import BaseScheduler

    from skotsel import create_app

    started = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **kw: started.append(self))
    before = set(threading.enumerate())
    monkeypatch.setenv("SKOTSEL_INSTANCE_PATH", str(tmp_path))
    create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x"})
    new_threads = [t.name for t in set(threading.enumerate()) - before]
    assert started == []
    assert not [name for name in new_threads if "apscheduler" in name.lower()], new_threads


def _start_scheduler(env: dict, stderr_path: Path) -> subprocess.Popen:
    """`flask --app skotsel scheduler` in a process of its own; its log goes to a file so no pipe fills up."""
    with stderr_path.open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "skotsel", "scheduler"], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
        )


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


def test_a_second_scheduler_process_refuses_to_start_and_the_first_stops_cleanly(app, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SKOTSEL_", "FLASK_"))}
    env.update(SKOTSEL_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SKOTSEL_INSTANCE_PATH=str(tmp_path),
               SKOTSEL_TODAY="2026-06-01", PYTHONUNBUFFERED="1")
    processes = []
    try:
        first = _start_scheduler(env, tmp_path / "first.err")
        processes.append(first)
        line = _first_line(first, timeout=60)
        assert line.startswith("Schemaläggaren startad: extend-horizon 03:15"), \
            (line, (tmp_path / "first.err").read_text())

        # It must not wait for the lock: it exits on its own (the timeout only guards against a hang; python start-up
        # alone takes seconds on a busy machine) while the first still runs.
        second = _start_scheduler(env, tmp_path / "second.err")
        processes.append(second)
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 1
        assert first.poll() is None
        refused = (tmp_path / "second.err").read_text()
        assert f"Schemaläggaren körs redan (pid {first.pid}). Bara en får köras åt gången." in refused
        assert "startad" not in out

        first.terminate()
        assert first.wait(timeout=60) == 0, (tmp_path / "first.err").read_text()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()


def test_generate_schedule_plans_every_agreement_once_and_a_second_run_changes_nothing(app, make):
    from sqlalchemy import func, select

    from skotsel.extensions import db
    from skotsel.models import Occurrence

    municipality = make.municipality()
    association = make.association(municipality)
    site = make.site(municipality, association)
    task_type = make.task_type(municipality)
    for title in ("Avtal 1", "Avtal 2"):
        make.agreed_task(make.agreement(association, title=title, status="active"), site, task_type,
                         rrule="FREQ=WEEKLY", season=None)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["generate-schedule", "--today", "2026-06-01", "--until", "2026-06-30"])
    assert first.exit_code == 0, first.output
    # Two agreements from 2025-01-01, a Sunday every week up to the end of June 2026.
    sundays = db.session.scalar(select(func.count(Occurrence.id)))
    assert sundays == 2 * 78 and "156 nya tillfällen" in first.output
    second = runner.invoke(args=["generate-schedule", "--today", "2026-06-01", "--until", "2026-06-30"])
    assert "0 nya tillfällen, 0 borttagna, 0 ändrade" in second.output
    assert db.session.scalar(select(func.count(Occurrence.id))) == sundays


def test_generate_schedule_refuses_an_until_before_today(app, ctx):
    result = app.test_cli_runner().invoke(args=["generate-schedule", "--today", "2026-06-01", "--until", "2026-05-01"])
    assert result.exit_code == 2 and "före i dag" in result.output
