"""flask feed-url EMAIL: a new calendar link for a user, printed once; bad input is refused with exit code 1."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.models import FeedToken
from skotsel.web.feeds import bodies

BASE = "https://skotsel.example"
URL = re.compile(r"^https://skotsel\.example/feeds/[A-Za-z0-9_-]{43}\.ics$", re.MULTILINE)


@pytest.fixture(autouse=True)
def fixed_time(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2026, 6, 20))
    monkeypatch.setitem(app.config, "NOW", datetime(2026, 6, 20, 10, 0, tzinfo=timezone.utc))
    monkeypatch.setitem(app.config, "BASE_URL", BASE + "/")
    bodies.clear()


def run(app, *args):
    return app.test_cli_runner().invoke(args=["feed-url", *args])


def tokens() -> int:
    return db.session.scalar(select(func.count()).select_from(FeedToken))


def fetch(client, url: str):
    return client.get(url.removeprefix(BASE))


def test_prints_a_personal_url_that_works(app, client, world):
    result = run(app, "Medlem@A.example")
    assert result.exit_code == 0, result.output
    assert "Ny kalenderlänk för Mia Medlem" in result.output
    [url] = URL.findall(result.output)
    response = fetch(client, url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    row = db.session.scalar(select(FeedToken))
    assert (row.user_id, row.kind) == (world.member_a.id, "personal")


def test_staff_and_association_links(app, client, world):
    staff = run(app, "granskare@home.example", "--kind", "staff")
    assert staff.exit_code == 0, staff.output
    assert fetch(client, URL.search(staff.output).group(0)).status_code == 200
    association = run(app, "samordnare@a.example", "--kind", "association", "--association", str(world.a.id))
    assert association.exit_code == 0, association.output
    assert fetch(client, URL.search(association.output).group(0)).status_code == 200
    implied = run(app, "samordnare@a.example", "--association", str(world.a.id))
    assert implied.exit_code == 0, implied.output
    assert db.session.scalars(select(FeedToken.kind).order_by(FeedToken.id)).all() == \
        ["staff", "association", "association"]


@pytest.mark.parametrize("args", [
    ("nobody@example.org",),
    ("admin@home.example",),  # staff in no association: no personal feed
    ("medlem@a.example", "--kind", "staff"),
    ("medlem@a.example", "--kind", "association", "--association", "999999"),
])
def test_refuses_unknown_people_and_feeds_they_cannot_have(app, world, args):
    result = run(app, *args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and "feeds/" not in result.output
    assert tokens() == 0


def test_refuses_another_associations_feed(app, world):
    result = run(app, "medlem@a.example", "--kind", "association", "--association", str(world.b.id))
    assert result.exit_code == 1, result.output
    assert "kan inte få" in result.output
    assert tokens() == 0


def test_refuses_a_deactivated_user(app, world, make):
    make.user("borta@a.example", role="member", association=world.a, active=False)
    result = run(app, "borta@a.example")
    assert result.exit_code == 1 and "inaktiverad" in result.output
    assert tokens() == 0


def test_association_needs_its_id(app, world):
    result = run(app, "medlem@a.example", "--kind", "association")
    assert result.exit_code == 2 and "--association" in result.output
    assert run(app, "medlem@a.example", "--kind", "personal", "--association", "1").exit_code == 2
    assert tokens() == 0
