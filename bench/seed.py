r"""Benchmark data: `python -m bench.seed --municipalities N` fills an empty database with N municipalities of realistic
data, on SQLite or PostgreSQL, for the performance benchmark (issue 9).

    python -m bench.seed --municipalities 1        # Älmhult-sized, into SKOTSEL_DATABASE_URL or the app's own
    python -m bench.seed --municipalities 290 \
        --database-url postgresql+psycopg://skotsel:skotsel@127.0.0.1/bench_national
    python -m bench.seed --municipalities 2 --scale 0.15 --seasons 2 --today 2026-11-27 \
        --database-url sqlite:///tiny.sqlite

Shape of one municipality at --scale 1 (municipality 1 is "Älmhult kommun", 0765, then 29 more real names and
codes, then "Kommun <code>" with made-up unique codes):

- the national task catalogue (24 task types, the same rows as skotsel.services.catalogue.seed_catalogue makes);
- 12 villages around a centre inside Sweden;
- 20 associations (sockenråd, byalag, hembygdsförening, intresseförening) with valid (Luhn) organisation numbers,
  each in a village;
- 3–6 sites per association (about 90): green spaces, beaches and playgrounds, each a GeoJSON Point in Sweden;
- one active agreement per association covering the seasons today.year − seasons … today.year + 1, with a mix of
  compensation models, and 4–7 agreed tasks per site from the catalogue (about 500): weekly or biweekly mowing in
  season, edges, bins all year, litter picking, beach cleaning, the daily life-saving gear check at some beaches,
  toilets, jetties, playground checks, yearly jobs, a few quota tasks (litter picking "at least 6 times, 10 days
  apart"); the life-saving gear check and the weekly playground check raise a deviation when missed;
- the occurrences the app's own planner makes for those tasks (skotsel.services.schedule._desired, i.e.
  skotsel.domain.schedule.expand over the agreement period up to the horizon of plan_until(task, today, 1)):
  about 10,000 a calendar year (9,700–10,600 measured), so some 70,000 for five past seasons, the current year
  and the next, and about 55,000 completions;
- what the past left behind (statuses are never stored, the app derives them): about 85 % done on time, 5 % late,
  7 % missed, 3 % excused (with a reason); occurrences open now partly done; completions by the association's
  members (sometimes logged by the coordinator), some with hours, people and notes; the municipality's own tasks
  logged by its admin;
- deviations: one per missed occurrence of a task that asks for it (as the nightly status pass makes them), from
  1–2 inspections per agreement and past season (a result per site, about 10 % remarks and 2 % failures, each
  raising a deviation) and a few residents' reports (category, no e-mail); old ones verified, recent ones open,
  fixed or reopened;
- users: admin@k<code>.bench.example (admin), granskare@k<code>.bench.example (reviewer), per association j
  samordnare<j>@k<code>.bench.example (coordinator) and medlem<j>-<i>@k<code>.bench.example, i = 1…5 (members);
  every password is bench-skotsel-2026.

--scale multiplies the associations per municipality (at least one); villages follow (at least one).

Loading bypasses the ORM: ids are assigned here, rows are streamed per municipality with COPY on PostgreSQL
(psycopg 3) and executemany on SQLite, one transaction per municipality; sequences are set afterwards. The schema
is made with the app's own Alembic migrations. A database that already holds rows is refused unless --reset, which
drops every table (alembic_version too) and migrates again.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import time as wallclock
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from skotsel.domain.organisations import complete_org_number

PASSWORD = "bench-skotsel-2026"
UTC = timezone.utc
DOMAIN = "bench.example"

#: Table → the columns written, in the order rows are built. Tables are written in this order (parents first).
TABLES: dict[str, tuple[str, ...]] = {
    "municipality": ("id", "name", "code", "created_at", "updated_at"),
    "task_type": ("id", "municipality_id", "code", "name_sv", "name_en", "standard_sv", "standard_en",
                  "default_rrule", "default_quota_count", "default_quota_gap_days", "season_start", "season_end",
                  "site_kinds", "performed_by", "grace_days", "created_at", "updated_at"),
    "village": ("id", "municipality_id", "name", "lat", "lon", "created_at", "updated_at"),
    "association": ("id", "municipality_id", "name", "org_number", "village_id", "contact_name", "email", "phone",
                    "created_at", "updated_at"),
    "site": ("id", "municipality_id", "name", "kind", "village_id", "association_id", "geometry", "lat", "lon",
             "area_m2", "notes", "created_at", "updated_at"),
    "user": ("id", "email", "name", "password_hash", "is_active", "locale", "wants_reminders",
             "wants_coordinator_digest", "wants_reviewer_digest", "session_version", "created_at", "updated_at"),
    "membership": ("id", "municipality_id", "user_id", "association_id", "role", "created_at", "updated_at"),
    "agreement": ("id", "municipality_id", "association_id", "title", "starts_on", "ends_on", "status",
                  "compensation_model", "compensation_amount", "compensation_cap", "signed_on", "notes",
                  "deduction_per_missed_ore", "deduction_per_open_deviation_ore", "created_at", "updated_at"),
    "agreed_task": ("id", "municipality_id", "agreement_id", "site_id", "task_type_id", "level_text", "rrule",
                    "quota_count", "quota_gap_days", "season_start", "season_end", "reminder_lead_days",
                    "performed_by", "deviation_when_missed", "scheduled_from", "created_at", "updated_at"),
    "occurrence": ("id", "municipality_id", "agreed_task_id", "planned_on", "due_on", "window_starts_on",
                   "excused_reason", "moved_reason", "created_at", "updated_at"),
    "completion": ("id", "municipality_id", "occurrence_id", "site_id", "association_id", "task_type_id",
                   "completed_on", "user_id", "notes", "hours", "people", "recorded_by_id", "submission_key",
                   "created_at", "updated_at"),
    "inspection": ("id", "municipality_id", "agreement_id", "inspected_on", "inspector_id", "notes", "created_at",
                   "updated_at"),
    "inspection_result": ("id", "municipality_id", "inspection_id", "site_id", "result", "notes"),
    "deviation": ("id", "municipality_id", "source", "agreement_id", "site_id", "occurrence_id", "description",
                  "fix_by_on", "status", "fixed_note", "fixed_at", "fixed_by_id", "verified_at", "verified_by_id",
                  "reopened_count", "inspection_result_id", "category", "reporter_email", "reporter_ip_hash",
                  "created_at", "updated_at"),
}

VILLAGES_PER_MUNICIPALITY = 12
ASSOCIATIONS_PER_MUNICIPALITY = 20
MEMBERS_PER_ASSOCIATION = 5

# --- names -----------------------------------------------------------------------------------------------------

#: (name, code, lat, lon): Älmhult first, then real municipalities; beyond them "Kommun <code>".
REAL_MUNICIPALITIES = (
    ("Älmhult kommun", "0765", 56.55, 14.14), ("Osby kommun", "1273", 56.38, 13.99),
    ("Ljungby kommun", "0781", 56.83, 13.94), ("Markaryd kommun", "0767", 56.46, 13.60),
    ("Tingsryd kommun", "0763", 56.52, 14.98), ("Växjö kommun", "0780", 56.88, 14.81),
    ("Hässleholm kommun", "1293", 56.16, 13.77), ("Östra Göinge kommun", "1256", 56.25, 14.09),
    ("Olofström kommun", "1060", 56.28, 14.53), ("Alvesta kommun", "0764", 56.90, 14.56),
    ("Uppvidinge kommun", "0760", 57.05, 15.23), ("Lessebo kommun", "0761", 56.75, 15.27),
    ("Strängnäs kommun", "0486", 59.38, 17.03), ("Tierp kommun", "0360", 60.34, 17.52),
    ("Halmstad kommun", "1380", 56.67, 12.86), ("Kungsbacka kommun", "1384", 57.49, 12.08),
    ("Höör kommun", "1267", 55.94, 13.54), ("Nyköping kommun", "0480", 58.75, 17.01),
    ("Oskarshamn kommun", "0882", 57.26, 16.45), ("Håbo kommun", "0305", 59.57, 17.53),
    ("Falkenberg kommun", "1382", 56.90, 12.49), ("Motala kommun", "0583", 58.54, 15.04),
    ("Boden kommun", "2582", 65.83, 21.69), ("Sundsvall kommun", "2281", 62.39, 17.31),
    ("Östersund kommun", "2380", 63.18, 14.64), ("Arvika kommun", "1784", 59.65, 12.59),
    ("Mora kommun", "2062", 61.00, 14.54), ("Skellefteå kommun", "2482", 64.75, 20.95),
    ("Visby (Gotland) kommun", "0980", 57.64, 18.30), ("Kiruna kommun", "2584", 67.85, 20.23),
)
#: Latitude bands of Sweden with a longitude range on land, for the centres of made-up municipalities.
_BANDS = ((55.5, 57.0, 12.9, 15.8), (57.0, 59.0, 12.0, 16.4), (59.0, 60.5, 12.5, 18.0), (60.5, 63.0, 13.0, 17.3),
          (63.0, 66.0, 14.0, 20.5), (66.0, 68.0, 17.0, 22.5))
_PREFIXES = ("Ask", "Björk", "Ek", "Gran", "Hag", "Hall", "Lid", "Lön", "Mål", "Näs", "Rud", "Sjö", "Sten", "Tor",
             "Ved", "Ål", "Ör", "Bo", "Dal", "Ene", "Fur", "Göt", "Hov", "Kvarn", "Lind", "Mos", "Norr", "Öst",
             "Sör", "Väst", "Berg", "Kyrk", "Lunn", "Rams", "Vir", "Del", "Pjät", "Lia", "Här", "Sku")
_SUFFIXES = ("by", "boda", "ryd", "torp", "hult", "sjö", "näs", "stad", "åsa", "inge", "arp", "ås", "lösa", "måla",
             "tofta", "köping", "vik", "holm", "berga", "landa")
_ASSOCIATION_KINDS = ("sockenråd", "byalag", "hembygdsförening", "intresseförening")
_FIRST = ("Anna", "Erik", "Karin", "Lars", "Maria", "Nils", "Sofia", "Johan", "Eva", "Per", "Birgitta", "Anders",
          "Ingrid", "Gunnar", "Elin", "Olof", "Kerstin", "Mats", "Linnea", "Sven", "Åsa", "Björn", "Maja", "Göran",
          "Ulla", "Henrik", "Lena", "Magnus", "Emma", "Jonas")
_LAST = ("Svensson", "Persson", "Berg", "Håkansson", "Lindgren", "Johansson", "Andersson", "Olsson", "Nilsson",
         "Karlsson", "Ek", "Lindqvist", "Gustafsson", "Pettersson", "Jönsson", "Holm", "Sandberg", "Åberg",
         "Lundgren", "Ström", "Björk", "Nyström", "Falk", "Sjöberg")
_GREEN_NAMES = ("Bygdeparken", "Hembygdsgården", "Torget", "Grönytan vid skolan", "Kyrkbacken", "Ängen vid ån",
                "Prästgårdsparken", "Bollplanen", "Festplatsen", "Minneslunden vid vägen", "Grönytan vid affären",
                "Dansbanan")
_BEACH_NAMES = ("badplats", "badplats vid sjön", "norra badet", "södra badet", "badviken")
_PLAYGROUND_NAMES = ("Lekplatsen i", "Lekplatsen vid skolan i", "Lekparken i", "Lekplatsen vid bygdegården i")
NOTES = ("Allt i ordning.", "Blött i gräset, klippte ändå.", "Mycket skräp efter helgen.",
         "Bytte trasig kedja på gungan.", "Livbojen var flyttad, satt tillbaka den.", "Två fulla säckar.",
         "Gjorde det tillsammans med skolklassen.", "Grenar nedblåsta efter stormen, röjda.")
EXCUSES = ("Badplatsen stängd på grund av algblomning.", "Inställt: åska och skyfall hela veckan.",
           "Kommunens entreprenör gjorde det i samband med annat arbete.", "Inställt på grund av torka.",
           "Ytan avstängd under ledningsarbete.")
REMARKS = ("Gungkedjan sliten, byt före helgen.", "Livbojens lina trasig.", "Gräset för högt vid kanterna.",
           "Papperskorgen överfull.", "Lös planka på bryggan.", "Klotter på skylten.", "Glas i sanden vid gungan.")
REPORTS = {
    "litter": "Mycket skräp kring papperskorgen efter helgen.",
    "broken": "Gungan är trasig, ena kedjan har lossnat.",
    "lifesaving": "Livbojen saknas på sin plats.",
    "toilet": "Toaletten är smutsig och papper saknas.",
    "jetty": "En planka på bryggan har lossnat.",
    "vandalism": "Klotter på skylten vid parkeringen.",
    "other": "Ett träd har blåst omkull över gången.",
}
FIXED_NOTES = ("Åtgärdat.", "Bytt trasig del.", "Städat och kontrollerat.", "Klippt om hela ytan.",
               "Ny lina monterad.")

# --- the agreed tasks a site gets ------------------------------------------------------------------------------

#: Codes that raise a deviation when missed (like the demo's safety checks).
FOLLOWED_UP = (10, 16)
WEEKLY_MOWING = "FREQ=WEEKLY"
LITTER_QUOTA = ((6, 10), ("05-15", "09-30"))


def _site_tasks(kind: str, rng: random.Random) -> list[tuple[int, str | None, tuple | None]]:
    """(catalogue code, rrule override or None, (quota, season) or None) for one site: 4–7 tasks."""
    wanted = rng.randint(4, 7)
    if kind == "green_space":
        roll = rng.random()
        tasks = [(2, None, None)] if roll < 0.15 else [(1, WEEKLY_MOWING if roll < 0.4 else None, None)]
        tasks.append((7, None, None))
        roll = rng.random()
        tasks.append((8, None, LITTER_QUOTA) if roll < 0.2 else (8, None, None) if roll < 0.75 else (19, None, None))
        extras = [6, 20, 3, 24, 23, 4, 5, 19]
    elif kind == "beach":
        tasks = [(9, None, None), (12, None, None), (7, None, None)]
        if rng.random() < 0.5:
            tasks.append((10, None, None))
        extras = [13, 14, 11, 21, 22, 1, 24, 15]
    else:
        tasks = [(16, None, None), (17, None, None), (7, None, None)]
        extras = [19, 18, 24, 6, 8]
    rng.shuffle(extras)
    have = {code for code, _, _ in tasks}
    for code in extras:
        if len(tasks) >= wanted:
            break
        if code not in have:
            tasks.append((code, None, None))
            have.add(code)
    return tasks


# --- writers ---------------------------------------------------------------------------------------------------


#: The big tables: their foreign keys, unique constraints and secondary indexes are dropped while loading and made
#: again at the end (one sort per index and one join per foreign key instead of a check per row).
DEFERRED = ("occurrence", "completion", "deviation")


class _PostgresWriter:
    def __init__(self, connection) -> None:
        self.connection = connection
        self.dropped: list[tuple[str, str]] = []  # (table, SQL that makes it again), in the order to make them
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '256MB'")

    def defer_checks(self) -> None:
        with self.connection.cursor() as cursor:
            constraints = cursor.execute(
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
                (list(DEFERRED),)).fetchall()
            names = {name for _, name, _, _ in constraints}
            indexes = cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ANY(%s) AND indexname NOT LIKE 'pk\\_%%' ORDER BY indexname",
                (list(DEFERRED),)).fetchall()
            for table, name, definition in indexes:
                if name not in names:
                    self.dropped.append((table, definition))
                    cursor.execute(f'DROP INDEX "{name}"')
            for table, name, _, definition in constraints:  # unique ones first, so they are made first again
                self.dropped.append((table, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        self.connection.commit()

    def restore_checks(self) -> None:
        with self.connection.cursor() as cursor:
            for _, statement in self.dropped:
                cursor.execute(statement)
        self.connection.commit()
        self.dropped = []

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = ", ".join(f'"{c}"' for c in TABLES[table])
        with self.connection.cursor() as cursor:
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)

    def commit(self) -> None:
        self.connection.commit()

    def finish(self) -> None:
        self.restore_checks()
        with self.connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"""SELECT setval(pg_get_serial_sequence('"{table}"', 'id'),
                                          (SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)""")
        self.connection.commit()
        self.connection.autocommit = True
        with self.connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.connection.autocommit = False


def _sqlite_value(value):
    if value is None or isinstance(value, (int, float, str)):
        return value  # bool is an int: stored as 0/1
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return json.dumps(value)


class _SqliteWriter:
    def __init__(self, connection) -> None:
        self.connection = connection
        connection.execute("PRAGMA synchronous=OFF")

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = TABLES[table]
        sql = (f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
               f'VALUES ({", ".join("?" for _ in columns)})')
        self.connection.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in rows])

    def commit(self) -> None:
        self.connection.commit()

    def defer_checks(self) -> None:
        pass

    def finish(self) -> None:
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute("ANALYZE")
        self.connection.commit()


# --- generation ------------------------------------------------------------------------------------------------


class _Ids:
    def __init__(self) -> None:
        self.last = dict.fromkeys(TABLES, 0)

    def __call__(self, table: str) -> int:
        self.last[table] += 1
        return self.last[table]


@lru_cache(maxsize=None)
def _stamp(day: date, hour: int = 16, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _genitive(name: str) -> str:
    return name if name[-1] in "sxz" else name + "s"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _municipalities(count: int) -> list[tuple[str, str, float, float]]:
    """Unique (name, code, lat, lon): the real ones first, then "Kommun <code>" with made-up codes."""
    chosen = list(REAL_MUNICIPALITIES[:count])
    used = {code for _, code, _, _ in chosen}
    rng = random.Random("bench/municipalities")
    county, number = 1, 1
    while len(chosen) < count:
        code = f"{county:02d}{number:02d}"
        number += 1
        if number > 99:
            county, number = county + 1, 1
        if code in used:
            continue
        used.add(code)
        low, high, west, east = rng.choice(_BANDS)
        chosen.append((f"Kommun {code}", code, round(rng.uniform(low, high), 4), round(rng.uniform(west, east), 4)))
    return chosen


class _Plans:
    """The app's own plan for an agreed task, computed once per distinct rule, season and agreement period."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.cache: dict[tuple, list] = {}

    def __call__(self, *, rrule, quota_count, quota_gap_days, season_start, season_end, starts_on, ends_on):
        key = (rrule, quota_count, quota_gap_days, season_start, season_end, starts_on, ends_on)
        planned = self.cache.get(key)
        if planned is None:
            from skotsel.services.schedule import _desired, plan_until

            agreement = SimpleNamespace(status="active", starts_on=starts_on, ends_on=ends_on)
            task = SimpleNamespace(agreement=agreement, scheduled_from=None, rrule=rrule, quota_count=quota_count,
                                   quota_gap_days=quota_gap_days, season_start=season_start, season_end=season_end)
            planned = [(p.planned_on, p.due_on, p.window_starts_on)
                       for p in _desired(task, plan_until(task, self.today, 1))]
            self.cache[key] = planned
        return planned


def _deviation_progress(rng: random.Random, opened: date, today: date, coordinator_id: int, reviewer_id: int):
    """(status, fixed_note, fixed_at, fixed_by_id, verified_at, verified_by_id, reopened_count) by age."""
    age = (today - opened).days
    if age > 45 or (age > 14 and rng.random() < 0.6):
        fixed_on = min(opened + timedelta(days=rng.randint(1, 12)), today - timedelta(days=1))
        verified_on = min(fixed_on + timedelta(days=rng.randint(1, 7)), today - timedelta(days=1))
        return ("verified", rng.choice(FIXED_NOTES), _stamp(fixed_on, 15), coordinator_id, _stamp(verified_on, 9),
                reviewer_id, 1 if rng.random() < 0.05 else 0)
    roll = rng.random()
    if roll < 0.5 or age < 2:
        return "open", "", None, None, None, None, 0
    fixed_on = opened + timedelta(days=rng.randint(1, max(1, age - 1)))
    if roll < 0.9:
        return "fixed", rng.choice(FIXED_NOTES), _stamp(fixed_on, 15), coordinator_id, None, None, 0
    return "reopened", rng.choice(FIXED_NOTES), _stamp(fixed_on, 15), coordinator_id, None, None, 1


def _generate(index: int, place: tuple[str, str, float, float], ids: _Ids, plans: _Plans, *, today: date,
              seasons: int, scale: float, password_hash: str) -> dict[str, list[tuple]]:
    """Every row of one municipality, by table."""
    from skotsel.domain.catalogue import CATALOGUE

    rng = random.Random(f"bench/{index}")
    rnd, randint = rng.random, rng.randint
    rows: dict[str, list[tuple]] = {table: [] for table in TABLES}
    name, code, centre_lat, centre_lon = place
    first_year = today.year - seasons
    starts_on, ends_on = date(first_year, 1, 1), date(today.year + 1, 12, 31)
    founded = _stamp(starts_on - timedelta(days=60), 8)
    mid = ids("municipality")
    rows["municipality"].append((mid, name, code, founded, founded))

    # The catalogue, as seed_catalogue makes it.
    task_types = {}
    for entry in CATALOGUE:
        tid = ids("task_type")
        task_types[entry.code] = (tid, entry)
        rows["task_type"].append((
            tid, mid, entry.code, entry.name_sv, entry.name_en, entry.standard_sv, entry.standard_en, entry.rrule,
            entry.quota.count if entry.quota else None, entry.quota.min_gap_days if entry.quota else None,
            entry.season_start, entry.season_end, json.dumps(list(entry.site_kinds)), entry.performed_by,
            entry.grace_days, founded, founded))

    # Users of the municipality.
    domain = f"k{code}.{DOMAIN}"

    def user(email: str, role: str, association_id: int | None) -> int:
        uid = ids("user")
        rows["user"].append((uid, email, _person(rng), password_hash, True, None, True, True, True, 0, founded,
                             founded))
        rows["membership"].append((ids("membership"), mid, uid, association_id, role, founded, founded))
        return uid

    admin_id = user(f"admin@{domain}", "admin", None)
    reviewer_id = user(f"granskare@{domain}", "reviewer", None)

    associations_here = max(1, round(ASSOCIATIONS_PER_MUNICIPALITY * scale))
    villages_here = max(1, min(VILLAGES_PER_MUNICIPALITY, round(VILLAGES_PER_MUNICIPALITY * scale)))
    villages, used_names = [], set()
    while len(villages) < villages_here:
        village_name = rng.choice(_PREFIXES) + rng.choice(_SUFFIXES)
        if village_name in used_names:
            continue
        used_names.add(village_name)
        vid = ids("village")
        lat, lon = round(centre_lat + rng.uniform(-0.2, 0.2), 5), round(centre_lon + rng.uniform(-0.3, 0.3), 5)
        villages.append((vid, village_name, lat, lon))
        rows["village"].append((vid, mid, village_name, lat, lon, founded, founded))

    site_names: set[str] = set()
    association_names: set[str] = set()
    compensation_models = ("fixed_per_year", "fixed_per_year", "per_m2", "per_occurrence", "components_with_cap",
                           "none")
    for j in range(1, associations_here + 1):
        vid, village_name, village_lat, village_lon = villages[(j - 1) % len(villages)]
        kinds = list(_ASSOCIATION_KINDS)
        rng.shuffle(kinds)
        association_name = next((n for n in (f"{_genitive(village_name)} {k}" for k in kinds)
                                 if n not in association_names), f"{_genitive(village_name)} byalag {j}")
        association_names.add(association_name)
        aid = ids("association")
        contact = _person(rng)
        rows["association"].append((
            aid, mid, association_name, complete_org_number(f"802{aid:06d}"[-9:]), vid, contact, f"kontakt{j}@{domain}",
            f"0{randint(100, 999)}-{randint(10, 99)} {randint(10, 99)} {randint(10, 99)}", founded, founded))
        coordinator_id = user(f"samordnare{j}@{domain}", "coordinator", aid)
        members = [coordinator_id] + [user(f"medlem{j}-{i}@{domain}", "member", aid)
                                      for i in range(1, MEMBERS_PER_ASSOCIATION + 1)]

        model = rng.choice(compensation_models)
        amount, cap = {"fixed_per_year": (Decimal(randint(6, 15) * 1000), None),
                       "per_m2": (Decimal(randint(20, 40)) / 100, None),
                       "per_occurrence": (Decimal(randint(10, 20) * 10), Decimal(9000)),
                       "components_with_cap": (Decimal(2000), Decimal(6000)),
                       "none": (Decimal(0), None)}[model]
        agreement_id = ids("agreement")
        signed_on = starts_on - timedelta(days=randint(10, 40))
        agreement_created = _stamp(signed_on, 9)
        deductions = (5000, 20000) if model != "none" else (0, 0)
        rows["agreement"].append((
            agreement_id, mid, aid, f"Skötselavtal {association_name} {starts_on.year}–{ends_on.year}", starts_on,
            ends_on, "active", model, amount, cap, signed_on, "Benchmarkdata: påhittat avtal.", *deductions,
            agreement_created, agreement_created))

        agreement_sites = []
        for number in range(randint(3, 6)):
            roll = rnd()
            kind = "green_space" if number == 0 or roll < 0.5 else ("beach" if roll < 0.75 else "playground")
            if kind == "green_space":
                base = f"{rng.choice(_GREEN_NAMES)} i {village_name}"
            elif kind == "beach":
                base = f"{village_name} {rng.choice(_BEACH_NAMES)}"
            else:
                base = f"{rng.choice(_PLAYGROUND_NAMES)} {village_name}"
            site_name, n = base, 2
            while site_name in site_names:
                site_name, n = f"{base} {n}", n + 1
            site_names.add(site_name)
            sid = ids("site")
            lat = round(village_lat + rng.uniform(-0.01, 0.01), 7)
            lon = round(village_lon + rng.uniform(-0.015, 0.015), 7)
            rows["site"].append((
                sid, mid, site_name, kind, vid, aid, json.dumps({"type": "Point", "coordinates": [lon, lat]}), lat,
                lon, randint(5, 60) * 100, "", founded, founded))
            agreement_sites.append(sid)

            for task_code, rrule, quota in _site_tasks(kind, rng):
                tid, entry = task_types[task_code]
                if quota:
                    (count, gap), (season_start, season_end) = quota
                    rule_fields = (None, count, gap, season_start, season_end)
                else:
                    rule_fields = (rrule or entry.rrule, None, None, entry.season_start, entry.season_end)
                dwm = task_code in FOLLOWED_UP and not quota
                atid = ids("agreed_task")
                level = entry.standard_sv[:1].upper() + entry.standard_sv[1:]
                rows["agreed_task"].append((atid, mid, agreement_id, sid, tid, level, *rule_fields, 2,
                                            entry.performed_by, dwm, None, agreement_created, agreement_created))
                planned = plans(rrule=rule_fields[0], quota_count=rule_fields[1], quota_gap_days=rule_fields[2],
                                season_start=rule_fields[3], season_end=rule_fields[4], starts_on=starts_on,
                                ends_on=ends_on)
                _history(rows, ids, rng, planned, today=today, mid=mid, atid=atid, agreement_id=agreement_id,
                         sid=sid, aid=aid, tid=tid, grace=entry.grace_days, quota=bool(quota), dwm=dwm,
                         by_municipality=entry.performed_by == "municipality", admin_id=admin_id,
                         reviewer_id=reviewer_id, members=members, created=agreement_created,
                         label=f"{entry.name_sv} på {site_name}")

        _follow_up(rows, ids, rng, today=today, mid=mid, agreement_id=agreement_id, sites=agreement_sites,
                   first_year=first_year, admin_id=admin_id, reviewer_id=reviewer_id, coordinator_id=coordinator_id)
    return rows


def _history(rows, ids, rng, planned, *, today, mid, atid, agreement_id, sid, aid, tid, grace, quota, dwm,
             by_municipality, admin_id, reviewer_id, members, created, label) -> None:
    """The occurrences of one agreed task with what became of the past ones."""
    occurrences, completions, deviations = rows["occurrence"], rows["completion"], rows["deviation"]
    rnd, randint, choice = rng.random, rng.randint, rng.choice
    one_day = timedelta(days=1)
    grace_days = timedelta(days=grace)
    coordinator_id = members[0]
    for planned_on, due_on, window_starts_on in planned:
        oid = ids("occurrence")
        deadline = due_on + grace_days
        excused = None
        done = None
        if deadline < today:
            roll = rnd()
            if roll < 0.03:
                excused = choice(EXCUSES)
            elif roll < 0.10:
                pass  # missed
            elif roll < 0.15 and not quota:
                done = deadline + timedelta(days=randint(1, 10))
                if done >= today:
                    done = None
            elif quota:
                done = due_on
            elif grace and roll > 0.8:
                done = due_on + timedelta(days=randint(1, grace))
            else:
                done = due_on - timedelta(days=randint(0, min(3, (due_on - window_starts_on).days)))
            if done is None and excused is None and dwm:
                opened = deadline + one_day
                progress = _deviation_progress(rng, opened, today, coordinator_id, reviewer_id)
                deviations.append((
                    ids("deviation"), mid, "missed_occurrence", agreement_id, sid, oid,
                    f"{label} skulle vara utfört senast {due_on.isoformat()} men har inte rapporterats.",
                    opened + timedelta(days=14), *progress, None, None, None, None, _stamp(opened, 2),
                    progress[4] or progress[2] or _stamp(opened, 2)))
        elif window_starts_on < today and rnd() < 0.4:
            done = window_starts_on + timedelta(days=randint(0, (today - window_starts_on).days - 1))
        occurrences.append((oid, mid, atid, planned_on, due_on, window_starts_on, excused, None, created, created))
        if done is not None:
            if by_municipality:
                user_id, recorded_by, association_id = admin_id, None, aid
            else:
                user_id = choice(members)
                recorded_by = coordinator_id if user_id != coordinator_id and rnd() < 0.1 else None
                association_id = aid
            stamp = _stamp(done, 17, randint(0, 59))
            roll = rnd()
            completions.append((
                ids("completion"), mid, oid, sid, association_id, tid, done, user_id,
                choice(NOTES) if roll < 0.15 else "",
                Decimal(choice(("0.5", "1", "1.5", "2", "3"))) if roll < 0.5 else None,
                randint(1, 6) if roll < 0.3 else None, recorded_by, None, stamp, stamp))


def _follow_up(rows, ids, rng, *, today, mid, agreement_id, sites, first_year, admin_id, reviewer_id,
               coordinator_id) -> None:
    """Inspections of the agreement (1–2 a season) and residents' reports on its sites."""
    for year in range(first_year, today.year + 1):
        for _ in range(rng.choice((1, 1, 2))):
            inspected_on = date(year, rng.randint(6, 8), rng.randint(1, 28))
            if inspected_on >= today:
                continue
            inspection_id = ids("inspection")
            stamp = _stamp(inspected_on, 13)
            rows["inspection"].append((inspection_id, mid, agreement_id, inspected_on,
                                       reviewer_id if rng.random() < 0.8 else admin_id,
                                       "Uppföljningsbesök enligt avtalet.", stamp, stamp))
            for sid in sites:
                roll = rng.random()
                result = "remark" if roll < 0.10 else ("failed" if roll < 0.12 else "approved")
                notes = rng.choice(REMARKS) if result != "approved" else rng.choice(("Välskött.", ""))
                result_id = ids("inspection_result")
                rows["inspection_result"].append((result_id, mid, inspection_id, sid, result, notes))
                if result != "approved":
                    progress = _deviation_progress(rng, inspected_on, today, coordinator_id, reviewer_id)
                    rows["deviation"].append((
                        ids("deviation"), mid, "inspection", agreement_id, sid, None, notes,
                        inspected_on + timedelta(days=14), *progress, result_id, None, None, None, stamp,
                        progress[4] or progress[2] or stamp))
        for sid in sites:
            if rng.random() < 0.25:
                reported_on = date(year, rng.randint(5, 9), rng.randint(1, 28))
                if reported_on >= today:
                    continue
                category = rng.choice(tuple(REPORTS))
                stamp = _stamp(reported_on, rng.randint(6, 19))
                progress = _deviation_progress(rng, reported_on, today, coordinator_id, reviewer_id)
                rows["deviation"].append((
                    ids("deviation"), mid, "report", agreement_id, sid, None, REPORTS[category],
                    reported_on + timedelta(days=7), *progress, None, category, None, None, stamp,
                    progress[4] or progress[2] or stamp))


# --- the database ----------------------------------------------------------------------------------------------


class SeedRefused(RuntimeError):
    """The database already holds rows and --reset was not given."""


def _app(database_url: str | None):
    from skotsel import create_app

    settings = {"SECRET_KEY": os.environ.get("SKOTSEL_SECRET_KEY") or "bench-seed"}
    if database_url:
        settings["DATABASE_URL"] = database_url
    return create_app(settings)


def default_database_url() -> str:
    """SKOTSEL_DATABASE_URL, else what the app would use (instance/config.py, instance/skotsel.sqlite)."""
    return os.environ.get("SKOTSEL_DATABASE_URL") or _app(None).config["SQLALCHEMY_DATABASE_URI"]


def _holds_rows(engine) -> list[str]:
    from sqlalchemy import inspect, text

    full = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table != "alembic_version" and conn.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first():
                full.append(table)
    return full


def _drop_everything(engine) -> None:
    from sqlalchemy import MetaData

    metadata = MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)


