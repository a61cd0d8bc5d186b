"""Fixtures: one app and schema per test session (SQLite, or PostgreSQL from SKOTSEL_TEST_DATABASE_URL),
emptied after every test, a CSRF-aware test client, and factories with sensible defaults."""
from __future__ import annotations

import os
import re
from datetime import date

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from skotsel import create_app
from skotsel.domain.organisations import complete_org_number
from skotsel.extensions import db

PG_URL = os.environ.get("SKOTSEL_TEST_DATABASE_URL")
PASSWORD = "rätt-häst-batteri-häfta"


def _fresh_postgres_database(base_url: str, suffix: str) -> str:
    """Create an empty database for this test process next to the one named in the URL."""
    url = make_url(base_url)
    name = f"{url.database}_{suffix}"[:63]  # PostgreSQL's longest identifier
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(database_url: str) -> None:
    """Drop a database made by _fresh_postgres_database, even with connections still open."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> str:
    if PG_URL:
        return _fresh_postgres_database(PG_URL, worker_id)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


class CSRFClient(FlaskClient):
    """A test client that submits forms the way a browser does: with the CSRF token from the page."""

    def open(self, *args, **kwargs):
        # Each request gets an app context (and so `g` and a database session) of its own, as in production,
        # even while the test itself holds one open to look at the database.
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # what the test holds must show what the request wrote
        return response

    def csrf_token(self, page_url: str) -> str:
        page = self.get(page_url)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
        assert found, f"no CSRF token on {page_url} (status {page.status_code})"
        return found.group(1)

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """POST `data` to `url` with the token from `page` (default: the same URL)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(page or url))
        return self.post(url, data=data, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": None,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        "OUTBOX_FOLDER": str(tmp_path_factory.mktemp("outbox")),
    })
    app.test_client_class = CSRFClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after a test that used the app, keeping the schema."""
    yield
    if "app" in request.fixturenames:
        empty_database(request.getfixturevalue("app"))


def empty_database(app) -> None:
    """Every table emptied (the schema kept), and nothing kept in memory from what was in them."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
    forget_kept_pages()


