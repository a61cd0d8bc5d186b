"""Nightly schedule generation for 10,000 agreed tasks, against its floor.

The app's run is the nightly job itself (skotsel.services.schedule.extend_horizon: every agreement's agreed tasks
planned up to the horizon, compared with what is stored). The floor does the least that could produce the same plan:
it reads the same rules with one SELECT, expands them with bare dateutil over the same season windows and bulk-inserts
the rows in one transaction. Both start from the same database with no occurrences (the first plan: the heaviest
night), and each runs `rounds` times with the occurrences deleted in between; the best round of each is compared.

Runs in this process against a scratch database of its own (a SQLite file, or a PostgreSQL database made next to the
benchmark's), so the web benchmark's data stays as it was.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.rrule import rrulestr
from sqlalchemy import delete, func, insert, select

from skotsel.domain.organisations import complete_org_number
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Municipality, Occurrence, Site, TaskType
from skotsel.services import schedule
from skotsel.services.catalogue import seed_catalogue

#: The agreed tasks each site gets (catalogue codes): mowing every week or two in the grass season, edges, litter
#: bins all year, litter picking April–October, a monthly long-grass cut — a green space's usual agreement.
SITE_TASKS = (1, 2, 6, 7, 8, 3, 16)
TASKS_PER_AGREEMENT = 25


@dataclass
class Round:
    seconds: float
    rows: int


def build(tasks: int, *, today: date) -> int:
    """One municipality with `tasks` agreed tasks over as many sites and agreements as that takes. Returns the
    number of agreed tasks made."""
    municipality = Municipality(name="Generering kommun", code="9999")
    db.session.add(municipality)
    db.session.commit()
    seed_catalogue(municipality_id=municipality.id)
    types = dict(db.session.execute(select(TaskType.code, TaskType.id)
                                    .where(TaskType.municipality_id == municipality.id)).all())
    rules = {code: db.session.execute(select(TaskType.default_rrule, TaskType.season_start, TaskType.season_end)
                                      .where(TaskType.id == types[code])).one() for code in SITE_TASKS}
    agreements = -(-tasks // TASKS_PER_AGREEMENT)
    made = 0
    for number in range(agreements):
        association = Association(municipality_id=municipality.id, name=f"Förening {number + 1}",
                                  org_number=complete_org_number(802000000 + number))
        db.session.add(association)
        db.session.flush()
        agreement = Agreement(municipality_id=municipality.id, association_id=association.id,
                              title=f"Skötselavtal {number + 1}", starts_on=date(today.year, 1, 1),
                              ends_on=date(today.year + 2, 12, 31), status="active")
        db.session.add(agreement)
        db.session.flush()
        rows = []
        site = None
        for index in range(min(TASKS_PER_AGREEMENT, tasks - made)):
            slot = index % len(SITE_TASKS)
            if slot == 0:
                lat, lon = 56.0 + (number % 100) / 100, 14.0 + (index % 50) / 100
                site = Site(municipality_id=municipality.id, association_id=association.id,
                            name=f"Park {number + 1}-{index + 1}", kind="green_space", lat=lat, lon=lon,
                            geometry={"type": "Point", "coordinates": [lon, lat]})
                db.session.add(site)
                db.session.flush()
            code = SITE_TASKS[slot]
            rrule, season_start, season_end = rules[code]
            rows.append({"municipality_id": municipality.id, "agreement_id": agreement.id, "site_id": site.id,
                         "task_type_id": types[code], "rrule": rrule, "season_start": season_start,
                         "season_end": season_end, "reminder_lead_days": 2, "performed_by": "association",
                         "level_text": ""})
        db.session.execute(insert(AgreedTask), rows)
        made += len(rows)
    db.session.commit()
    return made


def clear() -> None:
    db.session.execute(delete(Occurrence))
    db.session.commit()


def app_round(today: date) -> Round:
    clear()
    db.session.expire_all()
    started = time.perf_counter()
    schedule.extend_horizon(today=today)
    seconds = time.perf_counter() - started
    return Round(seconds, db.session.scalar(select(func.count()).select_from(Occurrence)))


def floor_round(today: date) -> Round:
    clear()
    started = time.perf_counter()
    connection = db.session.connection()
    tasks = connection.execute(
        select(AgreedTask.id, AgreedTask.municipality_id, AgreedTask.rrule, AgreedTask.season_start,
               AgreedTask.season_end, Agreement.starts_on, Agreement.ends_on)
        .join(Agreement, Agreement.id == AgreedTask.agreement_id)).all()
    rows = []
    for task in tasks:
        for first, last in _windows(task, today):
            previous = first
            for moment in rrulestr(f"{task.rrule};WKST=MO", dtstart=datetime.combine(first, datetime.min.time())) \
                    .between(datetime.combine(first, datetime.min.time()),
                             datetime.combine(last, datetime.min.time()), inc=True):
                day = moment.date()
                rows.append({"municipality_id": task.municipality_id, "agreed_task_id": task.id, "planned_on": day,
                             "due_on": day, "window_starts_on": previous})
                previous = day
    table = Occurrence.__table__
    for start in range(0, len(rows), 5000):
        connection.execute(table.insert(), rows[start:start + 5000])
    db.session.commit()
    return Round(time.perf_counter() - started, len(rows))


def _windows(task, today: date) -> list[tuple[date, date]]:
    """The season windows from the agreement's start to the end of next year's season (the horizon in late
    autumn), clipped to the agreement."""
    last_year = today.year + 1
    if task.season_start is None:
        return [(task.starts_on, min(task.ends_on, date(last_year, 12, 31)))]
    windows = []
    for year in range(task.starts_on.year, last_year + 1):
        first = date(year, *map(int, task.season_start.split("-")))
        last = date(year, *map(int, task.season_end.split("-")))
        first, last = max(first, task.starts_on), min(last, task.ends_on)
        if first <= last:
            windows.append((first, last))
    return windows


def measure(*, today: date, tasks: int = 10_000, rounds: int = 2) -> dict:
    """Build the world (in the current app's database, which must be empty), then alternate app and floor rounds.
    Returns the figures for the report."""
    made = build(tasks, today=today)
    app_rounds, floor_rounds = [], []
    for _ in range(rounds):
        app_rounds.append(app_round(today))
        floor_rounds.append(floor_round(today))
    best_app = min(app_rounds, key=lambda r: r.seconds)
    best_floor = min(floor_rounds, key=lambda r: r.seconds)
    return {
        "agreed_tasks": made,
        "app_seconds": round(best_app.seconds, 3),
        "app_rows": best_app.rows,
        "floor_seconds": round(best_floor.seconds, 3),
        "floor_rows": best_floor.rows,
        "ratio": round(best_app.seconds / best_floor.seconds, 2),
        "app_rounds": [round(r.seconds, 3) for r in app_rounds],
        "floor_rounds": [round(r.seconds, 3) for r in floor_rounds],
    }