def seed(database_url: str, *, municipalities: int, today: date, seasons: int = 5, scale: float = 1.0,
         progress: bool = True, reset: bool = False) -> dict:
    """Fill the (empty) database with `municipalities` municipalities; return the rows written per table."""
    import click
    from flask_migrate import upgrade

    from skotsel.extensions import db
    from skotsel.models import User

    if municipalities < 1 or seasons < 1 or scale <= 0:
        raise ValueError("municipalities and seasons must be at least 1, scale above 0")
    app = _app(database_url)
    with app.app_context():
        engine = db.engine
        full = _holds_rows(engine)
        if full and not reset:
            raise SeedRefused(f"Databasen innehåller redan data ({', '.join(sorted(full)[:5])} …); "
                              f"kör med --reset för att tömma den först. / The database already holds rows; "
                              f"use --reset to drop everything first.")
        if reset:
            _drop_everything(engine)
        upgrade()
        hasher = User()
        hasher.set_password(PASSWORD)
        password_hash = hasher.password_hash
        raw = engine.raw_connection()
        try:
            connection = raw.driver_connection
            writer = (_PostgresWriter(connection) if engine.dialect.name == "postgresql"
                      else _SqliteWriter(connection))
            ids, plans = _Ids(), _Plans(today)
            counts = dict.fromkeys(TABLES, 0)
            places = _municipalities(municipalities)
            writer.defer_checks()
            bar = (click.progressbar(length=municipalities, label="Kommuner", file=sys.stderr, show_pos=True,
                                     show_eta=True) if progress else contextlib.nullcontext())
            try:
                with bar:
                    for index, place in enumerate(places, start=1):
                        rows = _generate(index, place, ids, plans, today=today, seasons=seasons, scale=scale,
                                         password_hash=password_hash)
                        for table in TABLES:
                            writer.write(table, rows[table])
                            counts[table] += len(rows[table])
                        writer.commit()
                        del rows
                        if progress:
                            bar.update(1)
            except BaseException:
                connection.rollback()
                if isinstance(writer, _PostgresWriter):
                    writer.restore_checks()  # what was loaded keeps its checks; may fail if it is inconsistent
                raise
            if progress:
                print("Bygger index och främmande nycklar, sätter sekvenser, ANALYZE …", file=sys.stderr)
            writer.finish()
        finally:
            raw.close()
        engine.dispose()
    return counts


