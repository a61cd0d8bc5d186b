"""The agreements service: the rules it keeps whoever calls it, and the log it writes."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from skotsel.domain.errors import ValidationError
from skotsel.domain.recurrence import Quota, Recurrence, Season, check_rule
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, AuditEvent
from skotsel.services import audit
from skotsel.services.access import Principal
from skotsel.services.agreements import (
    add_agreed_task,
    create_agreement,
    delete_agreed_task,
    delete_agreement,
    describe_agreed_task,
    update_agreed_task,
    update_agreement,
)
from skotsel.services.catalogue import create_task_type, seed_catalogue

GRASS = Season.parse("05-15", "09-30")


def agreement_values(world, **changes) -> dict:
    values = {"title": "Skötselavtal Virestad 2026", "association_id": world.b.id, "starts_on": date(2026, 1, 1),
              "ends_on": date(2026, 12, 31), "status": "draft", "compensation_model": "per_m2",
              "compensation_amount": Decimal("0.28"), "compensation_cap": None, "signed_on": None, "notes": ""}
    values.update(changes)
    return values


def task_values(world, **changes) -> dict:
    values = {"site_id": world.site_a.id, "task_type_id": world.task_type.id, "level_text": " högst 10 cm ",
              "rule": Recurrence.parse("FREQ=WEEKLY;INTERVAL=2"), "season": GRASS, "reminder_lead_days": 2,
              "performed_by": "association"}
    values.update(changes)
    return values


def test_create_agreement_stores_the_values_and_logs_them(world):
    agreement = create_agreement(actor_id=world.admin.id, municipality_id=world.home.id, **agreement_values(world))
    assert agreement.compensation_amount == Decimal("0.28") and agreement.status == "draft"
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Agreement", object_id=agreement.id))
    assert event.changes["compensation_amount"] == [None, "0.28"] and event.municipality_id == world.home.id


@pytest.mark.parametrize("changes,field", [
    ({"ends_on": date(2025, 6, 1)}, "ends_on"),
    ({"compensation_amount": Decimal("-1")}, "compensation_amount"),
    ({"compensation_cap": Decimal("-0.01")}, "compensation_cap"),
    ({"title": "Avtal A"}, "title"),
    ({"status": "signed"}, "status"),
    ({"compensation_model": "per_hour"}, "compensation_model"),
])
def test_create_agreement_refuses_broken_values(world, changes, field):
    with pytest.raises(ValidationError) as raised:
        create_agreement(actor_id=None, municipality_id=world.home.id, **agreement_values(world, **changes))
    assert raised.value.field == field


def test_an_association_of_another_municipality_is_refused(world):
    with pytest.raises(ValidationError) as raised:
        create_agreement(actor_id=None, municipality_id=world.home.id,
                         **agreement_values(world, association_id=world.c.id))
    assert raised.value.field == "association_id"


def test_update_without_changes_logs_nothing(world):
    agreement = world.agreement_a
    update_agreement(actor_id=None, agreement=agreement, **{
        name: getattr(agreement, name) for name in ("title", "association_id", "starts_on", "ends_on", "status",
                                                    "compensation_model", "compensation_amount",
                                                    "compensation_cap", "signed_on", "notes")})
    assert db.session.scalar(db.select(AuditEvent)) is None


def test_only_drafts_are_deleted(world):
    with pytest.raises(ValidationError, match="Bara utkast"):
        delete_agreement(actor_id=None, agreement=world.agreement_a)
    assert db.session.get(Agreement, world.agreement_a.id) is not None


def test_add_agreed_task_stores_the_canonical_rule_and_logs_it(world):
    task = add_agreed_task(actor_id=world.admin.id, agreement=world.agreement_a, **task_values(
        world, rule=Recurrence.parse("RRULE:byday=th,mo;freq=weekly")))
    assert task.rrule == "FREQ=WEEKLY;BYDAY=MO,TH" and task.level_text == "högst 10 cm"
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="AgreedTask", object_id=task.id))
    assert event.action == "create" and event.changes["agreement_id"] == [None, world.agreement_a.title]
    assert describe_agreed_task(task) == "Klippning bruksgräsmatta varje måndag och torsdag 15 maj–30 sep · högst 10 cm"


def test_a_quota_task_reads_as_a_quota(world):
    task = add_agreed_task(actor_id=None, agreement=world.agreement_a, **task_values(
        world, rule=Quota(6, 10), level_text=""))
    assert (task.rrule, task.quota_count, task.quota_gap_days) == (None, 6, 10)
    assert describe_agreed_task(task) == \
        "Klippning bruksgräsmatta minst 6 gånger mellan 15 maj och 30 sep, minst 10 dagar isär"
    assert describe_agreed_task(task, "en") == \
        f"{world.task_type.name_en} at least 6 times between 15 May and 30 Sep, at least 10 days apart"


@pytest.mark.parametrize("changes,field", [
    ({"rule": Quota(6)}, "season_start"),  # season None below
    ({"rule": Quota(30, 7)}, "quota_count"),
    ({"rule": "FREQ=WEEKLY"}, "pattern"),
    ({"rule": Recurrence.parse("FREQ=YEARLY;BYMONTH=3,11")}, "season_start"),
    ({"reminder_lead_days": 61}, "reminder_lead_days"),
    ({"performed_by": "contractor"}, "performed_by"),
    ({"site_id": "SITE_B"}, "site_id"),
    ({"site_id": "SITE_C"}, "site_id"),
    ({"task_type_id": "OTHER_TYPE"}, "task_type_id"),
])
def test_add_agreed_task_refuses_what_cannot_be_kept(world, changes, field):
    ids = {"SITE_B": world.site_b.id, "SITE_C": world.site_c.id, "OTHER_TYPE": world.other_task_type.id}
    changes = {key: ids.get(value, value) if isinstance(value, str) else value for key, value in changes.items()}
    if isinstance(changes.get("rule"), Quota) and changes["rule"].count == 6:
        changes["season"] = None
    with pytest.raises(ValidationError) as raised:
        add_agreed_task(actor_id=None, agreement=world.agreement_a, **task_values(world, **changes))
    assert raised.value.field == field
    assert db.session.scalar(db.select(db.func.count(AgreedTask.id))) == 3


def test_a_rule_with_some_months_in_the_season_is_kept():
    rule = Recurrence.parse("FREQ=YEARLY;BYMONTH=4,6")
    assert check_rule(rule, GRASS) == rule
    assert check_rule(rule, Season.parse("11-01", "04-15")) == rule  # a season across the year end


def test_update_logs_old_and_new_and_delete_keeps_the_agreement_in_the_log(world):
    task = world.task_a
    task_id = task.id
    update_agreed_task(actor_id=world.admin.id, task=task, **task_values(world, reminder_lead_days=7, season=None))
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="update"))
    assert event.changes == {"season_start": ["05-15", None], "season_end": ["09-30", None],
                             "reminder_lead_days": ["2", "7"]}
    delete_agreed_task(actor_id=world.admin.id, task=task)
    admin = Principal.of(world.admin)
    logged = [(e.object_type, e.object_id, e.action) for e in audit.events_for(admin, world.agreement_a)]
    assert logged == [("AgreedTask", task_id, "delete"), ("AgreedTask", task_id, "update")]
    assert audit.events_for(admin, world.agreement_b) == []
    assert audit.events_for(Principal.of(world.reviewer), world.agreement_a) == []


def test_task_types_are_created_with_a_unique_swedish_name(make):
    home = make.municipality(catalogue=True)
    task_type = create_task_type(actor_id=None, municipality_id=home.id, name_sv="Snöröjning", name_en="",
                                 rule=Recurrence.parse("FREQ=WEEKLY"), season=Season.parse("12-01", "03-15"),
                                 site_kinds=["playground", "green_space"], performed_by="association")
    assert task_type.name_en == "Snöröjning" and task_type.site_kinds == ["green_space", "playground"]
    with pytest.raises(ValidationError) as raised:
        create_task_type(actor_id=None, municipality_id=home.id, name_sv="Snöröjning",
                         rule=Recurrence.parse("FREQ=WEEKLY"), season=None, site_kinds=["other"])
    assert raised.value.field == "name_sv"
    assert seed_catalogue(municipality_id=home.id) == 0
