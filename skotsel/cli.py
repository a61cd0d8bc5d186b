"""flask commands: demo data, first-time setup of a municipality and its staff, and the scheduled jobs."""
from __future__ import annotations

import logging
import signal
import sys
from datetime import date, datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def init_app(app: Flask) -> None:
    for command in (demo_data, create_municipality, create_staff, scheduler, run_jobs, generate_schedule, feed_url,
                    create_token, backup, restore):
        app.cli.add_command(command)


@click.command("demo-data")
def demo_data() -> None:
    """Load the Älmhult demo data (safe to run again: changes nothing the second time)."""
    from skotsel.services.demo import load_demo_data

    created = load_demo_data(upload_folder=current_app.config["UPLOAD_FOLDER"])
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")


@click.command("create-municipality")
@click.argument("name")
@click.argument("code")
def create_municipality(name: str, code: str) -> None:
    """Add a municipality NAME with its four-digit kommunkod CODE and seed its task-type catalogue."""
    from skotsel.domain.errors import ValidationError
    from skotsel.services.municipalities import add_municipality

    try:
        municipality, seeded = add_municipality(name=name, code=code)
    except ValidationError as error:
        raise click.ClickException(error.message_en) from error
    click.echo(f"Created {municipality.name} ({municipality.code}) with {seeded} task types.")


@click.command("create-staff")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(["admin", "reviewer"]), default="admin", show_default=True)
@click.option("--municipality", "code", required=True, help="Four-digit kommunkod, e.g. 0765.")
@click.password_option(help="At least 12 characters; asked for when not given.")
def create_staff(email: str, name: str, role: str, code: str, password: str) -> None:
    """Create (or give a role to) a municipality admin or reviewer who signs in with EMAIL."""
    from skotsel.domain.errors import ValidationError
    from skotsel.services.municipalities import add_staff

    try:
        user = add_staff(email=email, name=name, role=role, municipality_code=code, password=password,
                         min_password_length=current_app.config["PASSWORD_MIN_LENGTH"])
    except ValidationError as error:
        raise click.ClickException(error.message_en) from error
    click.echo(f"{user.email} is now {role} of municipality {code}.")


class _StopScheduler(Exception):
    """SIGTERM or SIGINT arrived: leave BlockingScheduler.start() and shut down."""


