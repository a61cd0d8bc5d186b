"""The performance benchmark: `python -m bench.run` (issue 9; README "Prestanda").

Starts the production server (gunicorn, 2 workers, 127.0.0.1 only) on a database seeded by bench.seed, and measures
in one run, with a load generator of its own on 127.0.0.1:

- the floor: GET /healthz (one query, no template) — what a request costs at all on this machine right now;
- a member's personal calendar feed of about 500 events, polled without a validator (200) and with its ETag (304);
- a member's task list (/workspace/) and the season dashboard of one municipality (/review/), signed in;
- nightly schedule generation for 10,000 agreed tasks against its own floor (bench.generation), in this process,
  on a scratch database of the same kind;
- the workers' memory (resident set size) after the load.

Everything is compared with the floor measured in the same run, scenario by scenario in turns (this machine is
shared and noisy: the ratios hold, absolute figures drift). Prints a table of requests per second, p50 and p95
latency and the ratios with their targets, and writes the figures as JSON.

    .venv/bin/python -m bench.run                                # Älmhult size on SQLite (seeded on first use)
    .venv/bin/python -m bench.run --database-url postgresql+psycopg://skotsel:skotsel@127.0.0.1/bench_almhult
    .venv/bin/python -m bench.run --database-url postgresql+psycopg://…/bench_national --municipalities 290 \\
        --baseline bench/results/almhult-postgresql.json      # national size: the dashboard against Älmhult's

Exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.harness import Browser, Server, drop_database, new_database, request  # noqa: E402

#: Targets of issue 9, as (scenario, measure, comparison, limit).
TARGETS = (
    ("feed_200", "rps", ">=", 0.5),
    ("feed_304", "rps", ">=", 0.8),
    ("task_list", "p50", "<=", 5.0),
    ("dashboard", "p50", "<=", 10.0),
)
GENERATION_TARGET = 2.0
MEMORY_TARGET_MB = 200
NATIONAL_DASHBOARD_TARGET = 1.5
FEED_EVENTS = 500


@dataclass
class Figures:
    scenario: str
    path: str
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p95(self) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    def summary(self) -> dict:
        return {"path": self.path, "requests": self.requests, "errors": self.errors, "rps": round(self.rps, 1),
                "p50_ms": round(self.p50, 2), "p95_ms": round(self.p95, 2)}


# --- load generator -------------------------------------------------------------------------------------------


def _client(job: tuple) -> tuple[int, int, list[float]]:
    """One client process: requests one after the other until the time is up. Returns (answers, errors,
    latencies in ms)."""
    port, path, headers, expect, seconds = job
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            status, _headers, _body = request(port, "GET", path, headers=headers, timeout=60)
        except OSError:
            status = 0
        latencies.append((time.perf_counter() - started) * 1000)
        if status != expect:
            errors += 1
    return len(latencies), errors, latencies


def load(pool, port: int, figures: Figures, *, headers: dict, expect: int, clients: int, seconds: float) -> None:
    started = time.perf_counter()
    results = pool.map(_client, [(port, figures.path, headers, expect, seconds)] * clients)
    figures.seconds += time.perf_counter() - started
    for answers, errors, latencies in results:
        figures.requests += answers
        figures.errors += errors
        figures.latencies_ms.extend(latencies)


# --- setting up -----------------------------------------------------------------------------------------------


def _default_url(municipalities: int) -> str:
    folder = ROOT / "instance" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / f'skotsel-{municipalities}.sqlite'}"


def _is_seeded(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            try:
                return bool(conn.execute(text("SELECT count(*) FROM municipality")).scalar())
            except Exception:  # no schema yet
                return False
    finally:
        engine.dispose()


@dataclass
class Cast:
    """Who the benchmark signs in as, and the feed it polls."""

    member_email: str
    reviewer_email: str
    feed_token: str
    feed_events: int
    municipality: str
    occurrences_this_year: int


def prepare(app, today: date) -> Cast:
    """Pick the member of the first municipality whose personal feed is nearest FEED_EVENTS events, make them a
    calendar link, and pick the municipality's reviewer."""
    from skotsel.extensions import db
    from skotsel.models import Membership, Municipality, Occurrence, User
    from skotsel.services import feeds
    from skotsel.services.access import Principal

    with app.app_context():
        municipality = db.session.scalars(select(Municipality).order_by(Municipality.id)).first()
        reviewer = db.session.scalars(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.municipality_id == municipality.id, Membership.role == "reviewer")
            .order_by(User.id)).first()
        members = db.session.scalars(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.municipality_id == municipality.id, Membership.role == "member")
            .order_by(Membership.association_id, User.id)).all()
        best, best_count, seen = None, None, set()
        for user in members:
            association = next(m.association_id for m in user.memberships if m.role == "member")
            if association in seen:
                continue
            seen.add(association)
            principal = Principal.of(user)
            count = len(feeds.facts_for(_Row(user, municipality.id), principal, today=today))
            if best is None or abs(count - FEED_EVENTS) < abs(best_count - FEED_EVENTS):
                best, best_count = user, count
        _row, token = feeds.create_token(principal=Principal.of(best), kind="personal")
        year_occurrences = db.session.scalar(select(func.count()).select_from(Occurrence).where(
            Occurrence.municipality_id == municipality.id,
            Occurrence.due_on.between(date(today.year, 1, 1), date(today.year, 12, 31))))
        return Cast(best.email, reviewer.email, token, best_count, municipality.name, year_occurrences)


