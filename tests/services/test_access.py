"""The one access check, over every role × object kind × own/other association and municipality."""
from datetime import date, datetime, timezone

import pytest

from skotsel.extensions import db
from skotsel.models import (
    AgreedTask, Agreement, Association, AuditEvent, Completion, Deviation, FeedToken, Invitation, Membership,
    Municipality, Notification, Occurrence, Site, TaskType, User, Village,
)
from skotsel.services.access import Forbidden, NotFound, Principal, load, visible

PRINCIPALS = ("anonymous", "member_a", "coordinator_a", "coordinator_b", "reviewer", "admin", "other_admin")

#: What each principal may do with each object: "-" invisible (404), "r" read only (403 on change), "w" change.
#: Columns follow OBJECTS; a/b are associations of the home municipality, c of the other municipality.
OBJECTS = ("municipality_home", "village_home", "task_type_home", "association_a", "association_b",
           "association_c", "site_a", "site_b", "site_c", "agreement_a", "agreement_b", "agreement_c",
           "task_a", "task_b", "task_c", "membership_member_a", "membership_coordinator_b", "user_member_a",
           "audit_home", "invitation_a", "occurrence_a", "occurrence_c", "completion_a", "deviation_a",
           "notification_a", "feed_token_member_a")
EXPECTED = {
    #                  mun vil typ asA asB asC siA siB siC agA agB agC taA taB taC msA msB usA aud inA ocA ocC coA deA noA ftA
    "anonymous":     " -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   -   - ",
    "member_a":      " r   r   r   r   -   -   r   -   -   r   -   -   r   -   -   r   -   r   -   r   r   -   r   r   -   w ",
    "coordinator_a": " r   r   r   r   -   -   r   -   -   r   -   -   r   -   -   w   -   r   -   w   r   -   r   r   r   - ",
    "coordinator_b": " r   r   r   -   r   -   -   r   -   -   r   -   -   r   -   -   w   -   -   -   -   -   -   -   -   - ",
    "reviewer":      " r   r   r   r   r   -   r   r   -   r   r   -   r   r   -   r   r   r   -   r   r   -   r   w   -   - ",
    "admin":         " w   w   w   w   w   -   w   w   -   w   w   -   w   w   -   w   w   r   r   w   w   -   w   w   w   - ",
    "other_admin":   " -   -   -   -   -   w   -   -   w   -   -   w   -   -   w   -   -   -   -   -   -   w   -   -   -   - ",
}


def _objects(world):
    member_a_membership = world.member_a.memberships[0]
    event = AuditEvent(municipality_id=world.home.id, actor_id=world.admin.id, action="create",
                       object_type="Village", object_id=world.village.id, object_label="Hallaryd", changes={})
    invitation = Invitation(municipality_id=world.home.id, association_id=world.a.id, email="ny@a.example",
                            name="Ny", role="member", token_hash="0" * 64,
                            expires_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    db.session.add_all([event, invitation])
    db.session.commit()
    occurrences = {}
    for key, task in (("a", world.task_a), ("c", world.task_c)):
        occurrences[key] = Occurrence(municipality_id=task.municipality_id, agreed_task_id=task.id,
                                      planned_on=date(2026, 6, 14), due_on=date(2026, 6, 14),
                                      window_starts_on=date(2026, 6, 1))
    db.session.add_all(occurrences.values())
    db.session.flush()
    completion = Completion(municipality_id=world.home.id, occurrence_id=occurrences["a"].id, site_id=world.site_a.id,
                            completed_on=date(2026, 6, 12), user_id=world.member_a.id)
    deviation = Deviation(municipality_id=world.home.id, source="missed_occurrence", agreement_id=world.agreement_a.id,
                          site_id=world.site_a.id, occurrence_id=occurrences["a"].id, description="Missad")
    notification = Notification(municipality_id=world.home.id, key="reminder:x", kind="reminder",
                                user_id=world.member_a.id, association_id=world.a.id, recipient="medlem@a.example",
                                status="failed", last_error="550 Mailbox unavailable")
    feed_token = FeedToken(municipality_id=world.home.id, user_id=world.member_a.id, kind="personal",
                           token_hash="1" * 64)
    db.session.add_all([completion, deviation, notification, feed_token])
    db.session.commit()
    return {
        "municipality_home": world.home, "village_home": world.village, "task_type_home": world.task_type,
        "association_a": world.a, "association_b": world.b, "association_c": world.c,
        "site_a": world.site_a, "site_b": world.site_b, "site_c": world.site_c,
        "agreement_a": world.agreement_a, "agreement_b": world.agreement_b, "agreement_c": world.agreement_c,
        "task_a": world.task_a, "task_b": world.task_b, "task_c": world.task_c,
        "membership_member_a": member_a_membership,
        "membership_coordinator_b": world.coordinator_b.memberships[0],
        "user_member_a": world.member_a, "audit_home": event, "invitation_a": invitation,
        "occurrence_a": occurrences["a"], "occurrence_c": occurrences["c"], "completion_a": completion,
        "deviation_a": deviation, "notification_a": notification,
        "feed_token_member_a": feed_token,
    }


CASES = [(who, obj, EXPECTED[who].split()[i]) for who in PRINCIPALS for i, obj in enumerate(OBJECTS)]


def test_the_table_covers_every_object():
    assert all(len(row.split()) == len(OBJECTS) for row in EXPECTED.values())


@pytest.mark.parametrize(("who", "obj", "expected"), CASES, ids=[f"{w}-{o}" for w, o, _ in CASES])
def test_load_answers_as_the_table_says(world, who, obj, expected):
    principal = Principal() if who == "anonymous" else Principal.of(getattr(world, who))
    target = _objects(world)[obj]
    model = type(target)
    if expected == "-":
        with pytest.raises(NotFound):
            load(principal, model, target.id)
        assert target.id not in db.session.scalars(visible(principal, model).with_only_columns(model.id)).all()
        return
    assert load(principal, model, target.id) is target
    if expected == "w":
        assert load(principal, model, target.id, "write") is target
    else:
        with pytest.raises(Forbidden):
            load(principal, model, target.id, "write")


def test_a_missing_id_is_not_found_like_an_invisible_one(world):
    principal = Principal.of(world.admin)
    with pytest.raises(NotFound):
        load(principal, Site, 999_999)
    with pytest.raises(NotFound):
        load(principal, Site, world.site_c.id)


def test_a_deactivated_user_reaches_nothing(world):
    world.admin.is_active = False
    db.session.commit()
    with pytest.raises(NotFound):
        load(Principal.of(world.admin), Village, world.village.id)


@pytest.mark.parametrize("model", [Municipality, Village, TaskType, Association, Site, Agreement, AgreedTask,
                                   Membership, User, AuditEvent])
def test_lists_of_an_association_member_hold_only_their_own_association(world, model):
    rows = db.session.scalars(visible(Principal.of(world.member_a), model)).all()
    for row in rows:
        owner = getattr(row, "association_id", None) if not isinstance(row, Association) else row.id
        if owner is not None:
            assert owner == world.a.id
        municipality = row.id if isinstance(row, Municipality) else getattr(row, "municipality_id", world.home.id)
        assert municipality == world.home.id