@pytest.fixture
def ctx(app):
    """An application context for tests that use services and models directly."""
    with app.test_request_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One real argon2 hash of PASSWORD, computed once, shared by every factory-made user."""
    from skotsel.models import User

    user = User()
    user.set_password(PASSWORD)
    return user.password_hash


class Factory:
    """Rows with sensible defaults; every call commits so that web requests see them."""

    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.counter = 0

    def _n(self) -> int:
        self.counter += 1
        return self.counter

    def _save(self, obj):
        db.session.add(obj)
        db.session.commit()
        return obj

    def municipality(self, name: str | None = None, code: str | None = None, *, catalogue: bool = False):
        from skotsel.models import Municipality

        n = self._n()
        municipality = self._save(Municipality(name=name or f"Kommun {n}", code=code or f"{n:04d}"))
        if catalogue:
            from skotsel.services.catalogue import seed_catalogue

            seed_catalogue(municipality_id=municipality.id)
        return municipality

    def village(self, municipality, name: str | None = None, lat: float = 56.5, lon: float = 14.1):
        from skotsel.models import Village

        return self._save(Village(municipality_id=municipality.id, name=name or f"By {self._n()}", lat=lat, lon=lon))

    def association(self, municipality, name: str | None = None, org_number: str | None = None, village=None):
        from skotsel.models import Association

        n = self._n()
        return self._save(Association(
            municipality_id=municipality.id, name=name or f"Förening {n}",
            org_number=org_number or luhn_org_number(802000 + n), village_id=village.id if village else None,
            contact_name="Kim Kontakt", email=f"forening{n}@example.org", phone="0476-12 34 56",
        ))

    def user(self, email: str | None = None, *, role: str | None = None, municipality=None, association=None,
             name: str | None = None, active: bool = True):
        from skotsel.models import Membership, User

        n = self._n()
        user = User(email=email or f"person{n}@example.org", name=name or f"Person {n}",
                    password_hash=self.password_hash, is_active=active)
        if role:
            owner = association.municipality_id if association is not None else municipality.id
            user.memberships.append(Membership(
                municipality_id=owner, association_id=association.id if association is not None else None, role=role,
            ))
        return self._save(user)

    def site(self, municipality, association=None, *, name: str | None = None, kind: str = "green_space",
             lat: float = 56.55, lon: float = 14.13, area_m2: int | None = 1200, village=None):
        from skotsel.models import Site

        return self._save(Site(
            municipality_id=municipality.id, association_id=association.id if association else None,
            name=name or f"Skötselobjekt {self._n()}", kind=kind, village_id=village.id if village else None,
            geometry={"type": "Point", "coordinates": [lon, lat]}, lat=lat, lon=lon, area_m2=area_m2,
        ))

    def task_type(self, municipality, name_sv: str | None = None, rrule: str = "FREQ=WEEKLY;INTERVAL=2"):
        from skotsel.models import TaskType

        n = self._n()
        return self._save(TaskType(
            municipality_id=municipality.id, name_sv=name_sv or f"Moment {n}", name_en=f"Task {n}",
            standard_sv="Klart", standard_en="Done", default_rrule=rrule, season_start="05-15",
            season_end="09-30", site_kinds=["green_space"],
        ))

    def agreement(self, association, *, title: str | None = None, starts_on=date(2025, 1, 1),
                  ends_on=date(2027, 12, 31), status: str = "active"):
        from skotsel.models import Agreement

        return self._save(Agreement(
            municipality_id=association.municipality_id, association_id=association.id,
            title=title or f"Skötselavtal {self._n()}", starts_on=starts_on, ends_on=ends_on, status=status,
            compensation_model="fixed_per_year", compensation_amount=10000,
        ))

    def agreed_task(self, agreement, site, task_type, *, rrule: str | None = "FREQ=WEEKLY;INTERVAL=2",
                    quota_count: int | None = None, quota_gap_days: int | None = None,
                    season: tuple[str, str] | None = ("05-15", "09-30"), level_text: str = "högst 10 cm"):
        from skotsel.models import AgreedTask

        return self._save(AgreedTask(
            municipality_id=agreement.municipality_id, agreement_id=agreement.id, site_id=site.id,
            task_type_id=task_type.id, level_text=level_text, rrule=rrule, quota_count=quota_count,
            quota_gap_days=quota_gap_days, season_start=season[0] if season else None,
            season_end=season[1] if season else None,
        ))


#: Complete nine digits with their Luhn check digit into a valid organisationsnummer.
luhn_org_number = complete_org_number


@pytest.fixture
def make(ctx, password_hash) -> Factory:
    return Factory(password_hash)


def forget_kept_pages() -> None:
    """Empty what the worker keeps in memory between requests (skotsel.web.caching): the next page is built anew."""
    from skotsel.web import feeds, review, workspace

    for cache in (feeds.bodies, feeds.polls, review.pages, workspace.pages):
        cache.clear()


def query_count(client: CSRFClient, url: str) -> int:
    """How many SQL statements a successful GET of `url` runs when it is built anew (not served as kept)."""
    from sqlalchemy import event

    forget_kept_pages()
    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def login(client: CSRFClient, email: str, password: str = PASSWORD):
    response = client.submit("/login", {"email": email, "password": password}, page="/login")
    assert response.status_code == 302, f"login as {email} failed"
    return response


@pytest.fixture
def world(make):
    """Two municipalities; in the first, associations A and B, each with a site and an agreement with a task;
    a user for every role. The access tests and the page tests read their rows from here."""
    from types import SimpleNamespace

    home = make.municipality("Älmhult kommun", "0765")
    other = make.municipality("Osby kommun", "1273")
    village = make.village(home, "Hallaryd")
    other_village = make.village(other, "Lönsboda")
    a = make.association(home, "Hallaryds sockenråd", village=village)
    b = make.association(home, "Virestads hembygdsförening", village=village)
    c = make.association(other, "Lönsboda byalag", village=other_village)
    task_type = make.task_type(home, "Klippning bruksgräsmatta")
    other_task_type = make.task_type(other, "Klippning bruksgräsmatta")
    w = SimpleNamespace(home=home, other=other, village=village, other_village=other_village, a=a, b=b, c=c,
                        task_type=task_type, other_task_type=other_task_type)
    for key, association, tt in (("a", a, task_type), ("b", b, task_type), ("c", c, other_task_type)):
        site = make.site(association.municipality, association, name=f"Park {key.upper()}")
        agreement = make.agreement(association, title=f"Avtal {key.upper()}")
        setattr(w, f"site_{key}", site)
        setattr(w, f"agreement_{key}", agreement)
        setattr(w, f"task_{key}", make.agreed_task(agreement, site, tt))
    w.admin = make.user("admin@home.example", role="admin", municipality=home, name="Anna Admin")
    w.reviewer = make.user("granskare@home.example", role="reviewer", municipality=home, name="Gun Granskare")
    w.coordinator_a = make.user("samordnare@a.example", role="coordinator", association=a, name="Sam A")
    w.member_a = make.user("medlem@a.example", role="member", association=a, name="Mia Medlem")
    w.coordinator_b = make.user("samordnare@b.example", role="coordinator", association=b, name="Sam B")
    w.other_admin = make.user("admin@other.example", role="admin", municipality=other, name="Olle Admin")
    return w
