"""Every kind of feed, read by three independent parsers (icalendar, vobject, Mozilla's ical.js — the one inside
Thunderbird): they must all see the same events (UID, start), the ones the database says, across a season that
includes both DST Sundays."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from skotsel.extensions import db
from skotsel.models import Completion, Deviation, Inspection, Occurrence
from skotsel.services import feeds
from skotsel.services.access import Principal
from skotsel.services.schedule import regenerate
from skotsel.web.feeds import bodies
from tests.calendar_parsers import expand_all

TODAY = date(2026, 6, 20)
# The window is 2026-04-21 … 2027-07-20: the autumn DST Sunday of 2026 and the spring one of 2027 are in it.
DST_SUNDAYS = (date(2026, 10, 25), date(2027, 3, 28))


@pytest.fixture(autouse=True)
def fixed_clock(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    monkeypatch.setitem(app.config, "NOW", datetime(2026, 6, 20, 10, tzinfo=timezone.utc))
    monkeypatch.setitem(app.config, "BASE_URL", "https://skotsel.example")
    bodies.clear()


@pytest.fixture
def season(world, make):
    """A's every-other-week mowing in the summer, and a weekly Sunday check all year on the same site; a completion,
    a deviation with a fix-by date and an inspection."""
    sunday = make.agreed_task(world.agreement_a, world.site_a, world.task_type, rrule="FREQ=WEEKLY;BYDAY=SU",
                              season=None)
    regenerate([world.task_a, sunday, world.task_b], today=date(2026, 1, 1), until=date(2027, 12, 31))
    first = db.session.scalars(select(Occurrence).where(Occurrence.agreed_task_id == world.task_a.id,
                                                        Occurrence.due_on >= date(2026, 5, 1))
                               .order_by(Occurrence.due_on)).first()
    db.session.add(Completion(municipality_id=world.home.id, occurrence_id=first.id, site_id=world.site_a.id,
                              task_type_id=world.task_type.id, completed_on=first.due_on, user_id=world.member_a.id))
    deviation = Deviation(municipality_id=world.home.id, source="inspection", agreement_id=world.agreement_a.id,
                          site_id=world.site_a.id, description="Krattas", fix_by_on=date(2026, 7, 3), status="open")
    inspection = Inspection(municipality_id=world.home.id, agreement_id=world.agreement_a.id,
                            inspected_on=date(2026, 6, 19), inspector_id=world.reviewer.id, notes="")
    db.session.add_all([deviation, inspection])
    db.session.commit()
    world.sunday, world.deviation, world.inspection, world.done = sunday, deviation, inspection, first
    return world


def body_of(client, user, kind, **scope) -> bytes:
    db.session.refresh(user)
    _row, token = feeds.create_token(principal=Principal.of(user), kind=kind, **scope)
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    return response.data


def expected_pairs(task_ids, deviation_ids=(), inspection_ids=()) -> set[tuple[str, date]]:
    first, last = TODAY - timedelta(days=60), date(2027, 7, 20)
    pairs = {(f"occurrence-{o.id}@skotsel", o.due_on) for o in db.session.scalars(
        select(Occurrence).where(Occurrence.agreed_task_id.in_(task_ids), Occurrence.due_on >= first,
                                 Occurrence.due_on <= last))}
    pairs |= {(f"deviation-{d.id}@skotsel", d.fix_by_on) for d in map(db.session.get, [Deviation] * len(
        deviation_ids), deviation_ids)}
    pairs |= {(f"inspection-{i.id}@skotsel", i.inspected_on) for i in map(db.session.get, [Inspection] * len(
        inspection_ids), inspection_ids)}
    return pairs


@pytest.mark.parametrize("kind", ["personal", "association", "site", "staff"])
def test_three_parsers_expand_the_same_events_as_the_database(client, season, kind):
    world = season
    user, scope = {
        "personal": (world.member_a, {}),
        "association": (world.coordinator_a, {"association_id": world.a.id}),
        "site": (world.reviewer, {"site_id": world.site_a.id}),
        "staff": (world.reviewer, {}),
    }[kind]
    body = body_of(client, user, kind, **scope)
    found = expand_all(body, date(2026, 1, 1), date(2028, 1, 1))  # fails unless the three agree
    pairs = {(event.uid, event.start) for event in found}
    if kind == "staff":
        assert pairs == expected_pairs([], [world.deviation.id], [world.inspection.id])
    else:
        assert pairs == expected_pairs([world.task_a.id, world.sunday.id], [world.deviation.id])
    assert len(pairs) == len(found)  # no event twice


def test_the_dst_sundays_are_there_once_as_all_day_events(client, season):
    world = season
    found = expand_all(body_of(client, world.member_a, "personal"), date(2026, 1, 1), date(2028, 1, 1))
    sundays = [event for event in found if event.start in DST_SUNDAYS]
    assert sorted(event.start for event in sundays) == list(DST_SUNDAYS)
    assert all(type(event.start) is date for event in found)  # all-day: no time, so no hour to lose or gain
    # The week around each: one event per Sunday, none shifted onto a Saturday or a Monday.
    for sunday in DST_SUNDAYS:
        week = [event.start for event in found if abs((event.start - sunday).days) <= 3]
        assert week == [sunday]


def test_reminders_are_read_the_same_by_all_three(client, season):
    world = season
    found = expand_all(body_of(client, world.member_a, "personal"), date(2026, 1, 1), date(2028, 1, 1))
    task_a = {f"occurrence-{o.id}@skotsel" for o in db.session.scalars(
        select(Occurrence).where(Occurrence.agreed_task_id == world.task_a.id))}
    mowing = {event.start: event for event in found if event.uid in task_a}
    upcoming = min(start for start in mowing if start >= TODAY)
    assert mowing[upcoming].alarms == ("-P1DT15H",)  # two days before, at 09:00
    done = mowing[world.done.due_on]
    assert done.summary.startswith("✅ Utförd") and done.alarms == ()