def _stop(signum, frame) -> None:
    raise _StopScheduler(signal.Signals(signum).name)


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the scheduled jobs (planning, status pass, reminders) until stopped; only one may run per database."""
    from skotsel.jobs import SchedulerAlreadyRunning, acquire_scheduler_lock, build_scheduler, describe_schedule

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = current_app._get_current_object()
    try:
        lock = acquire_scheduler_lock(app)
    except SchedulerAlreadyRunning as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    try:
        jobs = build_scheduler(app)
        try:
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            click.echo(describe_schedule())
            sys.stdout.flush()
            jobs.start()
        except _StopScheduler as stop:
            logging.getLogger("skotsel.jobs").info("%s: stopping the scheduler", stop)
        finally:
            # A running job may finish (it commits or rolls back as a whole); a second signal ends the process.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            if jobs.running:
                jobs.shutdown(wait=True)
    finally:
        lock.release()


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(
            f"{value!r} är inget datum, skriv ÅÅÅÅ-MM-DD / is not a date, write YYYY-MM-DD (e.g. 2026-06-01)."
        ) from None


@click.command("run-jobs")
@with_appcontext
@click.option("--once", is_flag=True, help="Run every job once, in order, and exit (required).")
@click.option("--today", callback=_parse_today, metavar="YYYY-MM-DD",
              help="The date the jobs take as today (default: today in Europe/Stockholm, or TODAY in the config).")
def run_jobs(once: bool, today: date | None) -> None:
    """Run every scheduled job once: extend-horizon, status-pass, reminders. Safe to repeat."""
    from skotsel.jobs import run_once

    if not once:
        raise click.UsageError(
            "Ange --once. Den långlivade processen startas med `flask --app skotsel scheduler`. / "
            "Give --once; use `flask --app skotsel scheduler` for the long-running process."
        )
    failed = False
    for job_id, summary in run_once(current_app._get_current_object(), today):
        if isinstance(summary, Exception):
            failed = True
            click.echo(f"{job_id}: misslyckades / failed: {type(summary).__name__}: {summary}")
        else:
            click.echo(f"{job_id}: {summary}")
    if failed:
        sys.exit(1)


@click.command("generate-schedule")
@with_appcontext
@click.option("--until", callback=_parse_today, metavar="YYYY-MM-DD",
              help="Plan up to this date instead of the horizon (the rest of this season and the next).")
@click.option("--today", callback=_parse_today, metavar="YYYY-MM-DD",
              help="The date taken as today (default: today in Europe/Stockholm, or TODAY in the config).")
def generate_schedule(until: date | None, today: date | None) -> None:
    """Plan the occurrences of every agreement now (safe to repeat: a second run changes nothing)."""
    from sqlalchemy import func, select

    from skotsel.extensions import db
    from skotsel.models import Agreement
    from skotsel.services import clock
    from skotsel.services.schedule import extend_horizon

    today = today or clock.today()
    if until is not None and until < today:
        raise click.BadParameter(f"{until} ligger före i dag ({today}) / is before today.", param_hint="--until")
    total = db.session.scalar(select(func.count(Agreement.id)))
    with click.progressbar(length=total, label="Planerar avtal / planning agreements", file=sys.stderr) as bar:
        summary = extend_horizon(today=today, until=until, seasons_ahead=current_app.config["SCHEDULE_HORIZON_SEASONS"],
                                 progress=bar.update)
    click.echo(str(summary))


def _active_user(email: str):
    """The user signing in with `email`; a clear error (exit 1) if there is none or they are deactivated."""
    from skotsel.services.users import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"Ingen användare med e-postadressen {email} / no user with that e-mail address.")
    if not user.is_active:
        raise click.ClickException(f"{user.email} är inaktiverad / is deactivated.")
    return user


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--name", default="API-nyckel", show_default=True, help="What the token is for (shown on the profile "
                                                                       "page).")
def create_token(email: str, name: str) -> None:
    """Make a new API token for the user signing in with EMAIL and print it (shown only this once)."""
    from skotsel.domain.errors import ValidationError
    from skotsel.services import api_tokens
    from skotsel.services.access import Principal

    user = _active_user(email)
    try:
        row, token = api_tokens.create_token(principal=Principal.of(user), name=name)
    except ValidationError as error:
        raise click.ClickException(f"{error.message_sv} / {error.message_en}") from error
    click.echo(f"Ny API-nyckel för {user.name} <{user.email}> ({row.name}); visas bara nu / "
               f"new API token, shown only now:")
    click.echo(token)


@click.command("feed-url")
@with_appcontext
@click.argument("email")
@click.option("--kind", type=click.Choice(["personal", "staff", "association"]), default=None,
              help="Which calendar: the person's own (default), the municipality's follow-up (staff) or one "
                   "association's (give --association).")
@click.option("--association", "association_id", type=click.IntRange(min=1, max=2**31 - 1), default=None,
              help="The association's id, for --kind association.")
def feed_url(email: str, kind: str | None, association_id: int | None) -> None:
    """Make a new calendar link for the user signing in with EMAIL and print its URL (shown only this once)."""
    from skotsel.services import feeds
    from skotsel.services.access import Forbidden, NotFound, Principal
    from skotsel.web import external_url

    kind = kind or ("association" if association_id is not None else "personal")
    if kind == "association" and association_id is None:
        raise click.UsageError("Ange --association ID / give --association ID for --kind association.")
    if kind != "association" and association_id is not None:
        raise click.UsageError("--association hör till --kind association / only goes with --kind association.")
    user = _active_user(email)
    try:
        row, token = feeds.create_token(principal=Principal.of(user), kind=kind, association_id=association_id)
    except (NotFound, Forbidden) as error:
        words = {"personal": "en personlig kalender (hen är inte med i någon förening) / a personal calendar "
                             "(not in any association)",
                 "staff": "kommunens kalender (hen är inte admin eller granskare) / the staff calendar "
                          "(not an admin or reviewer)",
                 "association": f"föreningens kalender (förening {association_id} är inte hens) / the calendar of "
                                f"association {association_id} (not theirs)"}
        raise click.ClickException(f"{user.email} kan inte få {words[kind]}.") from error
    with current_app.test_request_context("/"):
        url = external_url("feeds.feed", token=token)
    click.echo(f"Ny kalenderlänk för {user.name} <{user.email}> ({row.kind}); visas bara nu / "
               f"new calendar link, shown only now:")
    click.echo(url)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} kB"


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True))
def backup(path: str) -> None:
    """Write the database and the uploaded files to one archive PATH (.tar.gz; a folder gets a dated file name)."""
    from skotsel.services import backup as backups

    try:
        result = backups.backup(path, config=current_app.config)
    except (backups.BackupError, OSError) as error:
        click.echo(f"Säkerhetskopieringen misslyckades / backup failed: {error}", err=True)
        sys.exit(1)
    rows = sum(t["rows"] for t in result.tables.values())
    click.echo(f"Saved {result.path} ({_size(result.archive_bytes)}, {result.seconds:.1f} s): {result.engine} "
               f"database at revision {result.revision}, {len(result.tables)} tables, {rows} rows; "
               f"{result.files} uploaded files ({_size(result.upload_bytes)}).")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database and upload folder that already hold data.")
def restore(path: str, force: bool) -> None:
    """Restore the database and the uploaded files from the archive PATH made by `backup` (stop the app first)."""
    from skotsel.services import backup as backups

    try:
        result = backups.restore(path, config=current_app.config, force=force)
    except (backups.BackupError, OSError) as error:
        click.echo(f"Återställningen misslyckades / restore failed: {error}", err=True)
        sys.exit(1)
    rows = sum(t["rows"] for t in result.tables.values())
    click.echo(f"Restored {path} ({result.seconds:.1f} s): {result.engine} database at revision {result.revision}, "
               f"{len(result.tables)} tables, {rows} rows, {result.files} uploaded files; all match the manifest.")
    if result.removed_files:
        click.echo(f"Removed {result.removed_files} files from the upload folder that the archive does not hold.")
    click.echo("Run `flask --app skotsel db upgrade` if this version of skotsel is newer than the backup.")
