"""Rules the database itself holds, on SQLite and PostgreSQL alike."""
from datetime import date

import pytest
from sqlalchemy.exc import DataError, IntegrityError

from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Membership, Site, Village


def _fails(obj):
    """The database refuses the row (PostgreSQL reports a too-long value as a DataError)."""
    db.session.add(obj)
    with pytest.raises((IntegrityError, DataError)):
        db.session.commit()
    db.session.rollback()


def test_agreement_must_end_after_it_starts(world):
    _fails(Agreement(municipality_id=world.home.id, association_id=world.a.id, title="Baklänges",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 1)))


@pytest.mark.parametrize("field", ["compensation_amount", "compensation_cap"])
def test_amounts_cannot_be_negative(world, field):
    values = {"compensation_amount": 0, field: -1}
    _fails(Agreement(municipality_id=world.home.id, association_id=world.a.id, title="Minus",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), **values))


def test_site_area_cannot_be_negative(world):
    _fails(Site(municipality_id=world.home.id, name="Negativ", kind="beach", geometry={}, lat=56.5, lon=14.1,
                area_m2=-5))


@pytest.mark.parametrize("org_number", ["123456789", "12345678901", "12345a7890", "556036-079"])
def test_org_number_must_be_ten_digits(world, org_number):
    _fails(Association(municipality_id=world.home.id, name="Fel nummer", org_number=org_number))


@pytest.mark.parametrize(("model", "values"), [
    (Village, {"name": "Hallaryd"}),
    (Association, {"name": "Hallaryds sockenråd", "org_number": "8020043116"}),
    (Site, {"name": "Park A", "kind": "beach", "geometry": {}, "lat": 56.5, "lon": 14.1}),
])
def test_names_are_unique_within_a_municipality(world, model, values):
    _fails(model(municipality_id=world.home.id, **values))


def test_the_same_name_may_exist_in_another_municipality(world):
    db.session.add(Village(municipality_id=world.other.id, name="Hallaryd"))
    db.session.commit()


def test_municipality_roles_have_no_association_and_association_roles_have_one(world):
    _fails(Membership(user_id=world.admin.id, municipality_id=world.home.id, association_id=world.a.id, role="admin"))
    _fails(Membership(user_id=world.member_a.id, municipality_id=world.home.id, association_id=None, role="member"))


def test_agreed_task_has_either_an_rrule_or_a_quota(world):
    base = dict(municipality_id=world.home.id, agreement_id=world.agreement_a.id, site_id=world.site_a.id,
                task_type_id=world.task_type.id, season_start="05-15", season_end="09-30")
    _fails(AgreedTask(**base, rrule=None, quota_count=None))
    _fails(AgreedTask(**base, rrule="FREQ=WEEKLY", quota_count=6))


def test_a_quota_needs_a_season(world):
    _fails(AgreedTask(municipality_id=world.home.id, agreement_id=world.agreement_a.id, site_id=world.site_a.id,
                      task_type_id=world.task_type.id, quota_count=6, quota_gap_days=10))


def test_foreign_keys_are_enforced(world):
    _fails(Site(municipality_id=world.home.id, name="Föräldralös", kind="beach", geometry={}, lat=56.5, lon=14.1,
                association_id=987654))