@dataclass
class _Row:
    """Enough of a FeedToken for facts_for: a personal link of `user`."""

    user: object
    municipality_id: int
    kind: str = "personal"
    association_id: int | None = None
    site_id: int | None = None


def worker_memory_mb(master_pid: int) -> list[dict]:
    """Memory of each gunicorn worker (the master's children): resident set size — what the target is held to —
    and the part that is the worker's own (private pages; the rest is shared with the master and the other
    worker, the application having been loaded before the fork)."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            rollup = (entry / "smaps_rollup").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() != str(master_pid) or "VmRSS" not in fields:
            continue
        rolled = dict(line.split(":", 1) for line in rollup.splitlines()[1:] if ":" in line)
        private = sum(int(rolled.get(name, "0 kB").split()[0]) for name in ("Private_Clean", "Private_Dirty"))
        sizes.append({"rss": round(int(fields["VmRSS"].split()[0]) / 1024, 1), "private": round(private / 1024, 1)})
    return sorted(sizes, key=lambda size: size["rss"])


def rebuilt(port: int, app, municipality: str, paths: dict[str, tuple[str, dict]], *, times: int) -> dict:
    """Single requests, one at a time: the floor, and each page right after a change to the municipality's data
    (its data version raised), so that nothing kept can answer — what a page costs when it must be built anew."""
    from skotsel.extensions import db
    from skotsel.models import DataVersion, Municipality

    figures = {name: [] for name in ("floor", *paths)}
    with app.app_context():
        municipality_id = db.session.scalar(select(Municipality.id).where(Municipality.name == municipality))
        if db.session.get(DataVersion, municipality_id) is None:  # seeded past the session: no counter yet
            db.session.add(DataVersion(municipality_id=municipality_id, version=1))
            db.session.commit()
        for _ in range(times):
            started = time.perf_counter()
            request(port, "GET", "/healthz")
            figures["floor"].append((time.perf_counter() - started) * 1000)
            for name, (path, headers) in paths.items():
                db.session.execute(DataVersion.__table__.update()
                                   .where(DataVersion.municipality_id == municipality_id)
                                   .values(version=DataVersion.version + 1))
                db.session.commit()
                started = time.perf_counter()
                status, _headers, _body = request(port, "GET", path, headers=headers)
                figures[name].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
        db.session.remove()
        db.engine.dispose()
    return {name: round(statistics.median(values), 2) for name, values in figures.items()}


def generation(url: str, base: Path, *, today: date, tasks: int, rounds: int) -> dict:
    import flask_migrate

    from bench import generation as gen
    from skotsel import create_app

    # An empty database of the same kind: a SQLite file in the run's folder, or "<name>_generation" next to it.
    postgres = url if make_url(url).get_backend_name() == "postgresql" else None
    scratch = new_database(base, postgres_url=postgres, name="generation")
    try:
        app = create_app({"DATABASE_URL": scratch, "SECRET_KEY": "bench", "TODAY": today.isoformat()})
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            figures = gen.measure(today=today, tasks=tasks, rounds=rounds)
            from skotsel.extensions import db

            db.session.remove()
            db.engine.dispose()
        return figures
    finally:
        drop_database(scratch)


# --- the run --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: instance/bench/skotsel-<N>.sqlite")
    parser.add_argument("--municipalities", type=int, default=1,
                        help="seed this many (bench.seed) if the database is empty (default 1: Älmhult size)")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--seconds", type=float, default=4.0, help="per scenario and round (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all scenarios (default 3)")
    parser.add_argument("--clients", type=int, default=4, help="client processes at once (default 4)")
    parser.add_argument("--rebuilt", type=int, default=15,
                        help="single requests per page right after a change (default 15)")
    parser.add_argument("--generation-tasks", type=int, default=10_000)
    parser.add_argument("--generation-rounds", type=int, default=2)
    parser.add_argument("--skip-generation", action="store_true")
    parser.add_argument("--baseline", help="JSON of an Älmhult-size run to compare the dashboard with")
    parser.add_argument("--json", help="where to write the figures (default bench/results/<engine>-<N>.json)")
    args = parser.parse_args(argv)

    url = args.database_url or os.environ.get("SKOTSEL_BENCH_DATABASE_URL") or _default_url(args.municipalities)
    engine_name = make_url(url).get_backend_name()
    if not _is_seeded(url):
        from bench.seed import seed

        print(f"Seeding {args.municipalities} municipalities into {make_url(url).render_as_string()} …",
              file=sys.stderr)
        seed(url, municipalities=args.municipalities, today=args.today)
    from bench.seed import PASSWORD

    with tempfile.TemporaryDirectory(prefix="skotsel-bench-") as folder:
        base = Path(folder)
        server = Server(base, url, workers=2)
        server.env["SKOTSEL_TODAY"] = args.today.isoformat()
        server.env["SKOTSEL_BASE_URL"] = "https://skotsel.example"
        app = server.app()
        app.config["TODAY"] = args.today.isoformat()
        cast = prepare(app, args.today)
        with app.app_context():
            from skotsel.extensions import db
            from skotsel.models import Municipality, Occurrence

            municipalities = db.session.scalar(select(func.count()).select_from(Municipality))
            occurrences = db.session.scalar(select(func.count()).select_from(Occurrence))
            db.session.remove()
            db.engine.dispose()
        print(f"{municipalities} municipalities, {occurrences:,} occurrences; {cast.municipality}: "
              f"{cast.occurrences_this_year:,} occurrences in {args.today.year}; feed of {cast.member_email}: "
              f"{cast.feed_events} events", file=sys.stderr)

        server.start()
        try:
            member, reviewer = Browser(), Browser()
            member.login(server.port, cast.member_email, PASSWORD)
            reviewer.login(server.port, cast.reviewer_email, PASSWORD)
            feed = f"/feeds/{cast.feed_token}.ics"
            status, headers, body = request(server.port, "GET", feed)
            if status != 200:
                raise RuntimeError(f"the feed answered {status}")
            etag = headers["etag"]
            scenarios = [
                ("floor", "/healthz", {}, 200),
                ("feed_200", feed, {}, 200),
                ("feed_304", feed, {"If-None-Match": etag}, 304),
                ("task_list", "/workspace/", {"Cookie": member.cookie}, 200),
                ("dashboard", "/review/", {"Cookie": reviewer.cookie}, 200),
            ]
            figures = {name: Figures(name, path) for name, path, _h, _e in scenarios}
            context = multiprocessing.get_context("fork")
            with context.Pool(args.clients) as pool:
                for name, path, headers, expect in scenarios:  # warm both workers' caches and connections
                    load(pool, server.port, Figures(name, path), headers=headers, expect=expect,
                         clients=args.clients, seconds=0.5)
                for _round in range(args.rounds):
                    for name, path, headers, expect in scenarios:
                        load(pool, server.port, figures[name], headers=headers, expect=expect,
                             clients=args.clients, seconds=args.seconds)
            memory = worker_memory_mb(server.pid)
            rebuilt_ms = rebuilt(server.port, app, cast.municipality, {
                "feed_200": (feed, {}),
                "task_list": ("/workspace/", {"Cookie": member.cookie}),
                "dashboard": ("/review/", {"Cookie": reviewer.cookie}),
            }, times=args.rebuilt)
        finally:
            server.close()

        generation_figures = None
        if not args.skip_generation:
            print(f"Schedule generation for {args.generation_tasks:,} agreed tasks …", file=sys.stderr)
            generation_figures = generation(url, base, today=args.today, tasks=args.generation_tasks,
                                            rounds=args.generation_rounds)

    floor = figures["floor"]
    ratios = {
        "feed_200": figures["feed_200"].rps / floor.rps,
        "feed_304": figures["feed_304"].rps / floor.rps,
        "task_list": figures["task_list"].p50 / floor.p50,
        "dashboard": figures["dashboard"].p50 / floor.p50,
    }
    checks = []
    for scenario, measure, comparison, limit in TARGETS:
        value = ratios[scenario]
        met = value >= limit if comparison == ">=" else value <= limit
        checks.append({"what": f"{scenario} {measure} / floor {measure}", "ratio": round(value, 2),
                       "target": f"{comparison} {limit}", "met": met})
    if generation_figures:
        checks.append({"what": "schedule generation / its floor (seconds)", "ratio": generation_figures["ratio"],
                       "target": f"<= {GENERATION_TARGET}", "met": generation_figures["ratio"] <= GENERATION_TARGET})
    largest = max((size["rss"] for size in memory), default=0)
    checks.append({"what": "largest worker memory, resident (MB)", "ratio": largest,
                   "target": f"<= {MEMORY_TARGET_MB}", "met": largest <= MEMORY_TARGET_MB})
    if args.baseline:
        baseline = json.loads(Path(args.baseline).read_text())
        value = ratios["dashboard"] / baseline["ratios"]["dashboard"]
        checks.append({"what": "dashboard p50 ratio / the Älmhult-size run's", "ratio": round(value, 2),
                       "target": f"<= {NATIONAL_DASHBOARD_TARGET}", "met": value <= NATIONAL_DASHBOARD_TARGET})
        # And built anew (nothing kept): what the season report itself costs against one municipality's data.
        value = (rebuilt_ms["dashboard"] / rebuilt_ms["floor"]) / (
            baseline["rebuilt_ms"]["dashboard"] / baseline["rebuilt_ms"]["floor"])
        checks.append({"what": "dashboard built anew, ratio / the Älmhult-size run's", "ratio": round(value, 2),
                       "target": f"<= {NATIONAL_DASHBOARD_TARGET}", "met": value <= NATIONAL_DASHBOARD_TARGET})

    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(),
        "database": engine_name,
        "municipalities": municipalities,
        "occurrences": occurrences,
        "today": args.today.isoformat(),
        "cast": {"feed_events": cast.feed_events, "municipality": cast.municipality,
                 "occurrences_this_year": cast.occurrences_this_year},
        "settings": {"seconds": args.seconds, "rounds": args.rounds, "clients": args.clients, "workers": 2},
        "scenarios": {name: f.summary() for name, f in figures.items()},
        "ratios": {name: round(value, 3) for name, value in ratios.items()},
        "generation": generation_figures,
        "worker_memory_mb": memory,
        "rebuilt_ms": rebuilt_ms,
        "checks": checks,
    }
    path = Path(args.json) if args.json else ROOT / "bench" / "results" / f"{engine_name}-{municipalities}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(table(report))
    print(f"\nFigures written to {path}")
    return 0 if all(check["met"] for check in checks) else 1


def _machine() -> dict:
    import platform

    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "system": platform.platform()}


def table(report: dict) -> str:
    """The report as the Markdown tables the README shows."""
    lines = [f"{report['database']}, {report['municipalities']} municipalities, {report['occurrences']:,} "
             f"occurrences ({report['machine']['cpus']} CPUs, {report['settings']['clients']} client processes, "
             f"2 gunicorn workers)", "",
             "| scenario | path | requests/s | p50 ms | p95 ms | errors |", "|---|---|---:|---:|---:|---:|"]
    for name, item in report["scenarios"].items():
        path = "/feeds/…ics" if item["path"].startswith("/feeds/") else item["path"]
        lines.append(f"| {name} | {path} | {item['rps']:.0f} | {item['p50_ms']:.1f} | {item['p95_ms']:.1f} | "
                     f"{item['errors']} |")
    rebuilt_ms = report["rebuilt_ms"]
    lines += ["", "Built anew right after a change (single requests, median ms; no target — what a kept page or body "
              "costs the first time):", "", "| floor | " + " | ".join(name for name in rebuilt_ms if name != "floor")
              + " |", "|---:|" + "---:|" * (len(rebuilt_ms) - 1),
              "| " + " | ".join(f"{value:.1f}" for value in rebuilt_ms.values()) + " |"]
    lines += ["", "Worker memory (MB): " + ", ".join(f"{size['rss']:.0f} resident ({size['private']:.0f} its own)"
                                                    for size in report["worker_memory_mb"])]
    generation_figures = report.get("generation")
    if generation_figures:
        lines += ["", "| schedule generation | agreed tasks | rows | seconds |", "|---|---:|---:|---:|",
                  f"| skotsel (nightly job) | {generation_figures['agreed_tasks']:,} | "
                  f"{generation_figures['app_rows']:,} | {generation_figures['app_seconds']:.2f} |",
                  f"| floor (dateutil + bulk insert) | {generation_figures['agreed_tasks']:,} | "
                  f"{generation_figures['floor_rows']:,} | {generation_figures['floor_seconds']:.2f} |"]
    lines += ["", "| ratio | measured | target | |", "|---|---:|---:|---|"]
    for check in report["checks"]:
        lines.append(f"| {check['what']} | {check['ratio']} | {check['target']} | "
                     f"{'met' if check['met'] else 'MISSED'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
