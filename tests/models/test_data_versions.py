"""The data version per municipality (skotsel.models.versions): raised by every committed change to a municipality's
data, in the same transaction, and by nothing else."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import delete, update

from skotsel.extensions import db
from skotsel.models import Completion, FeedToken, Membership, Occurrence, Site
from skotsel.models.versions import DataVersion, versions
from skotsel.services import feeds
from skotsel.services.access import Principal
from skotsel.services.schedule import regenerate

NOW = datetime(2026, 6, 20, 10, 0, tzinfo=timezone.utc)


def current(world) -> tuple[int, int]:
    db.session.rollback()  # a fresh look
    found = versions([world.home.id, world.other.id])
    return found[world.home.id], found[world.other.id]


def test_a_counter_made_anew_does_not_repeat_an_old_number(world):
    """Workers keep pages by version: a municipality's counter starts from the clock, so a database emptied and
    filled again does not hand out the numbers of the old data."""
    world.site_a.notes = "ett"
    db.session.commit()
    first, _ = current(world)
    db.session.execute(delete(DataVersion))
    db.session.commit()
    world.site_a.notes = "två"
    db.session.commit()
    again, _ = current(world)
    assert again > first


def test_a_change_raises_its_municipality_and_no_other(world):
    home, other = current(world)
    world.site_a.notes = "Nya bänkar"
    db.session.commit()
    assert current(world) == (home + 1, other)

    db.session.add(Site(municipality_id=world.other.id, name="Ny park", kind="green_space", lat=56.3, lon=14.1,
                        geometry={"type": "Point", "coordinates": [14.1, 56.3]}))
    db.session.commit()
    assert current(world) == (home + 1, other + 1)


def test_one_transaction_raises_once_and_a_rollback_raises_nothing(world):
    home, other = current(world)
    world.site_a.notes = "ett"
    db.session.flush()
    world.site_b.notes = "två"
    db.session.commit()
    assert current(world) == (home + 1, other)

    world.site_a.notes = "ångrat"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert current(world) == (home + 1, other)


def test_bulk_inserts_count_by_their_rows_and_other_bulk_writes_raise_every_municipality(world):
    home, other = current(world)
    summary = regenerate([world.task_a], today=date(2026, 1, 1), until=date(2026, 12, 31))
    assert summary.created > 0
    assert current(world) == (home + 1, other)

    db.session.execute(update(Occurrence).where(Occurrence.agreed_task_id == world.task_a.id)
                       .values(moved_reason=None))
    db.session.commit()
    assert current(world) == (home + 2, other + 1)  # the statement does not say whose rows: all


def test_a_person_changing_raises_where_they_belong(world, make):
    home, other = current(world)
    world.member_a.name = "Mia Nyman"
    db.session.commit()
    assert current(world) == (home + 1, other)
    db.session.add(Membership(user_id=world.member_a.id, municipality_id=world.other.id, association_id=world.c.id,
                              role="member"))
    db.session.commit()
    assert current(world) == (home + 1, other + 1)
    world.member_a.locale = "en"
    db.session.commit()
    assert current(world) == (home + 2, other + 2)


def test_bookkeeping_raises_nothing(world):
    db.session.refresh(world.member_a)
    row, _token = feeds.create_token(principal=Principal.of(world.member_a), kind="personal")
    home, other = current(world)
    feeds.mark_used(db.session.get(FeedToken, row.id), NOW)
    feeds.record_body(db.session.get(FeedToken, row.id), "abc", NOW, key="k")
    assert db.session.get(FeedToken, row.id).last_used_at is not None
    assert current(world) == (home, other)


def test_revoking_a_calendar_link_raises_the_version(world):
    db.session.refresh(world.member_a)
    principal = Principal.of(world.member_a)
    row, _token = feeds.create_token(principal=principal, kind="personal")
    home, other = current(world)
    feeds.revoke_token(principal=principal, feed_token=db.session.get(FeedToken, row.id), now=NOW)
    assert current(world) == (home + 1, other)


def test_logging_work_raises_the_version(world):
    regenerate([world.task_a], today=date(2026, 1, 1), until=date(2026, 12, 31))
    home, other = current(world)
    occurrence = db.session.query(Occurrence).filter_by(agreed_task_id=world.task_a.id).first()
    db.session.add(Completion(municipality_id=world.home.id, occurrence_id=occurrence.id, site_id=world.site_a.id,
                              task_type_id=world.task_type.id, completed_on=occurrence.due_on,
                              user_id=world.member_a.id))
    db.session.commit()
    assert current(world) == (home + 1, other)
