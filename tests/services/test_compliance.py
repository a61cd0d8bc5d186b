"""The compliance numbers of a hand-computed season (skotsel.services.compliance).

The season (TODAY 2026-07-10), every occurrence due on a fixed day of the month from May to August:

  task   site                village    association  type (grace)       due on            what happened
  t1     Ekparken            Hallaryd   A            Gräsklippning (3)  05-01 06-01 07-01 on time, late (06-10), missed
  t2     Lekplatsen Ugglan   Hallaryd   A            Tillsyn (14)       05-05 06-05 07-05 excused, on time, overdue
  t3     Torget              Virestad   B            Gräsklippning (3)  05-01 06-01 07-01 on time, missed, missed
  (08-01 / 08-05: upcoming, not due yet.)

  t1: due 3, on time 1, late 1, missed 1, excused 0 → 1/3 = 33 %
  t2: due 3, on time 1, late 0, missed 0, excused 1 → 1/1 = 100 %   (07-05 overdue: due, not counted)
  t3: due 3, on time 1, late 0, missed 2, excused 0 → 1/3 = 33 %
  Hallaryd (A): due 6, 2 on time, 1 late, 1 missed, 1 excused → 2/4 = 50 %
  Virestad (B): due 3 → 33 %; open deviations 2: t3's 06-01 (open) and one on Torget from an inspection (fixed,
                not yet verified). A verified deviation on t1's 07-01 is not counted.
  Municipality: due 9, 3 on time, 1 late, 3 missed, 1 excused → 3/7 = 43 %, open deviations 2.
  Weeks (ISO, of the due date): 18 → 2/2 = 100 %; 19 only excused (no bar); 23 → 1/3 = 33 %; 27 → 0/2 = 0 %.
  Worst status per site: Ekparken missed, Lekplatsen Ugglan overdue (försenad), Torget missed.
  Overdue list: Ekparken 07-01 (missed, 9 days), Torget 07-01 (missed, 9 days), Lekplatsen Ugglan 07-05 (overdue,
                5 days); Torget 06-01 was missed on 06-05, more than 30 days ago, so it is not listed.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from skotsel.extensions import db
from skotsel.models import Completion, Deviation, Occurrence
from skotsel.services import compliance
from skotsel.services.schedule import excuse_occurrence, regenerate

TODAY = date(2026, 7, 10)


def build_season(make, *, municipality=None, name="Älmhult kommun", code="0765"):
    """The season described in this module's docstring; returns its rows."""
    home = municipality or make.municipality(name, code)
    hallaryd = make.village(home, "Hallaryd", lat=56.6, lon=14.0)
    virestad = make.village(home, "Virestad", lat=56.7, lon=14.1)
    a = make.association(home, "Hallaryds sockenråd", village=hallaryd)
    b = make.association(home, "Virestads hembygdsförening", village=virestad)
    mowing = make.task_type(home, "Gräsklippning")
    mowing.grace_days = 3
    inspection = make.task_type(home, "Tillsyn")
    inspection.grace_days = 14
    db.session.commit()
    ekparken = make.site(home, a, name="Ekparken", village=hallaryd, lat=56.61, lon=14.01)
    ugglan = make.site(home, a, name="Lekplatsen Ugglan", kind="playground", village=hallaryd, lat=56.62, lon=14.02)
    torget = make.site(home, b, name="Torget", village=virestad, lat=56.71, lon=14.11)
    agreement_a = make.agreement(a, title="Avtal Hallaryd", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    agreement_b = make.agreement(b, title="Avtal Virestad", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    season = ("05-01", "08-31")
    t1 = make.agreed_task(agreement_a, ekparken, mowing, rrule="FREQ=MONTHLY;BYMONTHDAY=1", season=season)
    t2 = make.agreed_task(agreement_a, ugglan, inspection, rrule="FREQ=MONTHLY;BYMONTHDAY=5", season=season)
    t3 = make.agreed_task(agreement_b, torget, mowing, rrule="FREQ=MONTHLY;BYMONTHDAY=1", season=season)
    regenerate([t1, t2, t3], today=date(2026, 1, 1), until=date(2026, 12, 31))

    def occurrence(task, month):
        return db.session.scalars(db.select(Occurrence).where(
            Occurrence.agreed_task_id == task.id, db.extract("month", Occurrence.due_on) == month)).one()

    def complete(task, month, day):
        found = occurrence(task, month)
        db.session.add(Completion(municipality_id=home.id, occurrence_id=found.id, site_id=task.site_id,
                                  task_type_id=task.task_type_id, completed_on=day))

    complete(t1, 5, date(2026, 5, 1))
    complete(t1, 6, date(2026, 6, 10))
    complete(t2, 6, date(2026, 6, 5))
    complete(t3, 5, date(2026, 4, 30))
    db.session.commit()
    excuse_occurrence(actor_id=None, occurrence=occurrence(t2, 5), reason="Lekplatsen var avstängd")
    db.session.add_all([
        Deviation(municipality_id=home.id, source="missed_occurrence", agreement_id=agreement_b.id,
                  site_id=torget.id, occurrence_id=occurrence(t3, 6).id, description="Inte klippt", status="open"),
        Deviation(municipality_id=home.id, source="inspection", agreement_id=agreement_b.id, site_id=torget.id,
                  description="Skräp vid bänken", status="fixed",
                  created_at=datetime(2026, 6, 20, 8, tzinfo=timezone.utc)),
        Deviation(municipality_id=home.id, source="missed_occurrence", agreement_id=agreement_a.id,
                  site_id=ekparken.id, occurrence_id=occurrence(t1, 7).id, description="Klippt i efterhand",
                  status="verified"),
    ])
    db.session.commit()
    return SimpleNamespace(home=home, hallaryd=hallaryd, virestad=virestad, a=a, b=b, mowing=mowing,
                           inspection=inspection, ekparken=ekparken, ugglan=ugglan, torget=torget,
                           agreement_a=agreement_a, agreement_b=agreement_b, t1=t1, t2=t2, t3=t3)


def numbers(node):
    c = node.compliance
    return (node.due_so_far, c.on_time, c.late, c.missed, c.excused,
            None if c.rate is None else round(c.rate * 100), node.open_deviations)


def report(season, **filters):
    return compliance.season_report(municipality_id=season.home.id, municipality_name=season.home.name, year=2026,
                                    today=TODAY, **filters)


def rows_by_name(result):
    return {(node.level, node.name): node for _depth, node in result.root.walk()}


def test_every_row_has_the_hand_computed_numbers(make):
    season = build_season(make)
    rows = rows_by_name(report(season))
    assert numbers(rows[("municipality", "Älmhult kommun")]) == (9, 3, 1, 3, 1, 43, 2)
    assert numbers(rows[("village", "Hallaryd")]) == (6, 2, 1, 1, 1, 50, 0)
    assert numbers(rows[("village", "Virestad")]) == (3, 1, 0, 2, 0, 33, 2)
    assert numbers(rows[("association", "Hallaryds sockenråd")]) == (6, 2, 1, 1, 1, 50, 0)
    assert numbers(rows[("agreement", "Avtal Virestad")]) == (3, 1, 0, 2, 0, 33, 2)
    assert numbers(rows[("site", "Ekparken")]) == (3, 1, 1, 1, 0, 33, 0)
    assert numbers(rows[("site", "Lekplatsen Ugglan")]) == (3, 1, 0, 0, 1, 100, 0)
    assert numbers(rows[("site", "Torget")]) == (3, 1, 0, 2, 0, 33, 2)
    assert numbers(rows[("task", "Tillsyn")]) == (3, 1, 0, 0, 1, 100, 0)
    torget = rows[("site", "Torget")]
    assert torget.deviations == {"open": 1, "reopened": 0, "fixed": 1}
    # The occurrence's deviation counts on the task's row; the inspection's on the site's row upwards.
    assert torget.children[0].deviations == {"open": 1, "reopened": 0, "fixed": 0}


def test_tree_order_and_levels(make):
    season = build_season(make)
    result = report(season)
    assert [(depth, node.level, node.name) for depth, node in result.root.walk()] == [
        (0, "municipality", "Älmhult kommun"),
        (1, "village", "Hallaryd"), (2, "association", "Hallaryds sockenråd"), (3, "agreement", "Avtal Hallaryd"),
        (4, "site", "Ekparken"), (5, "task", "Gräsklippning"),
        (4, "site", "Lekplatsen Ugglan"), (5, "task", "Tillsyn"),
        (1, "village", "Virestad"), (2, "association", "Virestads hembygdsförening"),
        (3, "agreement", "Avtal Virestad"), (4, "site", "Torget"), (5, "task", "Gräsklippning"),
    ]


def test_weekly_rates(make):
    season = build_season(make)
    weeks = [(week, result.on_time, result.counted) for week, result in report(season).weeks]
    assert weeks == [(18, 2, 2), (23, 1, 3), (27, 0, 2)]


def test_worst_status_per_site(make):
    season = build_season(make)
    result = report(season)
    sites = compliance.site_statuses(result, compliance.municipality_sites(season.home.id))
    assert [(site.name, node.worst) for site, node in sites] == [
        ("Ekparken", "missed"), ("Lekplatsen Ugglan", "overdue"), ("Torget", "missed")]


@pytest.mark.parametrize(("filters", "tasks"), [
    ({"village_id": "hallaryd"}, ["t1", "t2"]),
    ({"site_kind": "playground"}, ["t2"]),
    ({"task_type_id": "mowing"}, ["t1", "t3"]),
    ({"status": "missed"}, ["t1", "t3"]),
    ({"status": "late"}, ["t1"]),
    ({"status": "overdue"}, ["t2"]),
    ({"status": "deviations"}, ["t3"]),
])
def test_filters_keep_matching_agreed_tasks_and_sum_only_them(make, filters, tasks):
    season = build_season(make)
    resolved = {key: getattr(season, value).id if key.endswith("_id") else value for key, value in filters.items()}
    result = report(season, **resolved)
    assert sorted(leaf.obj.id for leaf in result.tasks) == sorted(getattr(season, name).id for name in tasks)
    assert result.root.due_so_far == 3 * len(tasks)


def test_sort_within_each_level(make):
    season = build_season(make)
    result = report(season, sort="-missed")
    assert [node.name for node in result.root.children] == ["Virestad", "Hallaryd"]
    result = report(season, sort="rate")
    assert [node.name for node in result.root.children] == ["Virestad", "Hallaryd"]  # 33 % before 50 %
    hallaryd_sites = result.root.children[1].children[0].children[0].children
    assert [node.name for node in hallaryd_sites] == ["Ekparken", "Lekplatsen Ugglan"]
    result = report(season, sort="-rate")
    assert [node.name for node in result.root.children] == ["Hallaryd", "Virestad"]
    assert [node.name for node in result.root.children[0].children[0].children[0].children] == [
        "Lekplatsen Ugglan", "Ekparken"]
    result = report(season, sort="-name")
    assert [node.name for node in result.root.children] == ["Virestad", "Hallaryd"]
    assert compliance.parse_sort("bogus") == ("name", False)


def test_overdue_list(make):
    season = build_season(make)
    items = compliance.overdue(municipality_id=season.home.id, today=TODAY)
    assert [(item.occurrence.agreed_task.site.name, item.occurrence.due_on, item.days_overdue,
             "overdue" if item.state.overdue else item.state.status.value) for item in items] == [
        ("Ekparken", date(2026, 7, 1), 9, "missed"),
        ("Torget", date(2026, 7, 1), 9, "missed"),
        ("Lekplatsen Ugglan", date(2026, 7, 5), 5, "overdue"),
    ]


def test_other_municipality_is_not_counted(make):
    season = build_season(make)
    build_season(make, name="Osby kommun", code="1273")
    assert numbers(report(season).root) == (9, 3, 1, 3, 1, 43, 2)
    assert len(compliance.overdue(municipality_id=season.home.id, today=TODAY)) == 3


def test_a_report_on_a_site_no_agreement_covers_is_listed_and_counted_for_the_municipality(make):
    season = build_season(make)
    beach = make.site(season.home, None, name="Kommunens badplats", village=season.virestad)
    db.session.add(Deviation(municipality_id=season.home.id, source="report", agreement_id=None, site_id=beach.id,
                             description="Trasig stege", status="open",
                             created_at=datetime(2026, 7, 1, 8, tzinfo=timezone.utc)))
    db.session.commit()

    result = report(season)
    assert [deviation.description for deviation in result.unplaced] == ["Trasig stege"]
    assert result.root.open_deviations == 3  # the two of the fixture and the report
    assert ("site", "Kommunens badplats") not in rows_by_name(result)
    # Filters by place still apply; a filter on task type or occurrence status leaves them out.
    assert report(season, village_id=season.virestad.id).unplaced == result.unplaced
    assert report(season, village_id=season.hallaryd.id).unplaced == []
    assert report(season, site_kind="playground").unplaced == []
    assert report(season, status="deviations").unplaced == result.unplaced
    assert report(season, status="missed").unplaced == []
    assert report(season, task_type_id=season.mowing.id).unplaced == []