def summary(counts: dict, seconds: float) -> str:
    total = sum(counts.values())
    lines = [f"{table:<18} {count:>12,}".replace(",", " ") for table, count in counts.items()]
    lines.append(f"{'totalt':<18} {total:>12,}".replace(",", " "))
    lines.append(f"{seconds:.1f} s, {total / seconds if seconds else 0:,.0f} rader/s".replace(",", " "))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--municipalities", type=int, required=True, help="how many municipalities (290: Sweden)")
    parser.add_argument("--database-url", help="SQLAlchemy URL; default SKOTSEL_DATABASE_URL or the app's own")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD; default today")
    parser.add_argument("--seasons", type=int, default=5, help="past seasons of history (default 5)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the associations per municipality")
    parser.add_argument("--reset", action="store_true", help="drop every table first (all data is lost)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.municipalities < 1 or args.seasons < 1 or args.scale <= 0:
        parser.error("--municipalities and --seasons must be at least 1, --scale above 0")
    url = args.database_url or default_database_url()
    started = wallclock.monotonic()
    try:
        counts = seed(url, municipalities=args.municipalities, today=args.today or date.today(),
                      seasons=args.seasons, scale=args.scale, progress=not args.no_progress, reset=args.reset)
    except SeedRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    print(summary(counts, wallclock.monotonic() - started), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
